"""Shared pieces of the vote tests: the URL conf with the vote pages, projects walked to a state,
budget rounds set up through the services, and row counts to prove that nothing was written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from deliberation import ballot_box, ballots
from deliberation.ballot_models import (
    Ballot,
    BallotApproval,
    BallotParticipation,
    BudgetRound,
    PooledBallot,
)
from deliberation.models import (
    EvaluationBallot,
    EvaluationParticipation,
    EvaluationPooledBallot,
)
from projects.models import Community, Project
from tests.conftest import new_project
from tests.projects.money_helpers import walk_to


@pytest.fixture
def vote_urls(settings: Any) -> Iterator[None]:
    """The vote pages and API mounted; messages in the source language (zh-hans), whatever an
    earlier test left active."""
    settings.ROOT_URLCONF = "tests.deliberation.votes_urlconf"
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def project_in(community: Community, cast: dict[str, Any], fund: Any) -> Callable[..., Project]:
    """``project_in("deliberating", cost="12000.00")``: a resident's project walked there."""
    counter = {"n": 0}

    def make(state: str, cost: str = "10000.00", title: str | None = None) -> Project:
        counter["n"] += 1
        p = new_project(community, cast["resident"], title=title or f"公益项目第{counter['n']}号")
        return walk_to(p, state, cast, amount=cost)

    return make


@pytest.fixture
def spare_residents() -> list[Any]:
    """Residents registered before ``make_round`` opened its round (so on its roll), not yet
    handed out by ``roll_voter``."""
    return []


@pytest.fixture
def make_round(
    community: Community,
    cast: dict[str, Any],
    make_resident: Callable[..., Any],
    spare_residents: list[Any],
) -> Callable[..., BudgetRound]:
    """A round over ``projects``, opened by the committee unless ``open=False``. Before opening,
    ``spares`` (30) more residents are registered (``roll_voter`` hands them out). The opened round seals
    every ballot at once (``tally_step`` 1), so the counting tests see each ballot in the
    standings; the sealing tests set their own step."""

    def make(
        projects: list[Project], *, open: bool = True, spares: int = 30, **kw: Any
    ) -> BudgetRound:
        kw.setdefault("title", "2025 年度公益项目预算投票")
        kw.setdefault("rule", "greedy")
        kw.setdefault("closes_at", timezone.now() + timedelta(days=7))
        rnd = ballots.round_create(
            community=community, by=cast["committee"], project_ids=[p.pk for p in projects], **kw
        )
        if open:
            if not spare_residents:
                spare_residents.extend(make_resident() for _ in range(spares))
            rnd = ballots.round_open(round=rnd, by=cast["committee"])
            BudgetRound.objects.filter(pk=rnd.pk).update(tally_step=1)
            rnd.refresh_from_db()
        return rnd

    return make


@pytest.fixture
def roll_voter(spare_residents: list[Any]) -> Callable[[], Any]:
    """The next resident on the roll of the round ``make_round`` opened, who has not voted."""
    return lambda: spare_residents.pop(0)


def vote(rnd: BudgetRound, user: Any, *projects: Project) -> ballots.BallotReceipt:
    return ballots.ballot_cast(round=rnd, by=user, project_ids=[str(p.pk) for p in projects])


def end_window(rnd: BudgetRound) -> BudgetRound:
    """Move the round's window into the past (as if time had passed)."""
    BudgetRound.objects.filter(pk=rnd.pk).update(
        opens_at=timezone.now() - timedelta(days=8), closes_at=timezone.now() - timedelta(seconds=1)
    )
    rnd.refresh_from_db()
    return rnd


def ballot_rows() -> tuple[int, int, int]:
    """(participations, ballots, approvals), counting ballots still in the sealing pool."""
    pooled = [ballot_box.unlock(b) for b in PooledBallot.objects.values_list("box", flat=True)]
    return (
        BallotParticipation.objects.count(),
        Ballot.objects.count() + len(pooled),
        BallotApproval.objects.count() + sum(len(e) for e in pooled),
    )


def evaluation_rows() -> tuple[int, int]:
    """(participations, ballots), counting ballots still in the sealing pool."""
    return (
        EvaluationParticipation.objects.count(),
        EvaluationBallot.objects.count() + EvaluationPooledBallot.objects.count(),
    )
