"""The lifecycle table, exhaustively: every (state, transition) pair, legal and illegal, and every
role against every transition (allowed, or 403 with nothing changed)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import Project, ProjectEvent, State
from projects.models.transitions import TRANSITION_ROLES, TRANSITIONS, FiredBy
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
    "deliver": ({S.EXECUTING}, S.ACCEPTING),
    "accepted": ({S.ACCEPTING}, S.EVALUATING),
    "not_accepted": ({S.ACCEPTING}, S.EXECUTING),
    "pass_evaluation": ({S.EVALUATING}, S.CLOSED),
    "fail_evaluation": ({S.EVALUATING}, S.RECTIFYING),
    "fail_final": ({S.EVALUATING}, S.FAILED),
    "finish_rectification": ({S.RECTIFYING}, S.EVALUATING),
}
# Params that satisfy each transition's own input rules.
PARAMS: dict[str, dict[str, Any]] = {
    "reject": {"reason": "不属于公益事业经费支出范围"},
    "assess": {"assessed_cost": "15000.00", "plan": "方案", "duration_days": 10},
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
    "accepted": {"council"},
    "not_accepted": {"council"},
    "pass_evaluation": {"clerk"},
    "fail_evaluation": {"clerk"},
    "fail_final": {"clerk"},
    "finish_rectification": {"clerk"},
}
# Outcomes that only votes produce: legal in their state, yet refused by hand (409) — the
# roll-call, the council meeting's vote, the acceptance count and the ballot count are tested in
# their own modules.
VOTED = {
    "recommend",
    "approve",
    "decline",
    "defer",
    "pass_evaluation",
    "fail_evaluation",
    "fail_final",
    "accepted",
    "not_accepted",
}
SYSTEM = {"reach_threshold", "expire"}


def test_model_declares_exactly_the_designed_transitions() -> None:
    assert set(TRANSITION_ROLES) == set(EXPECTED)
    for state in State.values:
        expected = {name for name, (sources, _t) in EXPECTED.items() if state in sources}
        assert set(transitions_from(state)) == expected, state


def put_in_state(project: Project, state: str, community: Any) -> Project:
    """Place a project in ``state`` with the conditions of that state's exits satisfied."""
    fields: dict[str, Any] = {"state": state}
    if state in {S.PUBLICIZING, S.EXECUTING, S.ACCEPTING, S.EVALUATING, S.RECTIFYING}:
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


# --- What is offered is what is accepted ----------------------------------------------------
# A project in each state, plus the variants whose conditions differ: 公示 not yet over, 公示 with
# an objection pending, evaluation with no rectification round left.
VARIANTS = [*State.values, "publicizing:early", "publicizing:objection", "evaluating:last"]
PEOPLE = ["proposer", "resident", "council", "committee", "clerk", "supervisor", "outsider", "anon"]


def put_in_variant(variant: str, cast: dict[str, Any], community: Any) -> Project:
    state, _sep, how = variant.partition(":")
    project = put_in_state(new_project(community, cast["resident"]), state, community)
    if how == "early":
        Project.objects.filter(pk=project.pk).update(
            publicity_ends_at=timezone.now() + timedelta(days=3)
        )
    elif how == "objection":
        from deliberation.services import objection_file

        objection_file(project=project, by=cast["resident"], body="选址离住户太近")
    elif how == "last":
        Project.objects.filter(pk=project.pk).update(
            rectification_count=community.max_rectification_rounds
        )
    project.refresh_from_db()
    return project


def person(who: str, cast: dict[str, Any], community: Any) -> Any:
    if who == "anon":
        return None
    if who == "resident":  # a resident who is not the proposer
        from projects.models import Role
        from tests.conftest import add_role

        user, created = User.objects.get_or_create(username="neighbour")
        if created:
            add_role(user, community, Role.RESIDENT)
        return user
    return actor_for(who, cast)


