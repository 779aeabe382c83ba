"""The meeting pages as people see them: convening from the project page, invitations and the
calendar file, confirming, signing in (phone and the hall screen's QR code), voting, the
secretary closing the item, minutes on the project's timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from meetings import services
from meetings.demo import council_meeting
from meetings.models import Attendance, Body, Meeting
from projects.models import Community, Project, State

pytestmark = pytest.mark.django_db


def html(response: Any) -> str:
    return response.content.decode()


def convene_form(client: Client, project: Project) -> Any:
    start = timezone.localtime() + timedelta(hours=1)
    return client.post(
        f"/meetings/new/?project={project.pk}",
        {
            "body": "council",
            "title": "居民议事会三月会议",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "place": "议事厅",
            "projects": [project.pk],
        },
    )


def test_project_page_offers_a_meeting_not_a_free_text_recommendation(
    client_for: Any, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    page = html(client_for(cast["council"]).get(f"/projects/{deliberating.pk}/"))
    assert "/act/recommend/" not in page
    assert "召集议事会会议" in page and f"/meetings/new/?project={deliberating.pk}" in page
    page = html(Client().get(f"/projects/{deliberating.pk}/"))
    assert "尚未安排议事会会议" in page and "召集议事会会议" not in page


def test_clerk_convenes_from_the_project_and_members_are_invited(
    client_for: Any, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    form = client_for(cast["clerk"]).get(f"/meetings/new/?project={deliberating.pk}")
    assert form.status_code == 200 and deliberating.title in html(form)
    r = convene_form(client_for(cast["clerk"]), deliberating)
    meeting = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/meetings/{meeting.pk}/"
    assert meeting.items.get().project == deliberating
    assert meeting.invitations.count() == 3
    project_page = html(Client().get(f"/projects/{deliberating.pk}/"))
    assert "居民议事会三月会议" in project_page and "待召开" in project_page
    inbox = html(client_for(council[0]).get("/inbox/"))
    assert "我的会议" in inbox and f"/meetings/{meeting.pk}/" in inbox


def test_resident_cannot_convene(
    client_for: Any, cast: dict[str, Any], deliberating: Project
) -> None:
    assert client_for(cast["resident"]).get("/meetings/new/?community=xingfu").status_code == 403
    r = convene_form(client_for(cast["resident"]), deliberating)
    assert r.status_code == 403 and not Meeting.objects.exists()


def test_ics_download(cast: dict[str, Any], council: list[Any], deliberating: Project) -> None:
    now = timezone.now()
    m = services.meeting_create(
        community=deliberating.community, by=cast["clerk"], body=Body.COUNCIL,
        title="议事会, 三月", starts_at=now, ends_at=now + timedelta(hours=1), place="议事厅",
        items=[services.ItemSpec("议题一", deliberating)],
    )  # fmt: skip
    r = Client().get(f"/meetings/{m.pk}/meeting.ics")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    text = r.content.decode()
    assert "SUMMARY:议事会\\, 三月\r\n" in text and f"UID:meeting-{m.pk}@" in text
    assert "DESCRIPTION:1. 议题一\r\n" in text


def test_members_confirm_sign_in_vote_and_the_secretary_closes(
    client_for: Any, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    convene_form(client_for(cast["clerk"]), deliberating)
    m = Meeting.objects.get()
    item = m.items.get()
    member = client_for(council[0])
    page = html(member.get(f"/meetings/{m.pk}/"))
    assert "确认出席" in page and "手机签到" not in page
    assert member.post(f"/meetings/{m.pk}/confirm/").status_code == 302
    assert "您已确认出席" in html(member.get(f"/meetings/{m.pk}/"))
    # not open yet: signing in is refused with the reason
    r = member.post(f"/meetings/{m.pk}/signin/", {"how": "phone"})
    assert r.status_code == 409 and "会议进行中才能签到" in html(r)
    assert client_for(council[0]).post(f"/meetings/{m.pk}/open/").status_code == 403
    client_for(cast["clerk"]).post(f"/meetings/{m.pk}/open/")
    assert "手机签到" in html(member.get(f"/meetings/{m.pk}/"))
    member.post(f"/meetings/{m.pk}/signin/", {"how": "phone"})
    # the hall screen's QR code leads to the same sign-in
    screen = html(Client().get("/screen/xingfu/meeting/"))
    assert "<svg" in screen and "居民议事会三月会议" in screen
    qr = client_for(council[1])
    assert "签到" in html(qr.get(f"/meetings/{m.pk}/signin/?how=qr"))
    qr.post(f"/meetings/{m.pk}/signin/", {"how": "qr"})
    assert Attendance.objects.get(member=council[1]).how == "qr"
    page = html(member.get(f"/meetings/{m.pk}/"))
    assert "出席 2 / 3 人，法定人数 2 人" in page and "已达到法定人数" in page
    member.post(f"/meetings/items/{item.pk}/vote/", {"choice": "yes"})
    # the secretary enters the second member's show of hands
    client_for(cast["clerk"]).post(
        f"/meetings/items/{item.pk}/hands/", {f"vote-{council[1].pk}": "yes"}
    )
    page = html(client_for(cast["clerk"]).get(f"/meetings/{m.pk}/"))
    assert "举手表决，由秘书" in page
    r = client_for(cast["clerk"]).post(f"/meetings/items/{item.pk}/close/")
    assert r.status_code == 302
    deliberating.refresh_from_db()
    assert deliberating.state == State.DECIDING
    project_page = html(Client().get(f"/projects/{deliberating.pk}/"))
    assert "通过" in project_page and "赞成 2" in project_page


def test_a_second_vote_is_refused_with_the_reason(
    client_for: Any, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    m = services.meeting_create(
        community=deliberating.community, by=cast["clerk"], body=Body.COUNCIL, title="会议",
        starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=1), place="议事厅",
        items=[services.ItemSpec("议题", deliberating)],
    )  # fmt: skip
    services.meeting_open(meeting=m, by=cast["clerk"])
    services.attendance_sign(meeting=m, by=council[0])
    c = client_for(council[0])
    item = m.items.get()
    c.post(f"/meetings/items/{item.pk}/vote/", {"choice": "yes"})
    r = c.post(f"/meetings/items/{item.pk}/vote/", {"choice": "no"})
    assert r.status_code == 400 and "已就该议题表决" in html(r)


def test_published_minutes_are_on_the_project_timeline_and_the_public_list(
    client_for: Any, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    item = council_meeting(project=deliberating, secretary=cast["clerk"], members=council)
    m = item.meeting
    clerk = client_for(cast["clerk"])
    r = clerk.post(
        f"/meetings/{m.pk}/minutes/", {"body": "出席 3 人，一致赞成实施。", "objection_days": "1"}
    )
    assert r.status_code == 302
    # not public before the window ends
    assert "出席 3 人，一致赞成实施。" not in html(Client().get(f"/meetings/{m.pk}/"))
    page = html(client_for(council[0]).get(f"/meetings/{m.pk}/"))
    assert "对纪要提出异议" in page
    client_for(council[0]).post(f"/meetings/{m.pk}/minutes/object/", {"body": "请补充我的发言"})
    r = clerk.post(f"/meetings/{m.pk}/minutes/publish/")
    assert r.status_code == 409
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert clerk.post(f"/meetings/{m.pk}/minutes/publish/").status_code == 302
    page = html(Client().get(f"/meetings/{m.pk}/"))
    assert "出席 3 人，一致赞成实施。" in page and "请补充我的发言" in page
    timeline = html(Client().get(f"/projects/{deliberating.pk}/"))
    assert "会议纪要公布" in timeline and "出席 3 人，一致赞成实施。" in timeline
    assert "会议表决" in timeline
    listing = html(Client().get("/meetings/?community=xingfu"))
    assert "纪要已公布" in listing and m.title in listing


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_pages_answer_in_each_language(
    language: str, client_for: Any, cast: dict[str, Any], council: list[Any],
    deliberating: Project, community: Community,
) -> None:  # fmt: skip
    item = council_meeting(project=deliberating, secretary=cast["clerk"], members=council)
    c = client_for(council[0])
    c.cookies["django_language"] = language
    for url in (
        "/meetings/",
        f"/meetings/{item.meeting_id}/",
        "/screen/xingfu/meeting/",
        f"/projects/{deliberating.pk}/",
        "/inbox/",
        "/meetings/new/?community=xingfu",
    ):
        r = c.get(url)
        assert r.status_code == 200, url
        assert f'lang="{language}"' in html(r), url
