"""Walk a project through the real services into its first evaluation round (shared by the
notification tests, the cross-process test and the browser test's seed script)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from deliberation import actions, services
from projects.models import Project, State


def to_deliberating(
    project: Project, *, cosigners: list[Any], clerk: Any, cost: str = "12000.00"
) -> Project:
    """``project`` must be submitted (collecting); it ends with the council (deliberating)."""
    for person in cosigners:
        services.cosign_add(project=project, by=person)
    project.refresh_from_db()
    assert project.state == State.SCREENING, project.state
    project = actions.act(project=project, name="accept", by=clerk)
    return actions.act(
        project=project,
        name="assess",
        by=clerk,
        params={"assessed_cost": cost, "plan": "询价三家，选最低价", "duration_days": 10},
    )


def to_evaluation(
    project: Project, *, cosigners: list[Any], clerk: Any, council: Any, committee: list[Any]
) -> Project:
    """``project`` must be submitted (collecting); ``cosigners`` reach the threshold."""
    for person in cosigners:
        services.cosign_add(project=project, by=person)
    project.refresh_from_db()
    assert project.state == State.SCREENING, project.state
    act = lambda name, by, **params: actions.act(project=project, name=name, by=by, params=params)  # noqa: E731
    project = act("accept", clerk)
    project = act(
        "assess", clerk, assessed_cost="12000.00", plan="更换 24 盏 LED 灯", duration_days=10
    )
    from meetings.demo import council_meeting

    council_meeting(project=project, secretary=clerk, members=[council])
    project.refresh_from_db()
    decision = services.decision_open(
        project=project, by=committee[0], motion="approve", amount="12000.00"
    )
    for member in committee:
        services.decision_vote(decision=decision, by=member, choice="yes")
    services.decision_close(decision=decision, by=committee[0], minutes="全体赞成")
    Project.objects.filter(pk=project.pk).update(
        publicity_ends_at=timezone.now() - timedelta(minutes=1)
    )
    project.refresh_from_db()
    project = act("start_execution", clerk)
    project = act("deliver", clerk, report="已完工，申请验收")
    from deliberation.execution import acceptance_sign

    acceptance_sign(project=project, by=council, passed=True)
    project.refresh_from_db()
    assert project.state == State.EVALUATING, project.state
    return project
