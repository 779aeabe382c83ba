"""After an account is closed, its old name and number appear on no page and in no API answer:
the project page (proposer, timeline, comments, objections), the roll-call, the meeting
(attendance, votes, minutes), the statement, the residency queue, a clerk's inbox and the API.
What the person proposed stays, under 已注销用户."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Phone
from deliberation import services as dservices
from meetings.demo import council_meeting
from meetings.models import Meeting
from projects.models import Comment, Role, State
from residents import services as residency
from tests.conftest import add_role, make_user, new_project
from tests.projects.money_helpers import walk_to

pytestmark = pytest.mark.django_db

NAME = "王阿姨"
TRACES = (NAME, "13812341234", "138****1234", "+8613812341234")


@pytest.fixture
def closed(
    cast: dict[str, Any], community: Any, other_community: Any, fund: Any, make_resident: Any
) -> dict[str, Any]:
    """王阿姨 proposed a project, commented on it, sat on the council (secretary of its meeting,
    present, voted, wrote the minutes) and the committee (voted in its roll-call), objected to
    another project in publicity, declared residency elsewhere; then closed her account."""
    her = cast["resident"]
    her.first_name = NAME
    her.save()
    Phone.objects.create(user=her, number="+8613812341234")
    add_role(her, community, Role.COUNCIL)
    add_role(her, community, Role.COMMITTEE)
    project = walk_to(new_project(community, her, title="小区路灯维修"), State.DELIBERATING, cast)
    Comment.objects.create(project=project, author=her, body="路灯坏了三个月")
    item = council_meeting(
        project=project, secretary=her, members=[her, cast["council"]], minutes="会议同意建议批准"
    )
    project.refresh_from_db()  # the carried council item recommended it to the committee
    project = walk_to(project, State.DECIDING, cast)
    decision = dservices.decision_open(
        project=project, by=cast["committee"], motion="approve", amount="10000.00"
    )
    dservices.decision_vote(decision=decision, by=her, choice="yes")
    other = walk_to(
        new_project(community, make_resident("neighbour"), title="健身器材更新"),
        State.PUBLICIZING,
        cast,
    )
    dservices.objection_file(project=other, by=her, body="器材位置离住户太近")
    other_clerk = make_user("other_clerk")
    add_role(other_clerk, other_community, Role.CLERK)
    residency.declaration_create(
        by=her, community=other_community, grid=None, building="9", room="901"
    )
    services.account_close(user=her)
    return {
        "user": her,
        "project": project,
        "other": other,
        "decision": decision,
        "meeting": Meeting.objects.get(pk=item.meeting_id),
        "other_clerk": other_clerk,
    }


def _clean(text: str, where: str) -> None:
    for trace in TRACES:
        assert trace not in text, f"{trace} still on {where}"


def test_the_closed_account_leaves_no_name_or_number_on_any_page(
    closed: dict[str, Any], cast: dict[str, Any], community: Any
) -> None:
    viewer = Client()
    viewer.force_login(cast["clerk"])
    month = timezone.localdate().strftime("%Y-%m")
    pages = {
        "project": reverse("project-detail", args=[closed["project"].pk]),
        "objections": reverse("project-detail", args=[closed["other"].pk]),
        "roll-call": reverse("decision-detail", args=[closed["decision"].pk]),
        "meeting": reverse("meeting-detail", args=[closed["meeting"].pk]),
        "statement": reverse("money-statement", kwargs={"slug": community.slug, "month": month}),
        "money": reverse("money-project", args=[closed["project"].pk]),
        "residency queue": reverse("residents:queue", args=[community.slug]),
        "list": reverse("project-list"),
    }
    for where, url in pages.items():
        r = viewer.get(url)
        assert r.status_code == 200, (where, r.status_code)
        _clean(r.content.decode(), where)
    project_page = viewer.get(pages["project"]).content.decode()
    assert "小区路灯维修" in project_page and "已注销用户" in project_page
    assert "路灯坏了三个月" in project_page  # the comment stays, under 已注销用户
    # the inbox of the clerk she had asked to verify her
    inbox = Client()
    inbox.force_login(closed["other_clerk"])
    for url in (reverse("inbox"), reverse("residents:queue", args=["heping"])):
        r = inbox.get(url)
        assert r.status_code == 200
        _clean(r.content.decode(), url)


def test_the_closed_account_is_gone_from_the_api(
    closed: dict[str, Any], cast: dict[str, Any]
) -> None:
    api = APIClient()
    api.force_authenticate(cast["clerk"])
    p = closed["project"].pk
    for url in (
        f"/api/v1/projects/{p}/",
        f"/api/v1/projects/{p}/audit/",
        f"/api/v1/projects/{closed['other'].pk}/",
        f"/api/v1/decisions/{closed['decision'].pk}/",
        f"/api/v1/meetings/{closed['meeting'].pk}/",
        "/api/v1/projects/",
    ):
        r = api.get(url)
        assert r.status_code == 200, (url, r.status_code)
        _clean(r.content.decode(), url)
    decision = api.get(f"/api/v1/decisions/{closed['decision'].pk}/").json()
    assert "已注销用户" in str(decision)
    assert api.get(f"/api/v1/projects/{p}/").json()["title"] == "小区路灯维修"


def test_the_closed_account_shows_translated_in_english(
    closed: dict[str, Any], cast: dict[str, Any]
) -> None:
    viewer = Client()
    viewer.force_login(cast["clerk"])
    page = viewer.get(
        reverse("project-detail", args=[closed["project"].pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    _clean(page, "the English project page")
