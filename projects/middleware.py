"""The request log (``RequestLogMiddleware``, at the end), and refuse, once for every view, query-string and form values that no field may hold.

A NUL byte (``?q=%00``) reaches the database as a filter value, and PostgreSQL refuses any
text containing it: a 500 from every list filter and search box. Rather than cleaning each
filter in each view, this middleware answers such a request with a 400 before any view runs:
JSON under ``/api/`` (DRF's ``detail`` / ``errors`` shape), the 400 page elsewhere.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from projects.log_filters import REQUEST_LOGGER, request_id_var, user_id_var
from projects.parsers import bad_text

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _bad_field(values: QueryDict) -> str | None:
    for key, items in values.lists():
        if bad_text(key):
            return key.replace("\x00", "") or "?"
        for item in items:
            if isinstance(item, str) and bad_text(item):
                return key
    return None


class RefuseBadCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        field = _bad_field(request.GET)
        if (
            field is None
            and request.method == "POST"
            and request.content_type in FORM_TYPES
            and not request.path.startswith("/ws/")
        ):
            field = _bad_field(request.POST)
        if field is None:
            return self.get_response(request)
        message = _("输入中含有不允许的字符（如 NUL）")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "errors": {field: [message]}}, status=400)
        return render(request, "400.html", {"exception": message}, status=400)


# --- the request log --------------------------------------------------------------------------
REQUEST_ID_HEADER = "X-Request-ID"
# an id the proxy sent is kept only if it is a plain token (nothing to inject into a log line)
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_log = logging.getLogger(REQUEST_LOGGER)


class RequestLogMiddleware:
    """One line per request (``yishi.request``): request id, user id, method, path (without its
    query string), status and duration in ms; never a form field or a ballot. The request id is
    the proxy's ``X-Request-ID`` when it sends a plain one, else a new one; the response carries
    it back in ``X-Request-ID``. First in ``MIDDLEWARE``, so redirects and refusals by the other
    middleware are logged and timed too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        rid_token = request_id_var.set(rid)
        user_token = user_id_var.set(None)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            user_id = user.pk if user is not None and user.is_authenticated else None
            user_id_var.set(user_id)
            response[REQUEST_ID_HEADER] = rid
            duration = round((time.perf_counter() - start) * 1000, 1)
            fields = {
                "request_id": rid,
                "user_id": user_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration,
            }
            who = f"user={user_id}" if user_id is not None else "user=-"
            request_log.info(
                "%s %s %s %.1fms %s id=%s",
                request.method,
                request.path,
                response.status_code,
                duration,
                who,
                rid,
                extra=fields,
            )
            return response
        finally:
            request_id_var.reset(rid_token)
            user_id_var.reset(user_token)
