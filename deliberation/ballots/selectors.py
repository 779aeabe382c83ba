"""Reads: which rounds a person sees, the shortlist, the live standings and turnout, a round's ballots."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from deliberation.ballot_models import (
    Ballot,
    BallotApproval,
    BallotParticipation,
    BudgetRound,
    RoundProject,
)
from projects import ledger
from projects.models import (
    Community,
    Fund,
    Membership,
    Project,
    Role,
    State,
)

SHORTLIST_STATES = (State.DELIBERATING, State.DECIDING)


def rounds_visible_to(*, user: Any) -> QuerySet[BudgetRound]:
    """Every round that has been opened is public; drafts only to the community's committee."""
    q = ~Q(status=BudgetRound.Status.DRAFT)
    if user is not None and user.is_authenticated:
        committees = (
            Membership.objects.current()
            .filter(user_id=user.pk, role=Role.COMMITTEE)
            .values("community")
        )
        q |= Q(community__in=committees)
    return BudgetRound.objects.filter(q).select_related("community")


def shortlist_candidates(community: Community) -> QuerySet[Project]:
    """Projects a round of ``community`` may list: assessed, in ``deliberating`` or ``deciding``."""
    return Project.objects.filter(
        community=community, state__in=SHORTLIST_STATES, assessed_cost__isnull=False
    ).order_by("pk")


def busy_project_ids(community: Community, exclude_round: int | None = None) -> set[int]:
    """Projects already listed in a round of ``community`` that has not been counted yet."""
    qs = RoundProject.objects.filter(
        round__community=community,
        round__status__in=[BudgetRound.Status.DRAFT, BudgetRound.Status.OPEN],
        project__isnull=False,
    )
    if exclude_round is not None:
        qs = qs.exclude(round_id=exclude_round)
    return {pid for pid in qs.values_list("project_id", flat=True) if pid is not None}


def fund_available(community: Community) -> Decimal | None:
    """This year's fund's available amount, or ``None`` if the community has no fund this year."""
    fund = Fund.objects.filter(community=community, year=timezone.localdate().year).first()
    return None if fund is None else ledger.fund_balances(fund).available


def _vote_counts(rnd: BudgetRound) -> dict[int, int]:
    rows = (
        BallotApproval.objects.filter(entry__round_id=rnd.pk)
        .values_list("entry_id")
        .annotate(n=Count("id"))
        .values_list("entry_id", "n")
    )
    return dict(rows)


def _entry_key(entry: RoundProject) -> tuple[int, str]:
    return (-(entry.votes or 0), entry.external_id)


def standings(round: BudgetRound) -> list[dict[str, Any]]:
    """Approvals per project so far (public and live), most votes first, then the published
    tie-break (project id in string order): ``{project_id, external_id, name, cost, votes}``."""
    counts = _vote_counts(round)
    rows: list[dict[str, Any]] = [
        {
            "project_id": e.project_id,
            "external_id": e.external_id,
            "name": e.name,
            "cost": str(e.cost),
            "votes": counts.get(e.pk, 0),
        }
        for e in RoundProject.objects.filter(round_id=round.pk)
    ]
    rows.sort(key=lambda r: (-r["votes"], r["external_id"]))
    return rows


def turnout(rnd: BudgetRound) -> int:
    return BallotParticipation.objects.filter(round_id=rnd.pk).count()


def has_voted(rnd: BudgetRound, user: Any) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return BallotParticipation.objects.filter(round_id=rnd.pk, voter_key=_voter_key(user)).exists()


def _window_open(rnd: BudgetRound, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if rnd.status != BudgetRound.Status.OPEN:
        return False
    return (rnd.opens_at is None or rnd.opens_at <= now) and now < rnd.closes_at


def _voter_key(user: Any) -> str:
    return f"u:{user.pk}"


def _profile(rnd: BudgetRound) -> tuple[list[RoundProject], list[frozenset[str]]]:
    """The round's projects (in listing order) and one approval set per ballot."""
    entries = list(RoundProject.objects.filter(round_id=rnd.pk).order_by("position", "pk"))
    ids = {e.pk: e.external_id for e in entries}
    sets: dict[Any, set[str]] = {
        b: set() for b in Ballot.objects.filter(round_id=rnd.pk).values_list("id", flat=True)
    }
    for ballot_id, entry_id in BallotApproval.objects.filter(ballot__round_id=rnd.pk).values_list(
        "ballot_id", "entry_id"
    ):
        sets[ballot_id].add(ids[entry_id])
    return entries, [frozenset(s) for s in sets.values()]


def _everyone_voted(rnd: BudgetRound) -> bool:
    """Has everyone on the round's roll (frozen when it opened) cast a ballot?"""
    return rnd.eligible > 0 and turnout(rnd) >= rnd.eligible
