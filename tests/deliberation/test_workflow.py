"""The viewflow process follows the project: one open task per step, in the right inbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from deliberation import actions, services, workflow
from meetings.demo import council_meeting
from notifications.models import Notification
from projects.models import Project, State
from tests.conftest import new_project


def step_names(project: Any) -> list[str]:
    return [i.task.flow_task.name for i in workflow.project_tasks(project)]


def cosign_to_threshold(project: Any, make_resident: Any) -> None:
    for _ in range(project.community.cosign_threshold):
        services.cosign_add(project=project, by=make_resident())


def test_submitting_starts_process_and_threshold_opens_screening_task(
    cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    p = new_project(cast["resident"].memberships.first().community, cast["resident"])
    assert workflow.process_for(p) is None
    p = actions.act(project=p, name="submit", by=cast["resident"])
    assert workflow.process_for(p) is not None
    assert step_names(p) == []  # co-signing waits on a handle, not in anybody's inbox
    cosign_to_threshold(p, make_resident)
    p.refresh_from_db()
    assert p.state == State.SCREENING
    assert step_names(p) == ["screen"]
    assert [i.project.pk for i in workflow.inbox(cast["clerk"])] == [p.pk]
    assert workflow.inbox(cast["resident"]) == []
    assert workflow.inbox(cast["council"]) == []


def test_each_step_moves_task_to_next_role(
    cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    c = cast["resident"].memberships.first().community
    p = new_project(c, cast["resident"], submit=True)
    cosign_to_threshold(p, make_resident)
    p = actions.act(project=p, name="accept", by=cast["clerk"])
    assert step_names(p) == ["assess"]
    p = actions.act(
        project=p,
        name="assess",
        by=cast["clerk"],
        params={
            "assessed_cost": Decimal("12000.00"),
            "plan": "更换 24 盏 LED 灯",
            "duration_days": 10,
        },
    )
    assert step_names(p) == ["council"]
    assert [i.project.pk for i in workflow.inbox(cast["council"])] == [p.pk]
    council_meeting(project=p, secretary=cast["council"], members=[cast["council"]])
    p.refresh_from_db()
    assert step_names(p) == ["decide"]
    d = services.decision_open(
        project=p, by=cast["committee"], motion="approve", amount=Decimal("12000.00")
    )
    for key in ("committee", "committee2", "committee3"):
        services.decision_vote(decision=d, by=cast[key], choice="yes")
    services.decision_close(decision=d, by=cast["committee"], minutes="同意")
    p.refresh_from_db()
    assert p.state == State.PUBLICIZING
    assert step_names(p) == ["publicity"]
    done = Task.objects.filter(
        process__projectprocess__project=p, flow_task_type="HUMAN", status="DONE"
    )
    owners = {t.flow_task.name: t.owner.username for t in done}
    assert owners == {
        "screen": "clerk",
        "assess": "clerk",
        "council": "council",
        "decide": "committee",
    }


def test_overdue_task_reminds_then_escalates(
    cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    c = cast["resident"].memberships.first().community
    p = new_project(c, cast["resident"], submit=True)
    cosign_to_threshold(p, make_resident)
    item = workflow.project_tasks(p)[0]
    assert item.due_at is not None
    assert item.due_at - timezone.now() > timedelta(days=c.task_due_days) - timedelta(minutes=1)
    Task.objects.filter(previous=item.task, flow_task_type="TIMER").update(
        scheduled=timezone.now() - timedelta(minutes=1)
    )
    assert workflow.overdue(place=c.parent)[0].project.pk == p.pk
    assert fire_due_timers() == 1
    assert Notification.objects.filter(recipient=cast["clerk"], kind="task.reminder").count() == 1
    assert not Notification.objects.filter(kind="task.escalation").exists()
    Task.objects.filter(flow_task_type="TIMER", status="SCHEDULED").update(
        scheduled=timezone.now() - timedelta(minutes=1)
    )
    assert fire_due_timers() == 1
    assert (
        Notification.objects.filter(recipient=cast["supervisor"], kind="task.escalation").count()
        == 1
    )
    assert step_names(p) == ["screen"]  # a reminder never takes the task away


def test_a_proposal_created_and_submitted_through_the_api_starts_its_process(
    cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(cast["resident"])
    r = client.post(
        "/api/v1/projects/",
        {
            "community": "xingfu",
            "title": "小区路灯改造",
            "summary": "东门到 5 号楼没有路灯。",
            "submit": True,
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["state"] == "collecting"
    p = Project.objects.get(pk=r.json()["id"])
    assert workflow.process_for(p) is not None
    cosign_to_threshold(p, make_resident)
    # The threshold reached, the screening task is in the clerk's inbox.
    assert [i.project.pk for i in workflow.inbox(cast["clerk"])] == [p.pk]
    assert Notification.objects.filter(recipient=cast["clerk"], kind="task.new").exists()


def test_a_proposal_submitted_from_the_page_starts_its_process(
    cast: dict[str, Any], client_for: Any
) -> None:
    r = client_for(cast["resident"]).post(
        "/projects/new/",
        {
            "community": "xingfu",
            "title": "小区路灯改造",
            "summary": "东门到 5 号楼没有路灯。",
            "category": "lighting",
            "submit_now": "on",
        },
    )
    assert r.status_code == 302
    p = Project.objects.get(title="小区路灯改造")
    assert p.state == State.COLLECTING and workflow.process_for(p) is not None


def test_the_start_of_works_falls_due_after_publicity_ends(
    cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    """The clerk cannot start before 公示 ends: the task is due task_due_days after that."""
    c = cast["resident"].memberships.first().community
    p = new_project(c, cast["resident"], submit=True)
    cosign_to_threshold(p, make_resident)
    p = actions.act(project=p, name="accept", by=cast["clerk"])
    p = actions.act(
        project=p,
        name="assess",
        by=cast["clerk"],
        params={"assessed_cost": Decimal("12000.00"), "plan": "换灯", "duration_days": 10},
    )
    council_meeting(project=p, secretary=cast["clerk"], members=[cast["council"]])
    p.refresh_from_db()
    d = services.decision_open(
        project=p, by=cast["committee"], motion="approve", amount=Decimal("12000.00")
    )
    for key in ("committee", "committee2", "committee3"):
        services.decision_vote(decision=d, by=cast[key], choice="yes")
    services.decision_close(decision=d, by=cast["committee"], minutes="同意")
    p.refresh_from_db()
    assert p.state == State.PUBLICIZING and p.publicity_ends_at is not None
    item = workflow.project_tasks(p)[0]
    assert item.title == "公示期满后开工" and item.due_at is not None
    expected = p.publicity_ends_at + timedelta(days=c.task_due_days)
    assert abs(item.due_at - expected) < timedelta(minutes=1)
    assert item.due_at > p.publicity_ends_at


def test_the_committee_quorum_is_a_fraction(cast: dict[str, Any], fund: Any) -> None:
    from fractions import Fraction

    c = cast["resident"].memberships.first().community
    assert c.committee_quorum == Fraction(2, 3)
    assert c.committee_quorum_words == "三分之二"
    c.committee_quorum_numerator, c.committee_quorum_denominator = 1, 3
    with pytest.raises(ValidationError):
        c.full_clean()
