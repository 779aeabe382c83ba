"""Logging: an expected refusal (403, 404, 409 ...) is the request line alone; the request line's
fields (request id, user id, method, path, status, time), in JSON lines or readable ones; the
optional error-reporting hook."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any


class ExpectedRefusalFilter(logging.Filter):
    """On ``django.request``: drop the records of 4xx responses (the server's access log already
    has one line for the request; a refusal is the application working as designed, so no
    traceback). 5xx records pass with their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        return not (isinstance(status, int) and status < 500)


# --- the request log: one structured line per request ----------------------------------------
# The request being served (its id and user), for every record logged while it is served: the
# request line itself, and an error's traceback (``django.request``), so both carry its id.
request_id_var: ContextVar[str] = ContextVar("request_id", default="")
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)

# what a request log line may carry, beyond the message: never a form field, query string or
# ballot (the path is logged without its query string)
REQUEST_FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms")


class RequestContextFilter(logging.Filter):
    """Adds the request id and user id of the request being served to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        if getattr(record, "user_id", None) is None:
            record.user_id = user_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``LOG_FORMAT=json``): time, level, logger, message, the request
    fields present, and the traceback of an error as one string."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value not in (None, ""):
                out[name] = value
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["traceback"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The readable line: ``time LEVEL logger message [id=… user=…]``."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", "")
        if rid and record.name != REQUEST_LOGGER:  # the request line shows them itself
            head, _sep, tail = line.partition("\n")
            line = f"{head} [id={rid}]" + (f"\n{tail}" if tail else "")
        return line


REQUEST_LOGGER = "yishi.request"


def logging_config(fmt: str = "text", level: str = "WARNING") -> dict[str, Any]:
    """``LOGGING`` for ``config/settings.py``: ``fmt`` is ``"json"`` (``LOG_FORMAT=json``) or the
    readable lines.

    One line per request (``yishi.request``, from ``projects.middleware.RequestLogMiddleware``).
    An expected refusal (403, 404, 409 ...) adds nothing more: no second "Forbidden: ..." line and
    no traceback; a real error (5xx) adds its traceback once (``django.request``). The servers'
    own access lines (runserver's ``django.server``, ``django.channels.server``) are left to
    warnings, since ours says more. Every logger that prints stops there (propagate off), so no
    line is printed twice.
    """
    formatter = "json" if fmt.strip().lower() == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "expected_refusals": {"()": "projects.log_filters.ExpectedRefusalFilter"},
            "request_context": {"()": "projects.log_filters.RequestContextFilter"},
        },
        "formatters": {
            "text": {
                "()": "projects.log_filters.TextFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
            "json": {"()": "projects.log_filters.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request_context"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "django.request": {
                "handlers": ["console"],
                "level": "WARNING",
                "filters": ["expected_refusals"],
                "propagate": False,
            },
            REQUEST_LOGGER: {"handlers": ["console"], "level": "INFO", "propagate": False},
            "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
            "django.channels.server": {
                "handlers": ["console"],
                "level": "WARNING",
                "propagate": False,
            },
        },
    }


def init_error_reporting(dsn: str, environment: str = "", traces_sample_rate: float = 0.0) -> bool:
    """The optional error-reporting hook: sentry-sdk (``pip install 'yishi[sentry]'``), started
    only when ``SENTRY_DSN`` is set. No personal data is sent (no user names, addresses, cookies
    or request bodies: a ballot never leaves the server). Returns whether it was started."""
    if not dsn:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError:
        logging.getLogger(__name__).warning(
            "SENTRY_DSN is set but sentry-sdk is not installed (pip install 'yishi[sentry]')"
        )
        return False
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environment or None,
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
    )
    return True
