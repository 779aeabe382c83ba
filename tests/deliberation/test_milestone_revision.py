"""Milestones revised while the work runs: the clerk changes, adds or removes milestones not yet
done (done ones are locked) with a reason; each change is an audit row with before / after; the
planned completion follows the new plan, and the public page says the plan changed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from deliberation import execution as ex
from projects import execution as pe
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Milestone, Project, ProjectEvent, State
from tests.conftest import new_project
from tests.projects.money_helpers import walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def executing(cast: dict[str, Any], community: Any, fund: Any) -> Project:
    project = walk_to(new_project(community, cast["resident"]), State.DELIBERATING, cast)
    today = timezone.localdate()
    ex.milestones_plan(
        project=project,
        by=cast["clerk"],
        milestones=[
            ex.MilestoneInput("拆除旧灯", today + timedelta(days=3), Decimal("30")),
            ex.MilestoneInput("安装新灯", today + timedelta(days=6), Decimal("60")),
        ],
    )
    return walk_to(project, State.EXECUTING, cast)


def stones(p: Project) -> tuple[Milestone, Milestone]:
    first, second = Milestone.objects.filter(project=p).order_by("planned_date")
    return first, second


def finish_first(p: Project, cast: dict[str, Any]) -> Milestone:
    first, _second = stones(p)
    ex.progress_post(
        project=p,
        by=cast["clerk"],
        percent=30,
        body="旧灯已拆",
        milestone=first.pk,
        milestone_done=True,
    )
    first.refresh_from_db()
    return first


def test_clerk_revises_with_a_reason_each_change_audited_and_the_end_recomputed(
    executing: Project, cast: dict[str, Any]
) -> None:
    finish_first(executing, cast)
    _first, second = stones(executing)
    later = second.planned_date + timedelta(days=20)
    ex.milestones_revise(
        project=executing,
        by=cast["clerk"],
        reason="灯具缺货，供应商延期",
        milestones=[
            ex.MilestoneRevision(second.pk, "安装节能灯", later, Decimal("50")),
            ex.MilestoneRevision(None, "调试验收", later + timedelta(days=5), Decimal("20")),
        ],
    )
    executing.refresh_from_db()
    assert pe.planned_completion(executing) == later + timedelta(days=5)
    assert pe.schedule(executing).planned_end == later + timedelta(days=5)
    change = ProjectEvent.objects.get(project=executing, action="milestone_change")
    assert change.actor == cast["clerk"] and change.reason == "灯具缺货，供应商延期"
    assert change.params["before"] == {
        "name": "安装新灯",
        "date": second.planned_date.isoformat(),
        "share": "60",
    }
    assert change.params["after"]["name"] == "安装节能灯"
    assert "安装新灯" in change.note and "安装节能灯" in change.note
    added = ProjectEvent.objects.get(project=executing, action="milestone_add")
    assert added.params["before"] is None and "调试验收" in added.note
    # removing a not-done milestone: left out of the revision
    ex.milestones_revise(
        project=executing,
        by=cast["clerk"],
        reason="并入安装",
        milestones=[ex.MilestoneRevision(second.pk, "安装节能灯", later, Decimal("50"))],
    )
    removed = ProjectEvent.objects.get(project=executing, action="milestone_remove")
    assert removed.params["before"]["name"] == "调试验收" and removed.params["after"] is None
    executing.refresh_from_db()
    assert pe.planned_completion(executing) == later


def test_done_milestones_are_locked_and_the_rules_hold(
    executing: Project, cast: dict[str, Any]
) -> None:
    first = finish_first(executing, cast)
    _f, second = stones(executing)
    keep = ex.MilestoneRevision(second.pk, second.name, second.planned_date, Decimal("60"))
    with pytest.raises(Conflict, match="已完成的节点不能修改"):
        ex.milestones_revise(
            project=executing,
            by=cast["clerk"],
            reason="改",
            milestones=[
                keep,
                ex.MilestoneRevision(first.pk, "改名", first.planned_date, Decimal("30")),
            ],
        )
    with pytest.raises(Invalid, match="100%"):  # 30 done + 71 > 100
        ex.milestones_revise(
            project=executing,
            by=cast["clerk"],
            reason="改",
            milestones=[
                ex.MilestoneRevision(second.pk, second.name, second.planned_date, Decimal("71"))
            ],
        )
    with pytest.raises(Invalid, match="理由"):
        ex.milestones_revise(project=executing, by=cast["clerk"], reason=" ", milestones=[keep])
    with pytest.raises(Invalid, match="没有变化"):
        ex.milestones_revise(project=executing, by=cast["clerk"], reason="无", milestones=[keep])
    with pytest.raises(Forbidden):
        ex.milestones_revise(project=executing, by=cast["council"], reason="改", milestones=[])
    assert not ProjectEvent.objects.filter(
        project=executing, action__startswith="milestone_"
    ).exists()
    Project.objects.filter(pk=executing.pk).update(state=State.CLOSED)
    with pytest.raises(Conflict):
        ex.milestones_revise(project=executing, by=cast["clerk"], reason="改", milestones=[])


def test_the_late_warning_uses_the_new_dates(executing: Project, cast: dict[str, Any]) -> None:
    _first, second = stones(executing)
    assert executing.duration_days is not None
    moment = timezone.now() + timedelta(days=executing.duration_days + 3)
    with time_machine.travel(moment, tick=False):
        assert pe.schedule(executing).late and second.is_late
        new_date = timezone.localdate() + timedelta(days=10)
        ex.milestones_revise(
            project=executing,
            by=cast["clerk"],
            reason="雨季停工",
            milestones=[
                ex.MilestoneRevision(
                    _first.pk, _first.name, new_date - timedelta(days=5), Decimal("30")
                ),
                ex.MilestoneRevision(second.pk, second.name, new_date, Decimal("60")),
            ],
        )
        executing.refresh_from_db()
        s = pe.schedule(executing)
        assert not s.late and s.late_milestones == [] and s.planned_end == new_date


# --- pages and API -------------------------------------------------------------------------
def test_revision_form_page_and_public_notice_in_three_languages(
    executing: Project, cast: dict[str, Any], client_for: Any
) -> None:
    first = finish_first(executing, cast)
    _f, second = stones(executing)
    clerk = client_for(cast["clerk"])
    for lang in ("zh-hans", "zh-hant", "en"):
        page = clerk.get(f"/projects/{executing.pk}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert 'id="revise-form"' in page, lang
        assert f'name="id_0" value="{second.pk}"' in page  # only the not-done one is editable
        assert f'name="id_1" value="{first.pk}"' not in page
    assert (
        'id="revise-form"'
        not in client_for(cast["resident"]).get(f"/projects/{executing.pk}/").content.decode()
    )
    url = f"/projects/{executing.pk}/milestones/revise/"
    new_date = (second.planned_date + timedelta(days=9)).isoformat()
    form = {
        "id_0": second.pk,
        "name_0": "安装节能灯",
        "date_0": new_date,
        "share_0": "60",
        "id_1": "",
        "name_1": "",
        "reason": "灯具缺货",
    }
    assert client_for(cast["resident"]).post(url, form).status_code == 403
    assert clerk.post(url, form | {"reason": ""}).status_code == 400
    r = clerk.post(url, form)
    assert r.status_code == 302
    for lang in ("zh-hans", "zh-hant", "en"):
        public = (
            Client().get(f"/projects/{executing.pk}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        )
        assert 'id="plan-changes"' in public and "灯具缺货" in public and new_date in public, lang
    Project.objects.filter(pk=executing.pk).update(state=State.CLOSED)
    assert clerk.post(url, form | {"name_0": "再改"}).status_code == 409


def test_api_revises(executing: Project, cast: dict[str, Any]) -> None:
    _f, second = stones(executing)
    c = APIClient()
    c.force_authenticate(cast["clerk"])
    later = (second.planned_date + timedelta(days=4)).isoformat()
    body = {
        "reason": "延期",
        "milestones": [
            {
                "id": _f.pk,
                "name": _f.name,
                "planned_date": _f.planned_date.isoformat(),
                "budget_share": "30",
            },
            {"id": second.pk, "name": second.name, "planned_date": later, "budget_share": "60"},
        ],
    }
    r = c.post(f"/api/v1/projects/{executing.pk}/milestones/revise/", body, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["planned_end"] == later
    c.force_authenticate(cast["resident"])
    assert (
        c.post(
            f"/api/v1/projects/{executing.pk}/milestones/revise/", body, format="json"
        ).status_code
        == 403
    )
