"""The request log: one structured line per request, with its id; an error's traceback once."""

from __future__ import annotations

import json
import logging.config
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from projects.log_filters import init_error_reporting, logging_config


@pytest.fixture
def log_format(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Configure logging as settings.py does for a LOG_FORMAT, printing to the captured stderr."""

    def use(fmt: str) -> None:
        logging.config.dictConfig(logging_config(fmt))
        capsys.readouterr()

    yield use
    logging.config.dictConfig(settings.LOGGING)


def lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.mark.django_db
def test_one_json_line_per_request_with_id_user_status_and_time(
    log_format: Any, capsys: pytest.CaptureFixture[str], cast: dict[str, Any], client: Client
) -> None:
    log_format("json")
    resident = cast["resident"]
    client.force_login(resident)
    capsys.readouterr()
    r = client.get("/projects/?q=secret-words", HTTP_X_REQUEST_ID="proxy-abc.123")
    assert r.status_code == 200
    assert r["X-Request-ID"] == "proxy-abc.123"
    out = lines(capsys)
    assert len(out) == 1, out
    line = json.loads(out[0])
    assert line["request_id"] == "proxy-abc.123"
    assert line["user_id"] == resident.pk
    assert (line["method"], line["path"], line["status"]) == ("GET", "/projects/", 200)
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert "secret-words" not in out[0]  # no query string, no form field


@pytest.mark.django_db
def test_a_request_without_an_id_gets_a_new_one_and_a_forged_one_is_replaced(
    log_format: Any, capsys: pytest.CaptureFixture[str], client: Client
) -> None:
    log_format("json")
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32
    assert first != second
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\ninjected line")["X-Request-ID"]
    assert "\n" not in forged
    assert "injected" not in forged
    records = [json.loads(line) for line in lines(capsys)]
    assert [r["request_id"] for r in records] == [first, second, forged]
    assert all("user_id" not in r for r in records)  # nobody signed in


@pytest.mark.django_db
def test_readable_lines_by_default(
    log_format: Any, capsys: pytest.CaptureFixture[str], client: Client
) -> None:
    log_format("text")
    rid = client.get("/healthz", HTTP_X_REQUEST_ID="abc")["X-Request-ID"]
    out = lines(capsys)
    assert len(out) == 1
    assert "GET /healthz 200 " in out[0]
    assert out[0].rstrip().endswith(f"user=- id={rid}")
    with pytest.raises(json.JSONDecodeError):
        json.loads(out[0])


@pytest.mark.django_db
@pytest.mark.urls("tests.ops.logs_urlconf")
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_an_unhandled_error_logs_its_traceback_exactly_once(
    fmt: str, log_format: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    log_format(fmt)
    client = Client(raise_request_exception=False)
    r = client.get("/boom/", HTTP_X_REQUEST_ID="err-1")
    assert r.status_code == 500
    err = capsys.readouterr().err
    assert err.count("Traceback (most recent call last)") == 1, err
    assert err.count("RuntimeError: the view broke") == 1, err
    if fmt == "json":
        records = [json.loads(line) for line in err.splitlines() if line.strip()]
        assert [rec["logger"] for rec in records] == ["django.request", "yishi.request"]
        assert all(rec["request_id"] == "err-1" for rec in records)
        assert records[1]["status"] == 500
        assert "traceback" in records[0]
        assert "traceback" not in records[1]
    else:
        assert "[id=err-1]" in err


@pytest.mark.django_db
def test_an_expected_refusal_is_the_request_line_alone(
    log_format: Any, capsys: pytest.CaptureFixture[str], client: Client
) -> None:
    log_format("json")
    assert client.get("/projects/999999/").status_code == 404
    records = [json.loads(line) for line in lines(capsys)]
    assert [(r["logger"], r["status"]) for r in records] == [("yishi.request", 404)]


def test_error_reporting_starts_only_with_a_dsn_and_sends_no_personal_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("sentry_sdk")
    fake.init = lambda **kw: calls.append(kw)  # type: ignore[attr-defined]
    integrations = types.ModuleType("sentry_sdk.integrations")
    django_integration = types.ModuleType("sentry_sdk.integrations.django")
    django_integration.DjangoIntegration = lambda: "django"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentry_sdk", fake)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations", integrations)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations.django", django_integration)

    assert init_error_reporting("") is False
    assert calls == []
    assert init_error_reporting("https://key@errors.example.org/1", environment="street") is True
    assert len(calls) == 1
    assert calls[0]["dsn"] == "https://key@errors.example.org/1"
    assert calls[0]["send_default_pii"] is False
    assert calls[0]["max_request_body_size"] == "never"
    assert calls[0]["environment"] == "street"


def test_a_dsn_without_sentry_installed_warns_and_runs_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # import fails
    assert init_error_reporting("https://key@errors.example.org/1") is False
    assert "sentry-sdk is not installed" in caplog.text
