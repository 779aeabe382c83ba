"""Issue 15, finding 10: ``manage.py check --deploy`` is clean with the production environment,
and the OpenAPI schema is generated without a warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "YISHI_BEHIND_PROXY": "1",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "yishi.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://yishi.example.org",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "YISHI_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_in_production() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout + result.stderr


def test_production_settings_redirect_to_https_behind_the_proxy() -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    result = manage("shell", "-v", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        str(365 * 24 * 3600),
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "True",
        "True",
    ]


def test_schema_is_generated_without_warnings() -> None:
    result = manage("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.django_db
def test_https_redirect_and_hsts_behind_the_proxy(settings: object) -> None:
    from django.test import override_settings

    with override_settings(
        SECURE_SSL_REDIRECT=True,
        SECURE_HSTS_SECONDS=31536000,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    ):
        plain = Client().get("/", HTTP_X_FORWARDED_PROTO="http")
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        secure = Client().get("/", HTTP_X_FORWARDED_PROTO="https")
        assert secure.status_code == 200
        assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_unknown_api_url_is_a_json_404() -> None:
    r = Client().get("/api/v1/projects/-1/")
    assert r.status_code == 404 and r["Content-Type"] == "application/json"
    assert r.json()["detail"]
    assert "text/html" in Client().get("/no-such-page/")["Content-Type"]
