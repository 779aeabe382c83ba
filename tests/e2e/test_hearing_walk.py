"""Issue 16's open gaps through the pages, on a phone (390×844), each page checked in zh-Hans,
zh-Hant and English (``page_checks``); screenshots in ``tests/e2e/artifacts/hearing/``.

1. A project over the community's hearing amount: the committee is told a hearing is needed →
   the clerk convenes one from the project page → a resident signs up to speak → the secretary
   opens it, records the speech and the answer, closes it, publishes the minutes → the
   committee may now open an approval, and the speech is on the project's timeline.
2. During execution the clerk revises a milestone with a reason (the public page says the plan
   changed) → at acceptance the council picks a resident representative by searching a name.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from deliberation import actions
from deliberation import execution as ex
from meetings import texts as meeting_texts
from meetings.models import HearingSpeaker, Meeting
from projects import services as ps
from projects.models import AcceptanceInspection, Milestone, Role, State
from tests.conftest import new_project
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cycle_walk import (  # noqa: F401 - fixtures used by name
    PHONE,
    Walk,
    driver,
    town,
)
from tests.e2e.test_meetings_walk import deliberating_project, open_details
from tests.projects.money_helpers import walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = ARTIFACTS / "hearing"


def _finish(w: Walk) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "failures.txt").write_text("\n".join(w.failures) + "\n", encoding="utf-8")
    assert not w.failures, "\n".join(w.failures)


def test_a_hearing_before_the_committee_decides(
    driver: Any,  # noqa: F811 - the cycle walk's fixture
    live_server: Any,
    town: dict[str, Any],  # noqa: F811
) -> None:
    c, people = town["community"], town["people"]
    c.hearing_amount = Decimal("5000.00")
    c.save()
    p = deliberating_project(town)  # assessed at 12,000 元
    note = meeting_texts.item_result(
        body="council",
        meeting="议事会",
        matter="建议批准",
        outcome="carried",
        present=1,
        total=1,
        quorum=1,
        yes=1,
        no=0,
        abstain=0,
        recused=0,
    )
    p = ps.project_recommend(project=p, by=people["council"], note=note, acting_role=Role.COUNCIL)
    w = Walk(driver, live_server.url, check=True, shots=SHOTS)
    # the committee sees why it cannot decide yet
    w.as_("cm1", PHONE)
    w.go(f"/projects/{p.pk}/")
    w.look("committee-hearing-needed")
    assert "需先召开听证会" in w.text() and "5,000.00" in w.text()
    assert not w.d.find_elements("css selector", "#id_motion option[value=approve]")

    # the clerk convenes the hearing from the project page
    w.as_("clerk", PHONE)
    w.go(f"/projects/{p.pk}/")
    w.look("clerk-hearing-needed")
    w.d.find_element("css selector", "#convene-hearing").click()
    w.d.find_element("css selector", "form")
    w.look("convene-hearing")
    w.press("/meetings/new/")
    meeting = Meeting.objects.get(body="hearing")
    assert meeting.items.get().project_id == p.pk

    # a resident signs up to speak
    w.as_("res2", PHONE)
    w.go(f"/meetings/{meeting.pk}/")
    w.look("hearing-signup")
    w.press(f"/meetings/{meeting.pk}/hearing/signup/", topic="灯光会不会照进卧室")
    w.look("hearing-signed-up")
    speaker = HearingSpeaker.objects.get(meeting=meeting)

    # the secretary holds it and records what was said and answered
    w.as_("clerk", PHONE)
    w.go(f"/meetings/{meeting.pk}/")
    w.press(f"/meetings/{meeting.pk}/open/")
    open_details(w)
    w.press(
        f"/meetings/speakers/{speaker.pk}/record/",
        summary="担心新灯照进二楼卧室",
        answer="选用带遮光罩的灯具，朝向楼道内侧",
    )
    w.look("hearing-speech-recorded")
    w.press(f"/meetings/{meeting.pk}/close/")
    w.press(
        f"/meetings/{meeting.pk}/minutes/", body="听证会 1 人发言，均已答复。", objection_days="0"
    )
    w.press(f"/meetings/{meeting.pk}/minutes/publish/")
    w.look("hearing-minutes-published")
    assert "选用带遮光罩的灯具" in w.text()

    # the committee may now decide; the speech is on the project's timeline
    w.as_("cm1", PHONE)
    w.go(f"/projects/{p.pk}/")
    w.look("committee-after-hearing")
    assert "需先召开听证会" not in w.text()
    assert w.d.find_elements("css selector", "#id_motion option[value=approve]")
    assert "担心新灯照进二楼卧室" in w.text() and "听证会已召开" in w.text()
    w.press(f"/projects/{p.pk}/decisions/open/", motion="approve", amount="12000")
    assert p.decisions.filter(result="open").exists()
    _finish(w)


def test_milestones_revised_and_a_representative_picked_by_name(
    driver: Any,  # noqa: F811
    live_server: Any,
    town: dict[str, Any],  # noqa: F811
) -> None:
    c, people = town["community"], town["people"]
    people["res3"].first_name = "王秀英"
    people["res3"].save()
    cast = {
        "resident": people["res1"],
        "clerk": people["clerk"],
        "council": people["council"],
        "committee": people["cm1"],
        "committee2": people["cm2"],
        "committee3": people["cm3"],
    }
    p = walk_to(new_project(c, people["res1"], title="小区健身角改造"), State.DELIBERATING, cast)
    today = timezone.localdate()
    ex.milestones_plan(
        project=p,
        by=people["clerk"],
        milestones=[
            ex.MilestoneInput("拆除旧器材", today + timedelta(days=3), Decimal("30")),
            ex.MilestoneInput("安装新器材", today + timedelta(days=8), Decimal("60")),
        ],
    )
    p = walk_to(p, State.EXECUTING, cast)
    second = Milestone.objects.get(project=p, name="安装新器材")
    w = Walk(driver, live_server.url, check=True, shots=SHOTS)
    w.as_("clerk", PHONE)
    w.go(f"/projects/{p.pk}/")
    open_details(w)
    w.look("revise-form")
    open_details(w)  # the page checks reloaded it in each language
    later = (second.planned_date + timedelta(days=14)).isoformat()
    w.d.execute_script(
        "var f=document.getElementById('revise-form');"
        "f.querySelector('[name=name_1]').value='安装新器材（分批）';"
        "f.querySelector('[name=date_1]').value=arguments[0];",
        later,
    )
    w.press(f"/projects/{p.pk}/milestones/revise/", reason="器材厂家分两批供货")
    w.as_("res4", PHONE)
    w.go(f"/projects/{p.pk}/")
    w.look("plan-changed-public")
    assert "实施计划已调整" in w.text() and "器材厂家分两批供货" in w.text()
    assert later in w.text()

    actions.act(project=p, name="deliver", by=people["clerk"], params={"report": "器材已安装"})
    w.as_("council", PHONE)
    w.go(f"/projects/{p.pk}/?rep_q=王#acceptance")
    w.look("representative-search")
    assert "王秀英" in w.text()
    w.d.find_element("css selector", f"#id_representatives_{people['res3'].pk}").click()
    w.press(f"/projects/{p.pk}/acceptance/representatives/")
    w.look("representative-named")
    inspection = AcceptanceInspection.objects.get(project=p)
    assert list(inspection.representatives.all()) == [people["res3"]]
    _finish(w)
