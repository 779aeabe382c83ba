"""Under load, on PostgreSQL with real parallel connections (one per thread): duplicate ballots
from one voter count once, and a burst of distinct voters loses nothing. Also for budget ballots,
and a round closed in the middle of a burst counts exactly the ballots that got in."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from deliberation import ballots, services
from deliberation.ballot_models import (
    Ballot,
    BallotApproval,
    BallotParticipation,
    PooledBallot,
    RoundResult,
)
from deliberation.models import (
    EvaluationBallot,
    EvaluationParticipation,
    EvaluationPooledBallot,
)
from projects.errors import Conflict, Invalid
from projects.models import ProjectEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("vote_urls"),
]
ATTEMPTS = 200
errors: list[str] = []  # what the last ``in_parallel`` raised that it should not have


def free_connections() -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
        )
        (free,) = cur.fetchone()
    return int(free)


def in_parallel(work: Callable[[Any], Any], items: list[Any]) -> Counter[str]:
    """Run ``work(item)`` for every item on as many threads as PostgreSQL has room for (each
    thread has its own connection), all released at once; count the outcomes by kind."""
    workers = max(2, min(64, len(items), free_connections() - 15))
    start = threading.Barrier(workers)
    outcomes: Counter[str] = Counter()
    errors.clear()
    lock = threading.Lock()
    shares = [items[i::workers] for i in range(workers)]

    def run(share: list[Any]) -> None:
        try:
            connection.ensure_connection()
            start.wait(timeout=60)
            for item in share:
                try:
                    work(item)
                    kind = "ok"
                except Invalid:
                    kind = "invalid"
                except Conflict:
                    kind = "conflict"
                except Exception as exc:  # anything else is a bug: count it by type
                    kind = type(exc).__name__
                    errors.append(repr(exc))
                with lock:
                    outcomes[kind] += 1
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, shares))
    return outcomes


@pytest.fixture
def voters(make_resident: Any) -> list[Any]:
    """Residents registered before the round opens: its roll."""
    return [make_resident() for _ in range(ATTEMPTS)]


@pytest.fixture
def evaluating(project_in: Any, voters: list[Any]) -> Any:
    p = project_in("evaluating")
    services.evaluation_open_round(project=p)
    return p


def ballots_stored() -> int:
    return EvaluationBallot.objects.count() + EvaluationPooledBallot.objects.count()


def test_duplicate_evaluation_ballots_from_one_resident_count_once(
    evaluating: Any, voters: list[Any]
) -> None:
    voter = voters[0]
    choices = ["satisfied", "dissatisfied", "basically_satisfied"] * (ATTEMPTS // 3 + 1)
    outcomes = in_parallel(
        lambda choice: services.evaluation_vote(project=evaluating, by=voter, choice=choice),
        choices[:ATTEMPTS],
    )
    assert outcomes == Counter({"ok": 1, "invalid": ATTEMPTS - 1})
    assert EvaluationParticipation.objects.count() == ballots_stored() == 1


def test_a_burst_of_mixed_votes_is_sealed_in_batches_and_loses_nothing(
    evaluating: Any, voters: list[Any]
) -> None:
    choices = ["satisfied", "basically_satisfied", "dissatisfied"]
    jobs = [(v, choices[i % 3]) for i, v in enumerate(voters)]
    outcomes = in_parallel(
        lambda job: services.evaluation_vote(project=evaluating, by=job[0], choice=job[1]), jobs
    )
    assert outcomes == Counter({"ok": ATTEMPTS})
    rnd = evaluating.evaluation_rounds.get()
    assert EvaluationParticipation.objects.count() == ballots_stored() == ATTEMPTS
    # whatever is left unsealed is less than one batch: every vote tried to seal after it committed
    assert EvaluationPooledBallot.objects.count() < rnd.tally_step
    assert services.evaluation_tally(rnd).votes == EvaluationBallot.objects.count()
    services.evaluation_seal(rnd, everything=True)
    tally = services.evaluation_tally(rnd)
    assert [tally.satisfied, tally.basically_satisfied, tally.dissatisfied] == [67, 67, 66]


def test_closing_an_evaluation_during_a_burst_counts_every_accepted_vote(
    evaluating: Any, voters: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock closes the round while votes cast just before the end are still in flight."""
    from deliberation.services import evaluation

    monkeypatch.setattr(evaluation, "evaluation_can_close", lambda rnd: rnd.closed_at is None)
    jobs = [*voters[: ATTEMPTS // 2], "close", *voters[ATTEMPTS // 2 :]]

    def work(job: Any) -> None:
        if job == "close":
            services.evaluation_close(project=evaluating, by=None)
        else:
            services.evaluation_vote(project=evaluating, by=job, choice="satisfied")

    outcomes = in_parallel(work, jobs)
    assert set(outcomes) <= {"ok", "conflict"}, (outcomes, errors[:3])
    accepted = outcomes["ok"] - 1  # the close itself
    closing = ProjectEvent.objects.get(project=evaluating, action="pass_evaluation")
    counted = int(re.search(r"满意 (\d+)", closing.note).group(1))  # type: ignore[union-attr]
    assert EvaluationBallot.objects.count() == accepted
    assert not EvaluationPooledBallot.objects.exists()
    assert counted == accepted, "a vote was accepted (201) but left out of the count that pays"
    rnd = evaluating.evaluation_rounds.get()
    assert services.evaluation_tally(rnd).votes == accepted, "the live tally moved after closing"


def test_duplicate_budget_ballots_from_one_resident_count_once(
    project_in: Any, make_round: Any, make_resident: Any
) -> None:
    a, b = project_in("deliberating"), project_in("deliberating")
    voter = make_resident()
    rnd = make_round([a, b])
    picks = [[str(a.pk)], [str(b.pk)], [str(a.pk), str(b.pk)]] * (ATTEMPTS // 3 + 1)
    outcomes = in_parallel(
        lambda ids: ballots.ballot_cast(round=rnd, by=voter, project_ids=ids), picks[:ATTEMPTS]
    )
    assert outcomes == Counter({"ok": 1, "invalid": ATTEMPTS - 1})
    assert BallotParticipation.objects.count() == 1
    assert Ballot.objects.count() + PooledBallot.objects.count() == 1
    assert sum(r["votes"] for r in ballots.standings(rnd)) == BallotApproval.objects.count()


def test_burst_of_distinct_residents_loses_no_budget_ballot(
    project_in: Any, make_round: Any, make_resident: Any
) -> None:
    a, b = project_in("deliberating"), project_in("deliberating")
    voters = [make_resident() for _ in range(ATTEMPTS)]
    rnd = make_round([a, b])
    outcomes = in_parallel(
        lambda voter: ballots.ballot_cast(round=rnd, by=voter, project_ids=[str(a.pk), str(b.pk)]),
        voters,
    )
    assert outcomes == Counter({"ok": ATTEMPTS})
    assert BallotParticipation.objects.count() == Ballot.objects.count() == ATTEMPTS
    assert [r["votes"] for r in ballots.standings(rnd)] == [ATTEMPTS, ATTEMPTS]


def test_closing_during_a_burst_counts_exactly_the_ballots_that_got_in(
    project_in: Any,
    make_round: Any,
    make_resident: Any,
    cast: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The clock closes the round while ballots cast just before the end are in flight."""
    from deliberation.ballots import services as round_services

    monkeypatch.setattr(round_services, "round_can_close", lambda rnd: rnd.status == "open")
    a = project_in("deliberating")
    voters: list[Any] = [make_resident() for _ in range(ATTEMPTS)]
    rnd = make_round([a])
    jobs = [*voters[: ATTEMPTS // 2], "close", *voters[ATTEMPTS // 2 :]]

    def work(job: Any) -> None:
        if job == "close":
            ballots.round_close(round=rnd, by=None)
        else:
            ballots.ballot_cast(round=rnd, by=job, project_ids=[str(a.pk)])

    outcomes = in_parallel(work, jobs)
    assert set(outcomes) <= {"ok", "conflict"}, outcomes
    cast_ok = outcomes["ok"] - 1  # the close itself
    result = RoundResult.objects.get(round=rnd)
    assert Ballot.objects.count() == BallotParticipation.objects.count() == cast_ok
    assert result.voters == cast_ok, "a ballot landed after the count"
    assert outcomes["conflict"] == ATTEMPTS - cast_ok
