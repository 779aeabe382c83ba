"""Masking, the 我的数据 export, and closing an account (个人信息保护法)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import ClosedAccount, OneTimeCode, Phone
from accounts.privacy import mask_phone, may_see_phone, phone_for
from deliberation import services as dservices
from deliberation.models import CoSign, EvaluationParticipation
from notifications.models import Notification
from projects.models import Comment, Membership, Project, ProjectEvent, Role
from tests.accounts.conftest import last_code
from tests.conftest import PASSWORD, add_role, make_user, new_project
from tests.projects.money_helpers import walk_to

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- masking ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("+8613812341234", "138****1234"),
        ("13812341234", "138****1234"),
        ("+85261234567", "612*4567"),
        ("", ""),
        ("1234", "****"),
    ],
)
def test_mask_phone(number: str, shown: str) -> None:
    assert mask_phone(number) == shown
    assert Template("{% load accounts %}{{ n|mask_phone }}").render(Context({"n": number})) == shown


def test_owner_and_their_clerk_see_the_number_others_do_not(
    cast: dict[str, Any], community: Any, other_community: Any
) -> None:
    resident = cast["resident"]
    Phone.objects.create(user=resident, number="+8613812341234")
    other_clerk = make_user("other_clerk")
    add_role(other_clerk, other_community, Role.CLERK)
    assert phone_for(resident, resident) == "+8613812341234"
    assert phone_for(cast["clerk"], resident) == "+8613812341234"
    for who in ("committee", "council", "outsider", "supervisor"):
        assert phone_for(cast[who], resident) == "138****1234", who
    assert phone_for(other_clerk, resident) == "138****1234"
    assert not may_see_phone(None, resident)
    rendered = Template("{% load accounts %}{{ owner|phone_for:viewer }}").render(
        Context({"owner": resident, "viewer": cast["outsider"]})
    )
    assert rendered == "138****1234"


# --- 我的数据 --------------------------------------------------------------------------------
@pytest.fixture
def active_resident(
    cast: dict[str, Any], community: Any, fund: Any, make_resident: Any
) -> dict[str, Any]:
    """The resident proposed a project that reached evaluation, co-signed and commented on
    another, voted in its evaluation round, and has a number and a notification."""
    resident = cast["resident"]
    resident.first_name = "王阿姨"
    resident.email = "wang@example.org"
    resident.save()
    Phone.objects.create(user=resident, number="+8613812341234")
    evaluated = walk_to(new_project(community, resident, title="小区路灯维修"), "evaluating", cast)
    dservices.evaluation_open_round(project=evaluated)
    dservices.evaluation_vote(project=evaluated, by=resident, choice="dissatisfied")
    other = new_project(community, make_resident("neighbour"), title="花园翻新计划")
    Comment.objects.create(project=other, author=resident, body="我支持，花园太旧了")
    Notification.objects.create(recipient=resident, kind="test", verb="有新进展")
    return {"user": resident, "evaluated": evaluated}


def test_my_data_page_and_download(active_resident: dict[str, Any]) -> None:
    user = active_resident["user"]
    c = Client()
    c.force_login(user)
    page = c.get(reverse("accounts:my-data"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "王阿姨" in body and "+8613812341234" in body and "小区路灯维修" in body
    r = c.get(reverse("accounts:my-data-download"))
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    data = json.loads(r.content)
    assert data["profile"]["name"] == "王阿姨" and data["profile"]["email"] == "wang@example.org"
    assert data["phone"]["number"] == "+8613812341234"
    assert [p["title"] for p in data["proposals"]] == ["小区路灯维修"]
    assert [c["body"] for c in data["comments"]] == ["我支持，花园太旧了"]
    assert {m["role"] for m in data["memberships"]} == {"resident"}
    assert len(data["notifications"]) >= 1
    assert data["audit_events"] and all("action" in e for e in data["audit_events"])
    took = data["secret_ballots_taken_part_in"]
    assert took == [
        {"kind": "evaluation", "project_id": active_resident["evaluated"].pk, "round": 1}
    ]
    # never how they voted: the choice appears nowhere in the export
    assert "dissatisfied" not in r.content.decode()
    assert "cosigns" in data and "objections" in data


def test_my_data_needs_a_sign_in(db: None) -> None:
    r = Client().get(reverse("accounts:my-data-download"))
    assert r.status_code == 302 and reverse("login") in r["Location"]


# --- closing the account ----------------------------------------------------------------------
def tally_of(project: Project) -> dict[str, Any]:
    rnd = dservices.current_round(project)
    assert rnd is not None
    dservices.evaluation_seal(rnd, everything=True)
    return dservices.evaluation_tally(rnd).as_dict()


def verify_audit() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=out)
    except SystemExit as e:  # pragma: no cover - the command reports through CommandError
        return int(e.code or 1), out.getvalue()
    except Exception as e:
        return 1, out.getvalue() + str(e)
    return 0, out.getvalue()


def test_closing_erases_personal_data_and_keeps_the_record(
    active_resident: dict[str, Any], cast: dict[str, Any]
) -> None:
    user = active_resident["user"]
    project = active_resident["evaluated"]
    tally_before = tally_of(project)
    events_before = list(ProjectEvent.objects.order_by("pk").values_list("pk", "hash"))
    assert verify_audit()[0] == 0
    c = Client()
    c.force_login(user)
    r = c.post(reverse("accounts:close"), {"password": PASSWORD})
    assert r.status_code == 302

    user.refresh_from_db()
    assert user.username.startswith("closed-") and not user.is_active
    assert user.first_name == "已注销用户" and user.email == "" and user.last_name == ""
    assert not user.has_usable_password()
    assert ClosedAccount.objects.filter(user=user).exists()
    assert not Phone.objects.filter(user=user).exists()
    assert not OneTimeCode.objects.filter(phone="+8613812341234").exists()
    assert not Notification.objects.filter(recipient=user).exists()
    assert not Membership.objects.filter(user=user).exists()
    # the session is over, and so is any other
    assert c.get(reverse("accounts:my-data")).status_code == 302
    # what they did stays, under 已注销用户; the tally, the audit chain and its check unchanged
    assert Project.objects.get(pk=project.pk).proposer_id == user.pk
    assert Comment.objects.filter(author=user).count() == 1
    assert EvaluationParticipation.objects.filter(voter=user).count() == 1
    assert tally_of(project) == tally_before
    assert list(ProjectEvent.objects.order_by("pk").values_list("pk", "hash")) == events_before
    assert verify_audit()[0] == 0
    page = Client().get(reverse("project-detail", args=[project.pk])).content.decode()
    assert "已注销用户" in page and "王阿姨" not in page and "138" not in page
    # the old number may sign up again, as a new person
    assert services.user_by_phone("+8613812341234") is None


def test_closing_needs_the_password_or_a_code(
    cast: dict[str, Any], outbox: list, django_capture_on_commit_callbacks: Any
) -> None:
    user = cast["resident"]
    Phone.objects.create(user=user, number="+8613812341234")
    c = Client()
    c.force_login(user)
    r = c.post(reverse("accounts:close"), {"password": "wrong"})
    assert r.status_code == 400 and "密码不正确" in r.content.decode()
    r = c.post(reverse("accounts:close"), {})
    assert r.status_code == 400
    user.refresh_from_db()
    assert user.is_active
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("accounts:close"), {"action": "send"})
    r = c.post(reverse("accounts:close"), {"code": last_code(outbox)})
    assert r.status_code == 302
    user.refresh_from_db()
    assert not user.is_active and services.is_closed(user)


def test_closed_user_shows_as_closed_in_every_language(cast: dict[str, Any]) -> None:
    from django.utils import translation

    user = cast["resident"]
    services.account_close(user=user)
    tpl = Template("{% load accounts %}{{ u|person }}")
    assert tpl.render(Context({"u": user})) == "已注销用户"
    with translation.override("en"):
        assert tpl.render(Context({"u": user})) in ("已注销用户", "Closed account")
    assert tpl.render(Context({"u": cast["council"]})) == "council"


def test_a_closed_account_cannot_sign_in_any_way(
    cast: dict[str, Any], outbox: list, django_capture_on_commit_callbacks: Any
) -> None:
    user = cast["resident"]
    Phone.objects.create(user=user, number="+8613812341234")
    old_username = user.username
    services.account_close(user=user)
    r = Client().post("/accounts/login/", {"username": old_username, "password": PASSWORD})
    assert r.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        r = Client().post("/account/signin/", {"action": "send", "phone": "13812341234"})
    assert r.status_code == 400 and outbox == []
    assert not CoSign.objects.filter(user=user).exists()
