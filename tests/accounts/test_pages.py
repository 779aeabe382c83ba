"""Sign-up, code sign-in, password reset and the staff's code step, through the test client."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.models import OneTimeCode, Phone
from tests.accounts.conftest import last_code
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()
SIGNUP = "/account/signup/"
SIGNIN = "/account/signin/"
RESET = "/account/reset/"


def post(client: Client, url: str, capture: Any, **data: str) -> Any:
    with capture(execute=True):
        return client.post(url, data)


def test_signup_by_phone_signs_the_new_resident_in(
    community: Any, outbox: list, django_capture_on_commit_callbacks: Any
) -> None:
    c = Client()
    page = c.get(f"{SIGNUP}?community={community.slug}")
    assert page.status_code == 200 and "幸福社区" in page.content.decode()
    r = post(
        c,
        f"{SIGNUP}?community={community.slug}",
        django_capture_on_commit_callbacks,
        action="send",
        phone="138 0013 8000",
        community=community.slug,
    )
    assert r.status_code == 302
    assert outbox[-1].to == "+8613800138000" and "验证码" in outbox[-1].body
    step2 = c.get(r["Location"]).content.decode()
    assert "138****8000" in step2 and 'name="code"' in step2
    r = c.post(
        SIGNUP,
        {
            "action": "verify",
            "code": last_code(outbox),
            "name": "3号楼王阿姨",
            "community": community.slug,
        },
    )
    assert r.status_code == 302
    # a newcomer goes on to declare where they live, in the community the QR code named
    assert r["Location"] == f"{reverse('residents:declare')}?community={community.slug}"
    user = User.objects.get(phone__number="+8613800138000")
    assert user.first_name == "3号楼王阿姨" and not user.has_usable_password()
    assert "+86" not in user.username and "138" not in user.username
    assert c.get("/").context["user"].pk == user.pk


def test_signup_with_a_password_allows_password_sign_in(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    c = Client()
    post(c, SIGNUP, django_capture_on_commit_callbacks, action="send", phone="13900139000")
    c.post(
        SIGNUP,
        {
            "action": "verify",
            "code": last_code(outbox),
            "name": "李",
            "password": "walk-the-line-77",
        },
    )
    user = User.objects.get(phone__number="+8613900139000")
    assert (
        Client()
        .post("/accounts/login/", {"username": user.username, "password": "walk-the-line-77"})
        .status_code
        == 302
    )


def test_signup_refuses_a_weak_password_and_a_wrong_code(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    c = Client()
    post(c, SIGNUP, django_capture_on_commit_callbacks, action="send", phone="13900139000")
    code = last_code(outbox)
    r = c.post(SIGNUP, {"action": "verify", "code": code, "name": "李", "password": "123"})
    assert r.status_code == 400 and not User.objects.filter(phone__isnull=False).exists()
    wrong = "000000" if code != "000000" else "111111"
    r = c.post(SIGNUP, {"action": "verify", "code": wrong, "name": "李"})
    assert r.status_code == 400 and "还可以再试 4 次" in r.content.decode()
    r = c.post(SIGNUP, {"action": "verify", "code": code, "name": ""})
    assert r.status_code == 400 and "称呼" in r.content.decode()
    assert not Phone.objects.exists()


def test_one_account_per_number(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    owner = make_user("owner")
    Phone.objects.create(user=owner, number="+8613900139000")
    r = post(
        Client(), SIGNUP, django_capture_on_commit_callbacks, action="send", phone="13900139000"
    )
    assert r.status_code == 400 and "已注册" in r.content.decode()
    assert outbox == [] and not OneTimeCode.objects.exists()


def test_invalid_number_is_refused_on_the_page(db: None, outbox: list) -> None:
    r = Client().post(SIGNUP, {"action": "send", "phone": "12345"})
    assert r.status_code == 400 and "请输入有效的手机号码" in r.content.decode()
    assert outbox == []


def test_sixty_seconds_between_codes_on_the_page(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    c = Client()
    post(c, SIGNUP, django_capture_on_commit_callbacks, action="send", phone="13900139000")
    r = post(c, SIGNUP, django_capture_on_commit_callbacks, action="resend")
    assert r.status_code == 429 and "秒后再试" in r.content.decode()
    assert len(outbox) == 1
    assert 'data-countdown="' in r.content.decode()


def test_sign_in_with_a_code(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    user = make_user("wang")
    Phone.objects.create(user=user, number="+8613900139000")
    c = Client()
    post(c, SIGNIN, django_capture_on_commit_callbacks, action="send", phone="13900139000")
    r = c.post(SIGNIN, {"action": "verify", "code": last_code(outbox), "next": "/notifications/"})
    assert r.status_code == 302 and r["Location"] == "/notifications/"
    assert c.get("/notifications/").status_code == 200


def test_sign_in_refuses_an_unknown_number_and_an_outside_next(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    r = post(
        Client(), SIGNIN, django_capture_on_commit_callbacks, action="send", phone="13900139000"
    )
    assert r.status_code == 400 and "尚未注册" in r.content.decode() and outbox == []
    user = make_user("wang")
    Phone.objects.create(user=user, number="+8613900139000")
    c = Client()
    post(c, SIGNIN, django_capture_on_commit_callbacks, action="send", phone="13900139000")
    r = c.post(
        SIGNIN, {"action": "verify", "code": last_code(outbox), "next": "https://evil.example/"}
    )
    assert r["Location"] == "/"


def test_sign_in_code_does_not_touch_the_password_lockout(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None, settings: Any
) -> None:
    """Wrong codes burn the code (our rule) and are not counted by axes; a right code signs in
    even while the password form is locked for that account."""
    from axes.models import AccessAttempt

    user = make_user("wang")
    Phone.objects.create(user=user, number="+8613900139000")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/accounts/login/", {"username": "wang", "password": "wrong"})
    assert (
        Client().post("/accounts/login/", {"username": "wang", "password": PASSWORD}).status_code
        == 429
    )
    attempts = AccessAttempt.objects.count()
    c = Client(REMOTE_ADDR="198.51.100.4")
    post(c, SIGNIN, django_capture_on_commit_callbacks, action="send", phone="13900139000")
    code = last_code(outbox)
    wrong = "000000" if code != "000000" else "111111"
    c.post(SIGNIN, {"action": "verify", "code": wrong})
    assert AccessAttempt.objects.count() == attempts
    r = c.post(SIGNIN, {"action": "verify", "code": code})
    assert r.status_code == 302 and c.get("/notifications/").status_code == 200


def test_password_reset_by_code(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    user = make_user("wang")
    Phone.objects.create(user=user, number="+8613900139000")
    c = Client()
    post(c, RESET, django_capture_on_commit_callbacks, action="send", phone="+86 139 0013 9000")
    r = c.post(RESET, {"action": "verify", "code": last_code(outbox), "password": "a-new-one-2026"})
    assert r.status_code == 302 and r["Location"] == reverse("login")
    login = "/accounts/login/"
    assert (
        Client().post(login, {"username": "wang", "password": "a-new-one-2026"}).status_code == 302
    )
    assert Client().post(login, {"username": "wang", "password": PASSWORD}).status_code == 200


def test_reset_code_does_not_sign_in(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    user = make_user("wang")
    Phone.objects.create(user=user, number="+8613900139000")
    c = Client()
    post(c, RESET, django_capture_on_commit_callbacks, action="send", phone="13900139000")
    code = last_code(outbox)
    from accounts import codes
    from accounts.models import Purpose

    with pytest.raises(codes.BadCode):
        codes.check(phone="+8613900139000", purpose=Purpose.SIGNIN, code=code)


def test_login_page_links_to_code_sign_in_and_sign_up(db: None) -> None:
    body = Client().get("/accounts/login/").content.decode()
    assert reverse("accounts:signin") in body and reverse("accounts:signup") in body
    assert reverse("accounts:reset") in body


# --- staff: a code after the password ---------------------------------------------------------
def test_staff_need_a_code_after_the_password_when_required(
    cast: dict[str, Any], outbox: list, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.YISHI_STAFF_SIGNIN_CODE = True
    Phone.objects.create(user=cast["clerk"], number="+8613900139000")
    c = Client()
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == reverse("accounts:staff-code")
    assert c.get("/inbox/").status_code == 302  # not signed in yet
    page = c.get(r["Location"]).content.decode()
    assert "139****9000" in page
    r = c.post(reverse("accounts:staff-code"), {"code": last_code(outbox, "+8613900139000")})
    assert r.status_code == 302
    assert c.get("/inbox/").status_code == 200


def test_staff_without_a_number_cannot_pass_the_code_step(
    cast: dict[str, Any], settings: Any, outbox: list
) -> None:
    settings.YISHI_STAFF_SIGNIN_CODE = True
    c = Client()
    r = c.post("/accounts/login/", {"username": "committee", "password": PASSWORD})
    assert r.status_code == 200 and "未绑定手机号" in r.content.decode()
    assert c.get("/inbox/").status_code == 302


def test_residents_and_setting_off_sign_in_with_the_password_alone(
    cast: dict[str, Any], settings: Any, outbox: list
) -> None:
    settings.YISHI_STAFF_SIGNIN_CODE = True
    c = Client()
    assert c.post("/accounts/login/", {"username": "resident", "password": PASSWORD})[
        "Location"
    ] != reverse("accounts:staff-code")
    settings.YISHI_STAFF_SIGNIN_CODE = False
    c = Client()
    r = c.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] != reverse("accounts:staff-code")
    assert outbox == []


def test_staff_code_page_without_a_password_step_goes_to_login(db: None) -> None:
    r = Client().get(reverse("accounts:staff-code"))
    assert r.status_code == 302 and r["Location"] == reverse("login")


def test_a_number_in_the_household_register_is_a_resident_at_once(
    outbox: list, django_capture_on_commit_callbacks: Any, community: Any
) -> None:
    """The clerk imported the register; the person in it signs up with that number and is a
    verified resident straight away (their grid and household from the register), so they land
    on the home page, not on the residency declaration."""
    from projects.models import Grid, Membership
    from residents.models import RegisterEntry

    grid = Grid.objects.create(community=community, name="一网格")
    RegisterEntry.objects.create(
        community=community, name="李", phone="+8613900139000", grid=grid, household="3-2-501"
    )
    c = Client()
    post(c, SIGNUP, django_capture_on_commit_callbacks, action="send", phone="13900139000")
    r = c.post(SIGNUP, {"action": "verify", "code": last_code(outbox), "name": "李"})
    assert r.status_code == 302 and r["Location"] == reverse("home")
    user = User.objects.get(phone__number="+8613900139000")
    held = Membership.objects.residents().get(user=user)
    assert (held.community, held.grid, held.household) == (community, grid, "3-2-501")


def test_sms_is_sent_by_the_background_task_in_the_reader_language(
    outbox: list, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    c = Client()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        c.post(SIGNUP, {"action": "send", "phone": "13900139000"})
    assert outbox == []  # nothing before the commit
    for cb in callbacks:
        cb()
    assert len(outbox) == 1 and outbox[0].params["code"] in outbox[0].body
