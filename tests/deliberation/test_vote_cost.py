"""What one evaluation vote costs on its one path (DRF view → ``services.evaluation_vote``):
the SQL statements are pinned, so a repeated lookup or a stray savepoint cannot creep back.

Per vote: the token with its user (DRF), the open round locked with its project's state, the
voter's key on the roll, the participation and the pooled ballot (two inserts), the pool's size,
the public tally; plus the transaction's begin and end (a savepoint inside a test's transaction).
The vote that fills a batch also seals it: the round locked for sealing, the pool read, the
sealed ballots written, the pool emptied, the participations marked, in one more transaction."""

from __future__ import annotations

from typing import Any

import pytest

from deliberation.models import EvaluationBallot, EvaluationParticipation
from projects.models import Project
from tests.deliberation.test_evaluation_paths import api, evaluating, voters  # noqa: F401

pytestmark = pytest.mark.usefixtures("vote_urls")

VOTE = 9  # token, savepoint, round, roll, 2 inserts, release, pool size, tally
SEAL = 7  # savepoint, round locked, pool read, ballots written, pool emptied, marked, release


def test_one_vote_costs_a_fixed_number_of_statements(
    evaluating: Project,  # noqa: F811 - the fixture
    voters: list[Any],  # noqa: F811
    django_assert_num_queries: Any,
) -> None:
    url = f"/api/v1/projects/{evaluating.pk}/evaluation/"
    clients = [api(v) for v in voters[:3]]  # the round seals in batches of 3
    for client in clients[:2]:
        with django_assert_num_queries(VOTE):
            assert client.post(url, {"choice": "satisfied"}, format="json").status_code == 201
    with django_assert_num_queries(VOTE + SEAL):
        r = clients[2].post(url, {"choice": "dissatisfied"}, format="json")
    assert r.status_code == 201
    assert r.json()["votes"] == 3
    assert EvaluationParticipation.objects.filter(sealed=True).count() == 3
    assert EvaluationBallot.objects.count() == 3


def test_a_refused_second_ballot_costs_no_more_than_a_vote(
    evaluating: Project,  # noqa: F811
    voters: list[Any],  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    url = f"/api/v1/projects/{evaluating.pk}/evaluation/"
    client = api(voters[0])
    assert client.post(url, {"choice": "satisfied"}, format="json").status_code == 201
    with django_assert_max_num_queries(VOTE):
        r = client.post(url, {"choice": "satisfied"}, format="json")
    assert r.status_code == 400
    assert EvaluationParticipation.objects.count() == 1
