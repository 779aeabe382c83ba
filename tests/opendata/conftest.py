"""A small public world for the open-data tests: a resident with a name who drafts a private
project and co-funds another, a closed project, a counted evaluation with secret comments, and a
counted budget round."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from deliberation import ballots, services
from deliberation.models import EvaluationRound
from projects.models import LedgerEntry
from projects.models.money import ContributorKind, EntryKind
from tests.conftest import new_project
from tests.deliberation.votes_support import (  # noqa: F401
    end_window,
    make_round,
    project_in,
    roll_voter,
    spare_residents,
    vote,
    vote_urls,
)

SECRET_NAME = "王秘密"
SECRET_USER = "wangmimi"
DRAFT_TITLE = "只有我看得到的草稿"
SECRET_COMMENT = "这条意见只属于投票人"


@pytest.fixture
def world(
    community: Any,
    cast: dict[str, Any],
    fund: Any,
    make_resident: Any,
    project_in: Any,  # noqa: F811
    make_round: Any,  # noqa: F811
    roll_voter: Any,  # noqa: F811
) -> dict[str, Any]:
    community.tally_step = 2
    community.save()
    named = make_resident(SECRET_USER)
    named.first_name = SECRET_NAME
    named.save()
    draft = new_project(community, named, title=DRAFT_TITLE)
    closed = project_in("closed", cost="5000.00")
    LedgerEntry.objects.create(
        fund=fund,
        project=closed,
        kind=EntryKind.COFUND_RECEIPT,
        amount=Decimal("300.00"),
        contributor=SECRET_NAME,
        contributor_kind=ContributorKind.RESIDENT,
        actor=cast["clerk"],
    )
    evaluated = project_in("evaluating", cost="8000.00")
    voters = [make_resident(f"evalvoter{i}") for i in range(6)]
    services.evaluation_open_round(project=evaluated)
    for i, voter in enumerate(voters):
        choice = ["satisfied", "basically_satisfied", "dissatisfied"][i % 3]
        services.evaluation_vote(project=evaluated, by=voter, choice=choice, comment=SECRET_COMMENT)
    EvaluationRound.objects.filter(project=evaluated).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    evaluated = services.evaluation_close(project=evaluated, by=None)
    a = project_in("deliberating", cost="600.00")
    b = project_in("deliberating", cost="300.00")
    rnd = make_round([a, b], rule="greedy", budget="1000.00")
    for i in range(4):
        vote(rnd, named if i == 0 else roll_voter(), *([a, b] if i % 2 else [a]))
    ballots.round_close(round=end_window(rnd), by=cast["committee"])
    return {
        "named": named,
        "draft": draft,
        "closed": closed,
        "evaluated": evaluated,
        "round": rnd,
        "cast": cast,
    }