def client_of(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def expected_to_accept(name: str, variant: str, who: str) -> bool:
    """DESIGN.md's rules, written out independently of the table."""
    state, _sep, how = variant.partition(":")
    if state not in EXPECTED[name][0] or name in VOTED | SYSTEM:
        return False
    if who not in ALLOWED_ROLES[name]:
        return False
    if name == "uphold_objection":
        return how == "objection"
    if name == "start_execution":
        return how == ""  # 公示 over and no objection pending
    return True


@pytest.mark.django_db
@pytest.mark.parametrize("variant", VARIANTS)
def test_allowed_transitions_equal_what_the_endpoint_accepts(
    variant: str, cast: dict[str, Any], community: Any, fund: Any
) -> None:
    """For every state (and condition variant) × person × transition, illegal moves included:
    the transitions listed in ``allowed_transitions`` are exactly those the endpoint accepts,
    and those are the ones the design allows; a refusal changes nothing."""
    from django.db import transaction

    project = put_in_variant(variant, cast, community)
    for who in PEOPLE:
        client = client_of(person(who, cast, community))
        detail = client.get(f"/api/v1/projects/{project.pk}/")
        if detail.status_code == 404:  # a draft or withdrawn proposal: its proposer's alone
            assert not project.flags.public and who != "proposer"
            allowed: dict[str, Any] = {}
        else:
            assert detail.status_code == 200
            allowed = {a["name"]: a for a in detail.json()["allowed_transitions"]}
        accepted = set()
        for name in TRANSITIONS:
            before = (project.state, ProjectEvent.objects.filter(project=project).count())
            with transaction.atomic():
                r = client.post(
                    f"/api/v1/projects/{project.pk}/transitions/{name}/",
                    PARAMS.get(name, {}),
                    format="json",
                )
                assert r.status_code in (200, 401, 403, 404, 409), (name, who, r.content)
                if r.status_code == 200:
                    accepted.add(name)
                    assert r.json()["state"] == EXPECTED[name][1]
                    last = ProjectEvent.objects.filter(project=project).last()
                    assert last is not None and last.action == name
                elif r.status_code == 409:
                    assert r.json()["detail"] and isinstance(r.json()["allowed"], list)
                transaction.set_rollback(True)  # try the next one from the same place
            project.refresh_from_db()
            assert (project.state, ProjectEvent.objects.filter(project=project).count()) == before
        assert accepted == set(allowed), (variant, who)
        assert accepted == {n for n in TRANSITIONS if expected_to_accept(n, variant, who)}, (
            variant,
            who,
        )
        # Each offered action names the parameters the endpoint asks for.
        for name, action in allowed.items():
            rule = TRANSITIONS[name]
            assert rule.fired_by == FiredBy.PERSON
            assert [(p["name"], p["type"], p["required"]) for p in action["params"]] == [
                (p.name, str(p.type), p.required) for p in rule.params
            ]


@pytest.mark.django_db
@pytest.mark.parametrize("name", [n for n, r in TRANSITIONS.items() if r.by_person])
def test_an_offered_action_without_its_required_parameters_is_400(
    name: str, cast: dict[str, Any], community: Any, fund: Any
) -> None:
    rule = TRANSITIONS[name]
    state = next(s for s in rule.sources if s != S.DRAFT) if name != "submit" else S.DRAFT
    variant = "publicizing:objection" if name == "uphold_objection" else state
    project = put_in_variant(variant, cast, community)
    who = next(iter(ALLOWED_ROLES[name]))
    r = client_of(actor_for(who, cast)).post(
        f"/api/v1/projects/{project.pk}/transitions/{name}/", {}, format="json"
    )
    required = [p.name for p in rule.params if p.required]
    project.refresh_from_db()
    if required:
        assert r.status_code == 400, r.content
        assert set(r.json()["errors"]) == set(required)
        assert project.state == state
    else:
        assert r.status_code == 200, r.content


def test_the_table_says_who_fires_each_transition() -> None:
    fired_by = {n: r.fired_by for n, r in TRANSITIONS.items()}
    assert {n for n, f in fired_by.items() if f == FiredBy.ROLLCALL} == {
        "approve",
        "decline",
        "defer",
    }
    assert {n for n, f in fired_by.items() if f == FiredBy.EVALUATION} == {
        "pass_evaluation",
        "fail_evaluation",
        "fail_final",
    }
    assert {n for n, f in fired_by.items() if f == FiredBy.SYSTEM} == SYSTEM
    # the council's step comes from a council meeting's recorded vote (tests/meetings)
    assert {n for n, f in fired_by.items() if f == FiredBy.MEETING} == {"recommend"}
    assert {n for n, f in fired_by.items() if f == FiredBy.ACCEPTANCE} == {
        "accepted",
        "not_accepted",
    }
    assert fired_by["uphold_objection"] == FiredBy.PERSON  # through objection_resolve
    for name, (sources, target) in EXPECTED.items():
        assert set(TRANSITIONS[name].sources) == sources and TRANSITIONS[name].target == target


@pytest.mark.django_db
def test_committee_member_on_a_deciding_project_is_offered_nothing_the_endpoint_refuses(
    cast: dict[str, Any], community: Any, fund: Any
) -> None:
    project = put_in_state(new_project(community, cast["resident"]), S.DECIDING, community)
    client = client_of(cast["committee"])
    assert client.get(f"/api/v1/projects/{project.pk}/").json()["allowed_transitions"] == []
    for name in ("approve", "decline", "defer"):
        r = client.post(f"/api/v1/projects/{project.pk}/transitions/{name}/", {}, format="json")
        assert r.status_code == 409 and r.json()["allowed"] == []
        assert "记名表决" in r.json()["detail"]


@pytest.mark.django_db
def test_assessment_is_offered_with_its_form_before_cost_plan_and_duration_exist(
    cast: dict[str, Any], community: Any, fund: Any
) -> None:
    project = put_in_state(new_project(community, cast["resident"]), S.ASSESSING, community)
    assert project.assessed_cost is None and not project.plan and project.duration_days is None
    body = client_of(cast["clerk"]).get(f"/api/v1/projects/{project.pk}/").json()
    assert body["allowed_transitions"] == [
        {
            "name": "assess",
            "label": "完成可行性评估",
            "params": [
                {
                    "name": "assessed_cost",
                    "type": "decimal",
                    "required": True,
                    "label": "评估成本（元）",
                },
                {"name": "plan", "type": "text", "required": True, "label": "实施方案"},
                {"name": "duration_days", "type": "int", "required": True, "label": "工期（天）"},
                {
                    "name": "people_served",
                    "type": "int",
                    "required": False,
                    "label": "受益人数（估计）",
                },
                {"name": "reason", "type": "text", "required": False, "label": "理由 / 说明"},
            ],
        }
    ]
