"""Under load, on PostgreSQL with real parallel connections (one per thread): duplicate ballots
from one voter count once, and a burst of distinct voters loses nothing. Also for budget ballots,
and a round closed in the middle of a burst counts exactly the ballots that got in."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from deliberation import ballots, services
from deliberation.ballot_models import Ballot, BallotApproval, BallotParticipation, RoundResult
from deliberation.models import EvaluationBallot, EvaluationParticipation
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
                with lock:
                    outcomes[kind] += 1
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, shares))
    return outcomes


@pytest.fixture
def evaluating(project_in: Any) -> Any:
    p = project_in("evaluating")
    services.evaluation_open_round(project=p)
    return p


def test_duplicate_evaluation_ballots_from_one_resident_count_once(
    evaluating: Any, make_resident: Any
) -> None:
    voter = make_resident()
    choices = ["satisfied", "dissatisfied", "basically_satisfied"] * (ATTEMPTS // 3 + 1)
    outcomes = in_parallel(
        lambda choice: services.evaluation_vote(project=evaluating, by=voter, choice=choice),
        choices[:ATTEMPTS],
    )
    assert outcomes == Counter({"ok": 1, "invalid": ATTEMPTS - 1})
    assert EvaluationParticipation.objects.count() == EvaluationBallot.objects.count() == 1
    assert services.evaluation_tally(evaluating.evaluation_rounds.get()).votes == 1


def test_burst_of_distinct_residents_loses_no_evaluation_ballot(
    evaluating: Any, make_resident: Any
) -> None:
    voters = [make_resident() for _ in range(ATTEMPTS)]
    outcomes = in_parallel(
        lambda voter: services.evaluation_vote(project=evaluating, by=voter, choice="satisfied"),
        voters,
    )
    assert outcomes == Counter({"ok": ATTEMPTS})
    assert EvaluationParticipation.objects.count() == EvaluationBallot.objects.count() == ATTEMPTS
    assert services.evaluation_tally(evaluating.evaluation_rounds.get()).satisfied == ATTEMPTS


def test_the_live_tally_keeps_up_with_a_burst_of_mixed_votes(
    evaluating: Any, make_resident: Any
) -> None:
    choices = ["satisfied", "basically_satisfied", "dissatisfied"]
    jobs = [(make_resident(), choices[i % 3]) for i in range(ATTEMPTS)]
    outcomes = in_parallel(
        lambda job: services.evaluation_vote(project=evaluating, by=job[0], choice=job[1]), jobs
    )
    assert outcomes == Counter({"ok": ATTEMPTS})
    rnd = evaluating.evaluation_rounds.get()
    assert services.evaluation_tally(rnd) == services.evaluation_count(rnd)
    assert services.evaluation_count(rnd).votes == ATTEMPTS


def test_after_a_burst_the_last_tally_a_screen_gets_counts_every_ballot(
    evaluating: Any, make_resident: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tallies are read when they are sent, after the burst's last commit: a tally taken inside a
    ballot's own statement could miss one committing at the same moment."""
    from notifications import events, publisher

    sent: list[tuple[str, dict[str, Any]]] = []

    async def record(messages: list[tuple[str, dict[str, Any]]]) -> None:
        sent.extend(messages)

    recorder = publisher.Publisher(record)
    monkeypatch.setattr(events, "get_channel_layer", lambda: object())  # a broker, not in-memory
    monkeypatch.setattr(publisher, "get", lambda send, claim=None: recorder)
    choices = ["satisfied", "basically_satisfied", "dissatisfied"]
    jobs = [(make_resident(), choices[i % 3]) for i in range(ATTEMPTS)]
    try:
        outcomes = in_parallel(
            lambda job: services.evaluation_vote(project=evaluating, by=job[0], choice=job[1]),
            jobs,
        )
        recorder.flush()
    finally:
        recorder.forget()  # and close its reading thread's connection
    assert outcomes == Counter({"ok": ATTEMPTS})
    screen = [
        json.loads(message["text"])["tally"]
        for group, message in sent
        if group == events.screen_group(evaluating.community.slug)
    ]
    assert screen[-1]["votes"] == ATTEMPTS
    assert [screen[-1][c] for c in choices] == [67, 67, 66]
    assert len(screen) < ATTEMPTS / 4  # a burst costs screens a few sends, not one per ballot


