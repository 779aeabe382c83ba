"""The votes waiting for a resident: open evaluations and budget ballots in their communities
that they (or, where a round counts households, their household) have not cast. An evaluation
counts its roll of voters, frozen when the round opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from deliberation.ballot_models import BallotParticipation, BudgetRound
from deliberation.models import EvaluationParticipation, EvaluationRoll
from projects.models import Membership, State


@dataclass(frozen=True)
class WaitingVote:
    kind: str  # "evaluation" | "budget"
    title: str
    community: str
    url: str
    closes_at: datetime
    round_number: int | None = None


def _evaluations_waiting(user: Any, now: datetime) -> list[WaitingVote]:
    """The open evaluations whose roll names the user under a voter key not yet used."""
    # The roll was frozen when the round opened; the key is the user's or their household's.
    on_roll = (
        EvaluationRoll.objects.filter(
            user_id=user.pk,
            round__closed_at__isnull=True,
            round__opens_at__lte=now,
            round__closes_at__gt=now,
            round__project__state=State.EVALUATING,
        )
        .select_related("round__project__community")
        .order_by("round__closes_at", "round_id")
    )
    waiting: list[WaitingVote] = []
    for entry in on_roll:
        rnd = entry.round
        if EvaluationParticipation.objects.filter(
            round_id=rnd.pk, voter_key=entry.voter_key
        ).exists():
            continue
        waiting.append(
            WaitingVote(
                kind="evaluation",
                title=rnd.project.title,
                community=rnd.project.community.name,
                url=reverse("project-detail", args=[rnd.project_id]) + "#evaluation",
                closes_at=rnd.closes_at,
                round_number=rnd.number,
            )
        )
    return waiting


def _ballots_waiting(user: Any, communities: list[int], now: datetime) -> list[WaitingVote]:
    """The budget rounds open now in the user's communities that they have not voted in."""
    ballots = (
        BudgetRound.objects.filter(
            community_id__in=communities, status=BudgetRound.Status.OPEN, closes_at__gt=now
        )
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .exclude(pk__in=BallotParticipation.objects.filter(voter_id=user.pk).values("round_id"))
        .select_related("community")
        .order_by("closes_at", "pk")
    )
    return [
        WaitingVote(
            kind="budget",
            title=b.title,
            community=b.community.name,
            url=reverse("round-detail", args=[b.pk]),
            closes_at=b.closes_at,
        )
        for b in ballots
    ]


def votes_waiting_for(user: Any) -> list[WaitingVote]:
    """Soonest deadline first. Only votes the user may cast now (registered resident of the
    community, window open) and has not cast."""
    if user is None or not user.is_authenticated:
        return []
    now = timezone.now()
    memberships = list(
        Membership.objects.residents().filter(user_id=user.pk).select_related("community")
    )
    if not memberships:
        return []
    communities = [m.community_id for m in memberships if m.community_id is not None]
    waiting = _evaluations_waiting(user, now) + _ballots_waiting(user, communities, now)
    return sorted(waiting, key=lambda v: v.closes_at)
