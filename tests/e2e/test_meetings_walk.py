"""A council meeting through the pages, everyone on a phone (390×844): the clerk convenes it from
the project page → the members confirm → sign in on their phones (one by the hall screen's QR
code) → vote (one by the secretary's show of hands) → the secretary closes the item and the
project is in 党委决策 → minutes written, objected to, published after the window, and on the
project's timeline. Every page is checked in zh-Hans, zh-Hant and English (``page_checks``);
screenshots go to ``tests/e2e/artifacts/meetings/``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from deliberation import actions
from meetings.models import Attendance, ItemVote, Meeting
from projects.models import Project, State
from tests.conftest import new_project
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cycle_walk import (  # noqa: F401 - fixtures used by name
    PHONE,
    Clock,
    Walk,
    _person,
    driver,
    town,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = ARTIFACTS / "meetings"


def deliberating_project(place: dict[str, Any]) -> Project:
    """A proposal already through co-signing, 初审 and 可行性评估 (the cycle walk does those by
    hand; this walk is about the meeting)."""
    c, people = place["community"], place["people"]
    p = new_project(c, people["res1"], title="3号楼楼道照明改造", submit=True)
    Project.objects.filter(pk=p.pk).update(cosign_count=c.cosign_threshold)
    p = actions.fire(project=p, name="reach_threshold", by=None)
    p = actions.act(project=p, name="accept", by=people["clerk"])
    return actions.act(
        project=p,
        name="assess",
        by=people["clerk"],
        params={
            "assessed_cost": Decimal("12000.00"),
            "plan": "更换声控灯 24 盏",
            "duration_days": 10,
        },
    )


def open_details(w: Walk) -> None:
    w.d.execute_script(
        "document.querySelectorAll('main details').forEach(function (d) { d.open = true; });"
    )


def test_a_council_meeting_recommends_the_project(
    driver: Any,  # noqa: F811 - the cycle walk's fixture
    live_server: Any,
    town: dict[str, Any],  # noqa: F811
) -> None:
    c = town["community"]
    for name in ("council2", "council3"):
        town["people"][name] = _person(name, c, "council")
    p = deliberating_project(town)
    w = Walk(driver, live_server.url, check=True, shots=SHOTS)
    clock = Clock()
    try:
        # the clerk convenes the council from the project page
        w.as_("clerk", PHONE)
        w.go(f"/projects/{p.pk}/")
        w.look("project-deliberating")
        assert "/act/recommend/" not in w.d.page_source
        link = f"/meetings/new/?project={p.pk}"
        assert link in w.d.page_source, "the council's step does not offer a meeting"
        w.go(link)
        w.look("convene")
        w.press("/meetings/new/")
        meeting = Meeting.objects.get()
        item = meeting.items.get()
        assert item.project_id == p.pk
        w.look("meeting-planned")
        assert "居民议事会会议" in w.text() and "0 / 3" in w.text()

        # the members see it in their inbox and confirm
        for who in ("council", "council2", "council3"):
            w.as_(who, PHONE)
            w.go("/inbox/")
            if who == "council":
                w.look("inbox")
            assert f"/meetings/{meeting.pk}/" in w.d.page_source
            w.go(f"/meetings/{meeting.pk}/")
            w.press(f"/meetings/{meeting.pk}/confirm/")
        w.look("confirmed")
        assert meeting.invitations.filter(confirmed_at__isnull=False).count() == 3

        # on the day: the secretary opens the meeting, members sign in
        w.as_("clerk", PHONE)
        w.go(f"/meetings/{meeting.pk}/")
        w.press(f"/meetings/{meeting.pk}/open/")
        w.as_("council", PHONE)
        w.go(f"/meetings/{meeting.pk}/")
        w.press(f"/meetings/{meeting.pk}/signin/")
        w.look("signed-in")
        w.go(f"/screen/{c.slug}/meeting/")
        w.look("hall-screen")
        assert w.d.find_elements("css selector", ".qr-code svg"), "no QR code on the hall screen"
        qr = w.d.find_element("css selector", ".qr-sign a").get_attribute("href")
        w.as_("council2", PHONE)
        w.d.get(qr)  # what scanning the code opens
        w.look("qr-sign-in")
        w.press(f"/meetings/{meeting.pk}/signin/")
        w.as_("council3", PHONE)
        w.go(f"/meetings/{meeting.pk}/")
        w.press(f"/meetings/{meeting.pk}/signin/")
        assert Attendance.objects.get(meeting=meeting, member__username="council2").how == "qr"
        assert "已达到法定人数" in w.text()

        # votes: two on their phones, the third by the secretary's show of hands
        for who in ("council", "council2"):
            w.as_(who, PHONE)
            w.go(f"/meetings/{meeting.pk}/")
            w.press(f"/meetings/items/{item.pk}/vote/", value="yes")
        w.look("voted")
        w.as_("clerk", PHONE)
        w.go(f"/meetings/{meeting.pk}/")
        open_details(w)
        third = town["people"]["council3"]
        w.press(f"/meetings/items/{item.pk}/hands/", **{f"vote-{third.pk}": "no"})
        assert ItemVote.objects.get(item=item, member=third).entered_by == town["people"]["clerk"]
        w.look("show-of-hands")
        assert "举手表决，由秘书" in w.text()
        w.press(f"/meetings/items/{item.pk}/close/")
        w.expect(p.pk, State.DECIDING)
        w.look("item-closed")

        # minutes: written after the meeting, objected to, published after the window
        w.press(f"/meetings/{meeting.pk}/close/")
        w.press(
            f"/meetings/{meeting.pk}/minutes/",
            body="议事会成员 3 人出席，达到法定人数。2 票赞成，1 票反对，建议党委批准实施。",
            objection_days="1",
        )
        w.look("minutes-written")
        w.as_("council3", PHONE)
        w.go(f"/meetings/{meeting.pk}/")
        w.press(
            f"/meetings/{meeting.pk}/minutes/object/", body="请记录我反对的理由：选址离住户太近。"
        )
        clock.advance(timedelta(days=1, minutes=5))
        w.as_("clerk", PHONE)
        w.go(f"/meetings/{meeting.pk}/")
        w.press(f"/meetings/{meeting.pk}/minutes/publish/")
        w.look("minutes-published")

        # everyone: the project's timeline and the public meetings page
        w.as_("res2", PHONE)
        w.go(f"/projects/{p.pk}/")
        w.look("project-timeline")
        text = w.text()
        assert "会议纪要公布" in text and "建议党委批准实施" in text and "会议表决" in text
        w.go(f"/meetings/?community={c.slug}")
        w.look("meetings-list")
        assert "纪要已公布" in w.text()
    finally:
        clock.stop()
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "failures.txt").write_text("\n".join(w.failures) + "\n", encoding="utf-8")
    assert not w.failures, "\n".join(w.failures)
