"""The whole cycle through the meetings, in the browser: a council meeting with attendance and a
recorded vote → a committee meeting deciding by the roll-call (members sign in and vote on their
phones, one by the secretary's show of hands) → 公示 → milestones → a late milestone and the
project past its planned completion, escalated by the clock's tick → acceptance failed once, then
passed → the public evaluation opens.

Residents and members at 390×844; time moves with time-machine (the live server runs in this
process). Key pages are checked in zh-Hans, zh-Hant and English (``page_checks`` through
``Walk.look``); screenshots in ``tests/e2e/artifacts/meetings_cycle/``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from selenium.webdriver.common.by import By

from deliberation.models import Decision, DecisionVote
from meetings.models import Body, Meeting
from notifications.models import Notification
from projects.models import Milestone, Project, ProjectEvent, State
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cycle_walk import (  # noqa: F401 - fixtures used by name
    DESK,
    PHONE,
    Clock,
    Walk,
    acceptance,
    cosign,
    council_recommends,
    driver,
    photo,
    propose,
    screen_and_assess,
    town,
)
from tests.e2e.test_meetings_walk import open_details

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = ARTIFACTS / "meetings_cycle"


def committee_meeting_decides(w: Walk, pk: int, slug: str, people: dict[str, Any]) -> None:
    """cm1 convenes a committee meeting from the project page and puts the project to the
    roll-call; cm1 and cm2 vote on their phones, cm3's raised hand is entered by the secretary;
    closing the item closes the roll-call and the project goes to 公示."""
    w.as_("cm1", PHONE)
    w.go(f"/projects/{pk}/")
    w.look("deciding")
    link = f"/meetings/new/?project={pk}&body=committee"
    assert link.replace("&", "&amp;") in w.d.page_source, "no committee meeting offered"
    w.go(link)
    w.look("committee-convene")
    w.press("/meetings/new/")
    meeting = Meeting.objects.latest("pk")
    assert meeting.body == Body.COMMITTEE
    item = meeting.items.get()
    w.press(f"/meetings/{meeting.pk}/open/")
    w.press(f"/meetings/{meeting.pk}/signin/")
    for who in ("cm2", "cm3"):
        w.as_(who, PHONE)
        w.go(f"/meetings/{meeting.pk}/")
        assert "请等待秘书发起党委决策表决" in w.text()
        w.press(f"/meetings/{meeting.pk}/signin/")
    w.as_("cm1", PHONE)
    w.go(f"/meetings/{meeting.pk}/")
    w.press(
        f"/meetings/items/{item.pk}/rollcall/",
        motion="approve",
        amount="12000.00",
        reason="居民议事会建议实施",
    )
    w.look("committee-rollcall-open")
    w.press(f"/meetings/items/{item.pk}/vote/", value="yes")
    w.as_("cm2", PHONE)
    w.go(f"/meetings/{meeting.pk}/")
    w.press(f"/meetings/items/{item.pk}/vote/", value="yes")
    w.go(f"/screen/{slug}/meeting/")
    counts = w.d.find_element(By.CSS_SELECTOR, '[data-count="yes"]').text
    assert counts == "2", w.text()[:1000]
    w.look("hall-screen-committee")
    w.as_("cm1", PHONE)
    w.go(f"/meetings/{meeting.pk}/")
    open_details(w)
    cm3 = people["cm3"]
    w.press(f"/meetings/items/{item.pk}/hands/", **{f"vote-{cm3.pk}": "yes"})
    assert DecisionVote.objects.get(member=cm3).entered_by == people["cm1"]
    assert "举手表决，由秘书" in w.text()
    w.press(f"/meetings/items/{item.pk}/close/")
    w.expect(pk, State.PUBLICIZING)
    decision = Decision.objects.get(project_id=pk)
    assert decision.in_meeting and decision.result == Decision.Result.CARRIED
    assert (decision.present, decision.yes) == (3, 3)
    w.look("committee-decided")
    w.press(f"/meetings/{meeting.pk}/close/")


def plan_milestones(w: Walk, pk: int) -> None:
    """The clerk plans two milestones during 公示 (before work starts)."""
    w.as_("clerk", PHONE)
    w.go(f"/projects/{pk}/")
    today = timezone.localdate()
    for field, days in (("date_0", 10), ("date_1", 14)):  # a date picker, set as it sets it
        w.d.execute_script(
            "document.getElementsByName(arguments[0])[0].value = arguments[1];",
            field,
            (today + timedelta(days=days)).isoformat(),
        )
    w.press(
        f"/projects/{pk}/milestones/",
        name_0="采购声控灯",
        share_0="40",
        name_1="安装调试",
        share_1="60",
    )
    names = list(Milestone.objects.filter(project_id=pk).values_list("name", flat=True))
    assert names == ["采购声控灯", "安装调试"], w.text()[:1500]
    w.look("milestones-planned")


def work_starts_and_runs_late(w: Walk, clock: Clock, pk: int, picture: str) -> None:
    clock.advance(timedelta(days=8))  # past the 7-day 公示
    w.as_("clerk", PHONE)
    w.go(f"/projects/{pk}/")
    w.press(f"/projects/{pk}/act/start_execution/")
    w.expect(pk, State.EXECUTING)
    first = Milestone.objects.get(project_id=pk, name="采购声控灯")
    form = w.form(f"/projects/{pk}/progress/")
    form.find_element(By.NAME, "milestone_done").click()
    w.press(
        f"/projects/{pk}/progress/",
        percent="50",
        body="24 盏声控灯已到货。",
        contractor="明亮照明工程队",
        milestone=str(first.pk),
        photos=picture,
        stage="before",
    )
    assert "24 盏声控灯已到货" in w.text()
    w.look("progress-posted")
    clock.advance(timedelta(days=12))  # 安装调试 past its date; the 10-day plan overrun
    call_command("tick")  # the clock process: warns and escalates what is late
    assert ProjectEvent.objects.filter(project_id=pk, action="overdue").exists()
    assert Notification.objects.filter(kind="milestone.late").exists()
    w.as_("cm1", PHONE)
    w.go("/inbox/")
    assert Notification.objects.filter(recipient__username="cm1", kind="project.overdue").exists()
    w.look("committee-told-late")
    w.as_("res2", PHONE)
    w.go(f"/projects/{pk}/")
    assert "逾期" in w.text(), w.text()[:2000]
    w.look("late-public")


def test_the_cycle_through_the_meetings(
    driver: Any,  # noqa: F811 - the cycle walk's fixture
    live_server: Any,
    town: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    w = Walk(driver, live_server.url, check=True, shots=SHOTS)
    clock = Clock()
    picture = photo(tmp_path)
    try:
        pk = propose(w, tmp_path, "3号楼楼道照明改造")
        cosign(w, pk)
        screen_and_assess(w, pk)
        council_recommends(w, pk)  # a council meeting: attendance and a recorded vote
        council = Meeting.objects.get(body=Body.COUNCIL)
        w.as_("clerk", PHONE)  # the secretary ends the council meeting
        w.go(f"/meetings/{council.pk}/")
        w.press(f"/meetings/{council.pk}/close/")
        w.as_("council", PHONE)
        w.go(f"/meetings/{council.pk}/")
        assert council.attendances.count() == 1 and "赞成" in w.text()
        w.look("council-meeting")
        committee_meeting_decides(w, pk, town["community"].slug, town["people"])
        plan_milestones(w, pk)
        work_starts_and_runs_late(w, clock, pk, picture)
        w.as_("clerk", DESK)
        w.go(f"/projects/{pk}/")
        w.press(f"/projects/{pk}/act/deliver/", report="24 盏声控灯已安装，申请验收。")
        w.expect(pk, State.ACCEPTING)
        acceptance(w, pk, passed=False)
        w.expect(pk, State.EXECUTING)
        w.as_("clerk", PHONE)
        w.go(f"/projects/{pk}/")
        assert "5 楼两盏灯不亮" in w.text(), "the reasons are not on the record"
        w.press(f"/projects/{pk}/act/deliver/", report="已更换 5 楼两盏灯，再次申请验收。")
        w.expect(pk, State.ACCEPTING)
        acceptance(w, pk, passed=True)
        w.expect(pk, State.EVALUATING)
        w.as_("res3", PHONE)
        w.go(f"/projects/{pk}/")
        assert w.d.find_elements(By.CSS_SELECTOR, f"form[action*='/projects/{pk}/evaluate/']")
        w.look("evaluation-open")
        actions = set(ProjectEvent.objects.filter(project_id=pk).values_list("action", flat=True))
        assert {"meeting_vote", "meeting_rollcall", "approve", "overdue"} <= actions, actions
        assert Project.objects.get(pk=pk).state == State.EVALUATING
    finally:
        clock.stop()
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "failures.txt").write_text("\n".join(w.failures) + "\n", encoding="utf-8")
    assert not w.failures, "\n".join(w.failures)
