"""The evaluation rounds of every project that was evaluated: closed ones with sealed ballots
and participations whose counts decide ``passed`` as the rules would, open ones without."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from deliberation.models import EvaluationBallot, EvaluationParticipation, EvaluationRound
from opendata.city.bulk import (
    load,
    load_tuples,
)
from opendata.city.shape import (
    MIN_TURNOUT,
    Ctx,
)
from projects.models import State

# A closed round's ballots: (satisfied, basically satisfied, dissatisfied).
_Counts = tuple[int, int, int]


def evaluations(ctx: Ctx) -> int:
    """Closed rounds for every evaluation a project went through, with sealed ballots whose
    counts decide ``passed`` as the rules would; the open ones have no ballots yet."""
    rounds = _rounds(ctx)
    closed = [r for r in rounds if r.closed_at is not None]
    counts = _counts(ctx, closed)
    n_rounds = load(EvaluationRound, rounds)
    saved = {
        (project_id, number): pk
        for pk, project_id, number in EvaluationRound.objects.filter(
            project__community__slug__startswith="city-"
        ).values_list("pk", "project_id", "number")
    }
    return (
        n_rounds
        + load_tuples(
            EvaluationBallot,
            ["id", "round_id", "choice", "comment"],
            _ballots(ctx.rng, closed, counts, saved),
        )
        + load_tuples(
            EvaluationParticipation,
            ["round_id", "voter_id", "voter_key", "sealed"],
            _participations(ctx, closed, counts, saved),
        )
    )


def _rounds(ctx: Ctx) -> list[EvaluationRound]:
    """A round each time a project's story enters evaluation: closed a week later with the
    outcome of the story's next step, or, when it has none, still open."""
    rounds: list[EvaluationRound] = []
    for project in ctx.projects:
        story = ctx.stories[project.pk]
        number = 0
        for i, (_action, _source, target, at) in enumerate(story):
            if target != State.EVALUATING:
                continue
            number += 1
            outcome = story[i + 1][0] if i + 1 < len(story) else None
            eligible = len(ctx.residents[project.community_id])
            rnd = EvaluationRound(
                project_id=project.pk,
                number=number,
                opens_at=at,
                closes_at=at + timedelta(days=7) if outcome else ctx.now + timedelta(days=5),
                eligible=eligible,
                min_turnout=MIN_TURNOUT,
                closed_at=(at + timedelta(days=7)) if outcome else None,
                passed=None if outcome is None else outcome == "pass_evaluation",
            )
            rounds.append(rnd)
    return rounds


def _counts(ctx: Ctx, closed: list[EvaluationRound]) -> list[_Counts]:
    """Each closed round's ballots per choice: a turnout above the minimum, and a satisfaction
    that passes the round or fails it as its ``passed`` says."""
    rng = ctx.rng
    per_round = max(10, ctx.sizes.ballots // max(1, len(closed)))
    counts: list[_Counts] = []
    for rnd in closed:
        eligible = rnd.eligible
        enough = int(eligible * MIN_TURNOUT) + 1  # a turnout above the minimum
        n = min(eligible, max(enough, per_round + rng.randrange(-5, 6)))
        if rnd.passed:
            s = int(n * rng.uniform(0.55, 0.75))
            b = int(n * 0.86) - s + rng.randrange(0, max(1, n // 20))
            d = n - s - b
        else:
            s = int(n * rng.uniform(0.3, 0.5))
            b = int(n * 0.2)
            d = n - s - b
        counts.append((s, b, d))
    return counts


def _ballots(
    rng: random.Random,
    closed: list[EvaluationRound],
    counts: list[_Counts],
    saved: dict[tuple[int, int], int],
) -> Iterable[tuple[Any, ...]]:
    """The closed rounds' sealed ballots, shuffled: (id, round_id, choice, comment)."""
    for rnd, (s, b, d) in zip(closed, counts, strict=True):
        pk = saved[(rnd.project_id, rnd.number)]
        choices = ["satisfied"] * s + ["basically_satisfied"] * b + ["dissatisfied"] * d
        rng.shuffle(choices)
        for choice in choices:
            yield (uuid.UUID(int=rng.getrandbits(128), version=4), pk, choice, "")


def _participations(
    ctx: Ctx,
    closed: list[EvaluationRound],
    counts: list[_Counts],
    saved: dict[tuple[int, int], int],
) -> Iterable[tuple[Any, ...]]:
    """As many voters as ballots, drawn from each round's community's residents:
    (round_id, voter_id, voter_key, sealed)."""
    project_community = {p.pk: p.community_id for p in ctx.projects}
    for rnd, (s, b, d) in zip(closed, counts, strict=True):
        pk = saved[(rnd.project_id, rnd.number)]
        voters = ctx.rng.sample(ctx.residents[project_community[rnd.project_id]], s + b + d)
        for uid in voters:
            yield (pk, uid, f"u:{uid}", True)
