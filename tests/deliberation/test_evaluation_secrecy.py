"""Secret ballots: who voted is stored apart from what was chosen, with nothing (key, order, time)
that joins the two; pages, the API, events and exports publish tallies and turnout only."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from rest_framework.test import APIClient

from deliberation import ballot_box, ballots, services
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
    EvaluationRound,
)
from tests.deliberation.votes_support import end_window, vote

pytestmark = pytest.mark.usefixtures("vote_urls")

WHO = [EvaluationParticipation, BallotParticipation]
WHAT = [EvaluationBallot, Ballot, BallotApproval]


@pytest.mark.parametrize("model", WHAT, ids=lambda m: m.__name__)
def test_what_was_chosen_has_no_voter_no_time_and_a_random_key(model: type[models.Model]) -> None:
    fields = model._meta.get_fields()
    related = {f.related_model for f in fields if f.is_relation and f.related_model is not None}
    assert not related & {*WHO, model._meta.apps.get_model(settings.AUTH_USER_MODEL)}
    assert not [f.name for f in fields if isinstance(f, models.DateField | models.TimeField)]
    pk = model._meta.pk
    assert isinstance(pk, models.UUIDField) and pk.default is uuid.uuid4
    assert model._meta.ordering == ["id"]  # listed in random-key order, never in casting order


@pytest.mark.parametrize("model", WHO, ids=lambda m: m.__name__)
def test_who_voted_has_no_choice(model: type[models.Model]) -> None:
    names = {f.name for f in model._meta.get_fields()}
    related = {f.related_model for f in model._meta.get_fields() if f.is_relation}
    assert names.isdisjoint({"choice", "comment", "approvals", "projects"})
    assert not related & set(WHAT)


@pytest.fixture
def voters(make_resident: Any) -> list[Any]:
    """Residents registered before the round opens (on its roll), named to be searched for."""
    return [make_resident(f"voter_{i:02d}") for i in range(40)]


@pytest.fixture
def evaluating(project_in: Any, voters: list[Any], community: Any) -> Any:
    community.tally_step = 2
    community.save()
    p = project_in("evaluating")
    services.evaluation_open_round(project=p)
    return p


def test_pages_and_api_publish_the_tally_never_who_chose_what(
    evaluating: Any, voters: list[Any], cast: dict[str, Any], client_for: Any, client: Any
) -> None:
    alice, bob = voters[:2]
    services.evaluation_vote(
        project=evaluating, by=alice, choice="dissatisfied", comment="路面不平"
    )
    tally = services.evaluation_vote(project=evaluating, by=bob, choice="satisfied")
    assert (tally.votes, tally.satisfied, tally.dissatisfied) == (2, 1, 1)
    views = [
        client.get(f"/projects/{evaluating.pk}/"),
        client_for(cast["clerk"]).get(f"/projects/{evaluating.pk}/"),
        client_for(cast["supervisor"]).get(f"/projects/{evaluating.pk}/"),
        client_for(cast["committee"]).get(f"/api/v1/projects/{evaluating.pk}/"),
        APIClient().get(f"/api/v1/projects/{evaluating.pk}/"),
        APIClient().get(f"/api/v1/projects/{evaluating.pk}/audit/"),
    ]
    for response in views:
        assert response.status_code == 200
        text = response.content.decode()
        assert alice.username not in text and bob.username not in text
    body = views[3].json()["evaluation"]
    assert (body["votes"], body["satisfied"], body["dissatisfied"]) == (2, 1, 1)
    # the voter learns that they voted, not a receipt of what
    own = client_for(alice).get(f"/projects/{evaluating.pk}/").content.decode()
    assert "您已参加本轮评议" in own


def test_the_vote_response_is_the_public_tally(evaluating: Any, voters: list[Any]) -> None:
    client = APIClient()
    client.force_authenticate(voters[0])
    r = client.post(
        f"/api/v1/projects/{evaluating.pk}/evaluation/", {"choice": "satisfied"}, format="json"
    )
    assert r.status_code == 201
    assert "choice" not in r.json() and "id" not in r.json()
    assert r.json()["votes"] == 0  # alone in the sealing pool: not yet in the public tally


@pytest.mark.django_db(transaction=True)  # events go out once the batch is sealed and committed
def test_tally_events_name_nobody_and_no_choice(evaluating: Any, voters: list[Any]) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("screen.xingfu", channel)
    for voter in voters[:2]:
        services.evaluation_vote(project=evaluating, by=voter, choice="basically_satisfied")
    while True:  # the round's opening may still be on its way to the screen
        text = async_to_sync(layer.receive)(channel)["text"]
        event = json.loads(text)
        if event["kind"] != "evaluation.tally":
            continue
        break
    assert {k for k in event if k != "published_at"} == {"kind", "project_id"}
    assert voters[0].username not in text and "basically" not in text
    async_to_sync(layer.group_discard)("screen.xingfu", channel)


# --- nothing in the database links a voter to a choice, once sealed ----------------------------
def _pairing_hits(who: list[tuple[Any, str]], what: list[tuple[Any, str]]) -> int:
    """Pair participations with ballots in the order an attribute gives (each list is
    ``(attribute, label)``, sorted by the attribute): how many pairs name the same voter."""
    return sum(a[1] == b[1] for a, b in zip(sorted(who), sorted(what), strict=True))


def _rows(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


@pytest.mark.django_db(transaction=True)  # every vote and every seal commits on its own
def test_no_id_order_transaction_or_time_links_a_voter_to_a_choice(
    project_in: Any, community: Any, make_resident: Any
) -> None:
    """Each voter writes their own name as the comment, so the truth is known; an observer with
    the database tries every attribute rows carry and links no better than chance within a
    sealed batch (expected n/k right, where ordering alone would get all n)."""
    k, n = 5, 40
    community.tally_step = k
    community.save()
    people = [make_resident(f"v{i:02d}") for i in range(n)]
    p = project_in("evaluating")
    services.evaluation_open_round(project=p)
    for person in people:
        services.evaluation_vote(project=p, by=person, choice="satisfied", comment=person.username)
    assert EvaluationBallot.objects.count() == n  # 40 = 8 sealed batches of 5
    voter_of = dict(EvaluationParticipation.objects.values_list("pk", "voter__username"))
    pt = EvaluationParticipation._meta.db_table
    bt = EvaluationBallot._meta.db_table
    attempts: dict[str, int] = {}
    # ids: the participation's sequence against the ballot's random key
    attempts["ids"] = _pairing_hits(
        [(pk, voter_of[pk]) for pk in voter_of],
        list(EvaluationBallot.objects.values_list("pk", "comment")),
    )
    if connection.vendor == "postgresql":
        for name, expr in [
            ("xmin", "xmin::text::bigint, ctid"),
            ("ctid", "ctid"),
        ]:
            who = _rows(f"SELECT {expr}, id FROM {pt}")  # noqa: S608
            what = _rows(f"SELECT {expr}, comment FROM {bt}")  # noqa: S608
            attempts[name] = _pairing_hits(
                [(r[:-1], voter_of[r[-1]]) for r in who], [(r[:-1], r[-1]) for r in what]
            )
        # a participation and a ballot written by one transaction: the whole batch shares it
        who_x = dict(_rows(f"SELECT id, xmin::text FROM {pt}"))  # noqa: S608
        what_x = _rows(f"SELECT xmin::text, comment FROM {bt}")  # noqa: S608
        batches: dict[str, list[str]] = {}
        for xmin, comment in what_x:
            batches.setdefault(xmin, []).append(comment)
        assert all(len(b) >= k for b in batches.values())
        assert {who_x[pk] for pk in voter_of} == set(batches)
        same = [len(batches[who_x[pk]]) for pk in voter_of]
        assert min(same) >= k  # each voter hides among at least k ballots of the same transaction
    else:
        who = _rows(f"SELECT rowid, id FROM {pt}")  # noqa: S608
        what = _rows(f"SELECT rowid, comment FROM {bt}")  # noqa: S608
        attempts["rowid"] = _pairing_hits([(r[0], voter_of[r[1]]) for r in who], list(what))
    chance = n / k  # pairing at random inside each batch of k
    print(f"linked right, of {n} (chance {chance:g}):", attempts)
    for how, hits in attempts.items():
        assert hits <= chance + 4 * (chance * (1 - 1 / k)) ** 0.5, (how, hits, attempts)
    assert not [
        f for f in EvaluationParticipation._meta.get_fields() if "time" in f.name or "_at" in f.name
    ]


@pytest.mark.django_db(transaction=True)  # every vote commits on its own, as in production
def test_a_ballot_waiting_in_the_pool_says_nothing_to_whoever_links_it_to_its_voter(
    project_in: Any, community: Any, make_resident: Any, make_round: Any
) -> None:
    """Before a batch is sealed, a pooled row is written in its voter's transaction (so a counted
    vote is never lost) and the database can tie the two (xmin, ctid, rowid). What the row holds
    must then say nothing: no choice or comment in the clear, and every box the same size, so
    neither its content nor its length tells 满意 from 不满意 or one approval from three."""
    community.tally_step = 5
    community.save()
    people = [make_resident(f"w{i:02d}") for i in range(4)]  # 4 < k: nothing is sealed yet
    p = project_in("evaluating")
    services.evaluation_open_round(project=p)
    choices = ["satisfied", "dissatisfied", "basically_satisfied", "satisfied"]
    for person, choice in zip(people, choices, strict=True):
        services.evaluation_vote(project=p, by=person, choice=choice, comment=person.username * 9)
    assert not EvaluationBallot.objects.exists()
    table = EvaluationPooledBallot._meta.db_table
    raw = _rows(f"SELECT choice, comment, box FROM {table}")  # noqa: S608
    assert [(c, m) for c, m, _b in raw] == [("", "")] * 4
    boxes = [bytes(b) for _c, _m, b in raw]
    assert len({len(b) for b in boxes}) == 1 and len(set(boxes)) == 4  # one size, no two alike
    for secret in [*choices, *(p.username for p in people)]:
        assert not any(secret.encode() in b for b in boxes)
    if connection.vendor == "postgresql":  # the link the database does give leads to a box
        linked = _rows(
            f"SELECT pb.choice, pb.comment FROM {table} pb JOIN "  # noqa: S608
            f"{EvaluationParticipation._meta.db_table} pt ON pt.xmin::text = pb.xmin::text"
        )
        assert len(linked) == 4 and set(linked) == {("", "")}
    # budget ballots: one approval and three approvals give boxes of the same size
    a, b, c = project_in("deliberating"), project_in("deliberating"), project_in("deliberating")
    rnd = make_round([a, b, c])
    BudgetRound.objects.filter(pk=rnd.pk).update(tally_step=5)  # both stay in the pool
    rnd.refresh_from_db()
    vote(rnd, people[0], a)
    vote(rnd, people[1], a, b, c)
    sizes = {len(bytes(x)) for x in PooledBallot.objects.values_list("box", flat=True)}
    assert len(sizes) == 1
    assert all(e == [] for e in PooledBallot.objects.values_list("entries", flat=True))
    # sealing opens the boxes: the count is what was cast
    services.evaluation_seal(EvaluationRound.objects.get(project=p), everything=True)
    assert sorted(EvaluationBallot.objects.values_list("choice", flat=True)) == sorted(choices)


def test_a_pooled_ballot_locked_under_an_earlier_key_opens_with_the_fallback(
    settings: Any,
) -> None:
    box = ballot_box.lock({"choice": "satisfied", "comment": "好"})
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "another-key-" + "x" * 40, []
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY_FALLBACKS"):
        ballot_box.unlock(box)
    settings.SECRET_KEY_FALLBACKS = [old]
    assert ballot_box.unlock(box) == {"choice": "satisfied", "comment": "好"}


def test_budget_ballots_are_published_as_totals_only(
    project_in: Any, make_round: Any, make_resident: Any, client: Any, cast: dict[str, Any]
) -> None:
    a, b = project_in("deliberating"), project_in("deliberating")
    dave, erin = make_resident("dave_voter"), make_resident("erin_voter")
    rnd = make_round([a, b])
    vote(rnd, dave, a)
    vote(rnd, erin, a, b)
    ballots.round_close(round=end_window(rnd), by=cast["committee"])
    for url in (
        f"/rounds/{rnd.pk}/",
        f"/rounds/{rnd.pk}/results/",
        f"/rounds/{rnd.pk}/export.pb",
        f"/api/v1/rounds/{rnd.pk}/",
        f"/api/v1/rounds/{rnd.pk}/results/",
    ):
        text = client.get(url).content.decode()
        assert "dave_voter" not in text and "erin_voter" not in text, url
    assert (
        BallotParticipation.objects.filter(round=rnd).count()
        == Ballot.objects.filter(round=rnd).count()
        == 2
    )