def test_duplicate_budget_ballots_from_one_resident_count_once(
    project_in: Any, make_round: Any, make_resident: Any
) -> None:
    a, b = project_in("deliberating"), project_in("deliberating")
    rnd = make_round([a, b])
    voter = make_resident()
    picks = [[str(a.pk)], [str(b.pk)], [str(a.pk), str(b.pk)]] * (ATTEMPTS // 3 + 1)
    outcomes = in_parallel(
        lambda ids: ballots.ballot_cast(round=rnd, by=voter, project_ids=ids), picks[:ATTEMPTS]
    )
    assert outcomes == Counter({"ok": 1, "invalid": ATTEMPTS - 1})
    assert BallotParticipation.objects.count() == Ballot.objects.count() == 1
    assert sum(r["votes"] for r in ballots.standings(rnd)) == BallotApproval.objects.count()


def test_burst_of_distinct_residents_loses_no_budget_ballot(
    project_in: Any, make_round: Any, make_resident: Any
) -> None:
    a, b = project_in("deliberating"), project_in("deliberating")
    rnd = make_round([a, b])
    voters = [make_resident() for _ in range(ATTEMPTS)]
    outcomes = in_parallel(
        lambda voter: ballots.ballot_cast(round=rnd, by=voter, project_ids=[str(a.pk), str(b.pk)]),
        voters,
    )
    assert outcomes == Counter({"ok": ATTEMPTS})
    assert BallotParticipation.objects.count() == Ballot.objects.count() == ATTEMPTS
    assert [r["votes"] for r in ballots.standings(rnd)] == [ATTEMPTS, ATTEMPTS]


def test_closing_during_a_burst_counts_exactly_the_ballots_that_got_in(
    project_in: Any, make_round: Any, make_resident: Any, cast: dict[str, Any]
) -> None:
    a = project_in("deliberating")
    rnd = make_round([a])
    voters: list[Any] = [make_resident() for _ in range(ATTEMPTS)]
    jobs = [*voters[: ATTEMPTS // 2], "close", *voters[ATTEMPTS // 2 :]]

    def work(job: Any) -> None:
        if job == "close":
            ballots.round_close(round=rnd, by=cast["committee"], force=True)
        else:
            ballots.ballot_cast(round=rnd, by=job, project_ids=[str(a.pk)])

    outcomes = in_parallel(work, jobs)
    assert set(outcomes) <= {"ok", "conflict"}, outcomes
    cast_ok = outcomes["ok"] - 1  # the close itself
    result = RoundResult.objects.get(round=rnd)
    assert Ballot.objects.count() == BallotParticipation.objects.count() == cast_ok
    assert result.voters == cast_ok, "a ballot landed after the count"
    assert outcomes["conflict"] == ATTEMPTS - cast_ok


def test_closing_an_evaluation_during_a_burst_counts_every_accepted_vote(
    evaluating: Any, make_resident: Any, cast: dict[str, Any]
) -> None:
    voters: list[Any] = [make_resident() for _ in range(ATTEMPTS)]
    jobs = [*voters[: ATTEMPTS // 2], "close", *voters[ATTEMPTS // 2 :]]

    def work(job: Any) -> None:
        if job == "close":
            services.evaluation_close(project=evaluating, by=cast["clerk"], force=True)
        else:
            services.evaluation_vote(project=evaluating, by=job, choice="satisfied")

    outcomes = in_parallel(work, jobs)
    assert set(outcomes) <= {"ok", "conflict"}, outcomes
    accepted = outcomes["ok"] - 1  # the close itself
    closing = ProjectEvent.objects.get(project=evaluating, action="pass_evaluation")
    counted = int(re.search(r"满意 (\d+)", closing.reason).group(1))  # type: ignore[union-attr]
    assert EvaluationBallot.objects.count() == accepted
    assert counted == accepted, "a vote was accepted (201) but left out of the count that pays"
    rnd = evaluating.evaluation_rounds.get()
    assert services.evaluation_tally(rnd).votes == accepted, "the live tally moved after closing"
