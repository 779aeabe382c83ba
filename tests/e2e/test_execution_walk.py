"""Execution and acceptance through the pages, on phones (390×844): the clerk plans milestones,
posts progress with a photo; the project list and page show the bar and the next milestone; the
clerk requests acceptance; the council names a resident representative; the two inspectors sign
on their phones — the first round fails (reasons on the record, back to execution), the second
passes and the public evaluation opens; a milestone left undone past its date shows as late.

Every page is checked (``page_checks.problems``: console errors, overflow at 390 px, contrast,
axe-core) in zh-Hans, zh-Hant and English; screenshots in ``tests/e2e/artifacts/execution/``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from selenium.webdriver.common.by import By

from deliberation import actions, services
from projects.models import (
    Membership,
    Milestone,
    ProgressPhoto,
    Project,
    ProjectEvent,
    Role,
    State,
)
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cycle_walk import PHONE, Walk, driver, photo, tick_items, town  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "execution"


def _assessing(place: dict[str, Any]) -> Project:
    """A proposal the clerk is assessing (set up with the services: not what this walk is about)."""
    people = place["people"]
    project = actions.create(
        by=people["res1"],
        community=place["community"],
        title="小区路灯更换",
        summary="小区主干道路灯老化，晚上一片漆黑，希望全部更换为 LED 路灯。",
        submit=True,
    )
    for who in ("res2", "res3"):
        services.cosign_add(project=project, by=people[who])
    project.refresh_from_db()
    return actions.act(project=project, name="accept", by=people["clerk"], params={})


def _to_execution(project: Project, place: dict[str, Any]) -> Project:
    people = place["people"]
    project = actions.act(
        project=project,
        name="assess",
        by=people["clerk"],
        params={"assessed_cost": "20000.00", "plan": "更换 16 盏 LED 路灯。", "duration_days": 20},
    )
    # the council's step: a council meeting's recorded vote (meetings/demo.py runs one)
    from meetings.demo import council_meeting

    council = [
        m.user
        for m in Membership.objects.current().filter(community=project.community, role=Role.COUNCIL)
    ]
    council_meeting(project=project, secretary=people["clerk"], members=council)
    project.refresh_from_db()
    decision = services.decision_open(
        project=project, by=people["cm1"], motion="approve", amount="20000.00"
    )
    for member in ("cm1", "cm2", "cm3"):
        services.decision_vote(decision=decision, by=people[member], choice="yes")
    services.decision_close(decision=decision, by=people["cm1"], minutes="全票赞成")
    Project.objects.filter(pk=project.pk).update(
        publicity_ends_at=timezone.now() - timedelta(minutes=1)
    )
    project.refresh_from_db()
    return actions.act(project=project, name="start_execution", by=people["clerk"], params={})


def test_progress_and_acceptance_on_phones(
    driver: Any,  # noqa: F811
    live_server: Any,
    town: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    w = Walk(driver, live_server.url, check=True, shots=SHOTS)
    try:
        project = _assessing(town)
        pk = project.pk
        today = timezone.localdate()
        # The clerk plans the milestones on the phone while assessing.
        w.as_("clerk", PHONE)
        w.go(f"/projects/{pk}/")
        for field, when in (("date_0", 20), ("date_1", 2)):  # a date picker, set as it sets it
            w.d.execute_script(
                "document.getElementsByName(arguments[0])[0].value = arguments[1];",
                field,
                (today - timedelta(days=when)).isoformat(),
            )
        w.press(
            f"/projects/{pk}/milestones/",
            name_0="采购路灯",
            share_0="40",
            name_1="安装调试",
            share_1="60",
        )
        names = list(Milestone.objects.filter(project_id=pk).values_list("name", flat=True))
        assert names == ["采购路灯", "安装调试"], w.text()[:1500]
        w.look("milestones-planned")
        project = _to_execution(Project.objects.get(pk=pk), town)
        # The clerk posts progress with a photo: the first milestone done.
        w.go(f"/projects/{pk}/")
        w.look("executing")
        first = Milestone.objects.get(project_id=pk, name="采购路灯")
        form = w.form(f"/projects/{pk}/progress/")
        form.find_element(By.NAME, "milestone_done").click()
        w.press(
            f"/projects/{pk}/progress/",
            percent="60",
            body="16 盏路灯已到货，开始安装。",
            contractor="明亮照明工程队",
            milestone=str(first.pk),
            photos=photo(tmp_path),
            stage="before",
        )
        assert ProgressPhoto.objects.filter(post__project_id=pk, stage="before").count() == 1
        assert "16 盏路灯已到货" in w.text()
        # 安装调试 was due two days ago: the page says it is late.
        assert "逾期 2 天" in w.text(), w.text()[:2000]
        w.look("progress-posted")
        w.go("/projects/")
        assert "60%" in w.text() and "安装调试" in w.text()
        w.look("list-with-progress")
        # The clerk requests acceptance.
        w.go(f"/projects/{pk}/")
        w.press(f"/projects/{pk}/act/deliver/", report="16 盏路灯已安装，申请验收。")
        assert Project.objects.get(pk=pk).state == State.ACCEPTING
        # The council names res5 as a resident representative, then signs: fail.
        w.as_("council", PHONE)
        res5 = get_user_model().objects.get(username="res5")
        w.go(f"/projects/{pk}/?rep_q={res5.get_full_name() or res5.username}#acceptance")
        w.d.find_element(By.CSS_SELECTOR, f"#id_representatives_{res5.pk}").click()  # picked
        w.press(f"/projects/{pk}/acceptance/representatives/")
        w.look("acceptance-open")
        tick_items(w, pk, fail_first=True)
        w.press(f"/projects/{pk}/acceptance/sign/", value="0", reasons="2 号路灯不亮。")
        assert Project.objects.get(pk=pk).state == State.ACCEPTING  # res5 still to sign
        w.look("council-signed")
        w.as_("res5", PHONE)
        w.go(f"/projects/{pk}/")
        tick_items(w, pk)
        w.press(f"/projects/{pk}/acceptance/sign/", value="1")
        assert Project.objects.get(pk=pk).state == State.EXECUTING  # 1 of 2: no majority
        back = ProjectEvent.objects.get(project_id=pk, action="not_accepted")
        assert "2 号路灯不亮" in back.reason
        w.look("not-accepted")
        # Put right; acceptance requested again; both pass.
        w.as_("clerk", PHONE)
        w.go(f"/projects/{pk}/")
        w.press(f"/projects/{pk}/act/deliver/", report="2 号路灯已更换，再次申请验收。")
        for who in ("council", "res5"):
            w.as_(who, PHONE)
            w.go(f"/projects/{pk}/")
            tick_items(w, pk)
            w.press(f"/projects/{pk}/acceptance/sign/", value="1")
        assert Project.objects.get(pk=pk).state == State.EVALUATING
        w.look("accepted-evaluating")
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "failures.txt").write_text("\n".join(w.failures) + "\n", encoding="utf-8")
    assert not w.failures, "\n".join(w.failures)
