"""The lifecycle table, exhaustively: every (state, transition) pair, legal and illegal, and every
role against every transition (allowed, or 403 with nothing changed)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import Project, ProjectEvent, State
from projects.models.lifecycle import TRANSITION_ROLES
from projects.services import transitions_from
from tests.conftest import new_project

S = State
# DESIGN.md's state machine, written out independently of the model.
EXPECTED: dict[str, tuple[set[str], str]] = {
    "submit": ({S.DRAFT}, S.COLLECTING),
    "withdraw": ({S.DRAFT, S.COLLECTING, S.SCREENING, S.ASSESSING, S.DELIBERATING}, S.WITHDRAWN),
    "reach_threshold": ({S.COLLECTING}, S.SCREENING),
    "expire": ({S.COLLECTING}, S.LAPSED),
    "accept": ({S.SCREENING}, S.ASSESSING),
    "reject": ({S.SCREENING}, S.REJECTED),
    "assess": ({S.ASSESSING}, S.DELIBERATING),
    "recommend": ({S.DELIBERATING}, S.DECIDING),
    "approve": ({S.DECIDING}, S.PUBLICIZING),
    "decline": ({S.DECIDING}, S.REJECTED),
    "defer": ({S.DECIDING}, S.DELIBERATING),
    "uphold_objection": ({S.PUBLICIZING}, S.DECIDING),
    "start_execution": ({S.PUBLICIZING}, S.EXECUTING),
    "deliver": ({S.EXECUTING}, S.EVALUATING),
    "pass_evaluation": ({S.EVALUATING}, S.CLOSED),
    "fail_evaluation": ({S.EVALUATING}, S.RECTIFYING),
    "fail_final": ({S.EVALUATING}, S.FAILED),
    "finish_rectification": ({S.RECTIFYING}, S.EVALUATING),
}
# Params that satisfy each transition's own input rules.
PARAMS: dict[str, dict[str, Any]] = {
    "reject": {"reason": "不属于公益事业经费支出范围"},
    "assess": {"assessed_cost": "15000.00", "plan": "方案", "duration_days": 10},
    "recommend": {"reason": "议事会建议实施"},
    "uphold_objection": {"reason": "异议成立"},
    "deliver": {"report": "已完工"},
    "finish_rectification": {"report": "已整改"},
}
# Who may fire each (PROPOSER is the project's own proposer; system ones nobody by hand).
ROLE_OF = {"resident", "council", "committee", "clerk", "supervisor", "outsider", "proposer"}
ALLOWED_ROLES: dict[str, set[str]] = {
    "submit": {"proposer"},
    "withdraw": {"proposer"},
    "reach_threshold": set(),
    "expire": set(),
    "accept": {"clerk"},
    "reject": {"clerk"},
    "assess": {"clerk"},
    "recommend": {"council"},
    "approve": {"committee"},
    "decline": {"committee"},
    "defer": {"committee"},
    "uphold_objection": {"committee"},
    "start_execution": {"clerk"},
    "deliver": {"clerk"},
    "pass_evaluation": {"clerk"},
    "fail_evaluation": {"clerk"},
    "fail_final": {"clerk"},
    "finish_rectification": {"clerk"},
}
# Outcomes that only votes produce: legal in their state, yet refused by hand (409) — the
# roll-call and the ballot count are tested in their own modules.
VOTED = {"approve", "decline", "defer", "pass_evaluation", "fail_evaluation", "fail_final"}
SYSTEM = {"reach_threshold", "expire"}


def test_model_declares_exactly_the_designed_transitions() -> None:
    assert set(TRANSITION_ROLES) == set(EXPECTED)
    for state in State.values:
        expected = {name for name, (sources, _t) in EXPECTED.items() if state in sources}
        assert set(transitions_from(state)) == expected, state


def put_in_state(project: Project, state: str, community: Any) -> Project:
    """Place a project in ``state`` with the conditions of that state's exits satisfied."""
    fields: dict[str, Any] = {"state": state}
    if state in {S.PUBLICIZING, S.EXECUTING, S.EVALUATING, S.RECTIFYING}:
        fields["approved_amount"] = Decimal("15000.00")
    if state == S.PUBLICIZING:
        fields["publicity_ends_at"] = timezone.now() - timedelta(seconds=1)
    Project.objects.filter(pk=project.pk).update(**fields)
    project.refresh_from_db()
    return project


def actor_for(role: str, cast: dict[str, Any]) -> Any:
    return cast["resident"] if role == "proposer" else cast[role]


def call(user: Any, project: Project, name: str) -> Any:
    client = APIClient()
    client.force_authenticate(user)
    return client.post(
        f"/api/v1/projects/{project.pk}/transitions/{name}/", PARAMS.get(name, {}), format="json"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("name", sorted(set(EXPECTED) - SYSTEM))
def test_transition_from_every_state(
    state: str, name: str, cast: dict[str, Any], community: Any, fund: Any
) -> None:
    project = put_in_state(new_project(community, cast["resident"]), state, community)
    role = next(iter(ALLOWED_ROLES[name]))
    events_before = ProjectEvent.objects.filter(project=project).count()
    if name == "uphold_objection":
        from deliberation.services import objection_file

        if state == S.PUBLICIZING:
            objection_file(project=project, by=cast["resident"], body="选址离住户太近")
    r = call(actor_for(role, cast), project, name)
    sources, target = EXPECTED[name]
    project.refresh_from_db()
    if state == S.DRAFT and role != "proposer":
        assert r.status_code == 404  # nobody but the proposer sees a draft
        assert project.state == state
    elif state not in sources or name in VOTED:
        assert r.status_code == 409, r.content
        body = r.json()
        assert body["detail"] and isinstance(body["allowed"], list)
        assert project.state == state
        assert ProjectEvent.objects.filter(project=project).count() == events_before
    else:
        assert r.status_code == 200, r.content
        assert project.state == target
        last = ProjectEvent.objects.filter(project=project).last()
        assert last is not None and (last.action, last.source, last.target) == (name, state, target)


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(ROLE_OF))
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_role_against_every_transition(
    name: str, role: str, cast: dict[str, Any], community: Any, fund: Any
) -> None:
    sources, _target = EXPECTED[name]
    public = [s for s in sorted(sources) if s != S.DRAFT]
    state = public[0] if public else S.DRAFT
    project = put_in_state(new_project(community, cast["resident"]), state, community)
    if name == "uphold_objection":
        from deliberation.services import objection_file

        objection_file(project=project, by=cast["resident"], body="选址离住户太近")
    if role == "resident":
        # a resident who is not the proposer
        from projects.models import Role
        from tests.conftest import add_role, make_user

        user = make_user("neighbour")
        add_role(user, community, Role.RESIDENT)
    else:
        user = actor_for(role, cast)
    r = call(user, project, name)
    project.refresh_from_db()
    if role in ALLOWED_ROLES[name]:
        assert r.status_code in (200, 409), r.content  # allowed; 409 only for voted outcomes
        assert (r.status_code == 409) == (name in VOTED)
    elif state == S.DRAFT:
        assert r.status_code == 404, r.content  # a draft is visible to its proposer only
        assert project.state == state
    else:
        assert r.status_code == 403, r.content
        assert r.json()["detail"]
        assert project.state == state
