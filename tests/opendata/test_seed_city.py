"""``seed_city --scale 0.01``: a small city, consistent as the services would leave it."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Q

from deliberation.models import EvaluationBallot, EvaluationParticipation, EvaluationRound
from projects.ledger.balances import EFFECTS
from projects.models import Community, LedgerEntry, Project, ProjectEvent, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def city() -> str:
    out = io.StringIO()
    call_command("seed_city", "--scale", "0.01", stdout=out)
    return out.getvalue()


def test_seed_city_prints_phases_and_refuses_twice_or_big_on_sqlite(city: str) -> None:
    for phase in ("places", "residents and staff", "projects", "audit events", "ledger", "total"):
        assert phase in city
    with pytest.raises(CommandError, match="already seeded"):
        call_command("seed_city", "--scale", "0.01", stdout=io.StringIO())
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("seed_city", "--scale", "1", stdout=io.StringIO())


def test_seeded_city_passes_verify_audit_keeps_ledger_and_vote_rules(city: str) -> None:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK")
    check_ledger()
    check_evaluations()
    assert Community.objects.count() >= 4
    assert set(Project.objects.values_list("state", flat=True)) == set(State.values)
    # each project's trail ends in its state and starts as a draft
    last = {}
    for project_id, source, target in ProjectEvent.objects.order_by("pk").values_list(
        "project_id", "source", "target"
    ):
        assert last.get(project_id, "") == source
        last[project_id] = target
    assert last == dict(Project.objects.values_list("pk", "state"))


def check_ledger() -> None:
    """Nothing allocated beyond the fund, released beyond the allocation, spent beyond what was
    released, at every entry; a closed project's money all spent or returned."""
    per_fund: dict[int, Counter[str]] = defaultdict(Counter)
    per_project: dict[int, Counter[str]] = defaultdict(Counter)
    for entry in LedgerEntry.objects.order_by("fund_id", "pk"):
        for balance, sign in EFFECTS[entry.kind].items():
            per_fund[entry.fund_id][balance] += sign * entry.amount
            if entry.project_id:
                per_project[entry.project_id][balance] += sign * entry.amount
        fund = per_fund[entry.fund_id]
        assert fund["allocated"] <= fund["appropriated"], entry
        if entry.project_id:
            p = per_project[entry.project_id]
            assert p["spent"] <= p["released"] <= p["allocated"], entry
    for project in Project.objects.filter(approved_amount__isnull=False):
        p = per_project[project.pk]
        assert p["allocated"] + p["returned"] == project.approved_amount
        if project.state == State.CLOSED:
            assert p["spent"] == p["released"] and p["spent"] > Decimal(0)


def check_evaluations() -> None:
    """As many ballots as participations; ``passed`` follows the counts and the rules."""
    assert EvaluationBallot.objects.count() == EvaluationParticipation.objects.count() > 0
    rounds = EvaluationRound.objects.annotate(
        n=Count("ballots"),
        yes=Count("ballots", filter=~Q(ballots__choice="dissatisfied")),
        voters=Count("participations"),
    )
    for rnd in rounds:
        assert rnd.n == rnd.voters
        if rnd.closed_at is None:
            assert rnd.n == 0
            continue
        passed = rnd.n >= rnd.min_turnout * rnd.eligible and rnd.yes >= rnd.pass_rate * rnd.n
        assert passed == rnd.passed
