"""Issue 15, finding 5: password guessing is locked out per username and per address (login
form, admin and token endpoint); the API is throttled; common passwords are refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login_form(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def token(username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return APIClient().post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=ip,
    )


def test_login_form_locks_a_username_out_after_five_wrong_passwords(
    cast: dict[str, Any], settings: Any
) -> None:
    client = Client()
    for n in range(4):
        r = login_form(client, "clerk", f"wrong-{n}", ip=f"10.0.1.{n}")  # four addresses
        assert r.status_code == 200 and not r.wsgi_request.user.is_authenticated
    assert login_form(client, "clerk", "wrong-5", ip="10.0.1.5").status_code == 429  # the fifth
    r = login_form(client, "clerk", PASSWORD, ip="10.0.2.1")  # the right password, a new address
    assert r.status_code == 429
    assert "分钟后再试" in r.content.decode()
    assert int(r["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session
    # another user from yet another address is not affected
    assert login_form(Client(), "resident", PASSWORD, ip="10.0.3.1").status_code == 302


def test_login_form_locks_an_address_out_whatever_the_username(cast: dict[str, Any]) -> None:
    answers = [login_form(Client(), f"nobody{n}", "wrong", ip="10.9.9.9") for n in range(5)]
    assert [r.status_code for r in answers] == [200] * 4 + [429]
    assert login_form(Client(), "resident", PASSWORD, ip="10.9.9.9").status_code == 429
    assert login_form(Client(), "resident", PASSWORD, ip="10.9.9.10").status_code == 302


def test_a_right_password_before_the_limit_resets_the_count(cast: dict[str, Any]) -> None:
    for n in range(4):
        login_form(Client(), "council", f"wrong-{n}")
    assert login_form(Client(), "council", PASSWORD).status_code == 302
    for n in range(4):
        login_form(Client(), "council", f"wrong-again-{n}")
    assert login_form(Client(), "council", PASSWORD).status_code == 302


def test_token_endpoint_locks_a_username_out(cast: dict[str, Any], settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login": "1000/min",  # here: the lockout, not the throttle
    }
    answers = [token("clerk", f"wrong-{n}", ip=f"10.1.0.{n}").status_code for n in range(5)]
    assert answers == [400] * 4 + [429]
    r = token("clerk", PASSWORD, ip="10.1.1.1")
    assert r.status_code == 429, r.content
    assert "分钟后再试" in r.json()["detail"] and "token" not in r.json()
    assert token("resident", PASSWORD, ip="10.1.2.1").status_code == 200


def test_token_endpoint_is_throttled_per_address(cast: dict[str, Any]) -> None:
    answers = [token(f"nobody{n}", "wrong", ip="10.2.0.1").status_code for n in range(12)]
    assert 429 in answers
    assert answers[:4] == [400] * 4  # then the lockout (429) or the throttle (429)
    assert token("resident", PASSWORD, ip="10.2.0.2").status_code == 200


def test_api_is_throttled(cast: dict[str, Any], settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": "5/min", "login": "10/min"},
    }
    anon = [Client().get("/api/v1/projects/").status_code for _ in range(4)]
    assert anon == [200, 200, 200, 429]
    c = APIClient()
    c.force_authenticate(cast["resident"])
    user = [c.get("/api/v1/projects/").status_code for _ in range(6)]
    assert user == [200] * 5 + [429]
    assert "Retry-After" in c.get("/api/v1/projects/")


@pytest.mark.parametrize("password", ["password123", "12345678", "qwertyuiop", "iloveyou"])
def test_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_good_password_is_accepted() -> None:
    validate_password("楼道灯-亮了-2026-xyz")
