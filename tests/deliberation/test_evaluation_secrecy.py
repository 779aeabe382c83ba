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
from django.db import models
from rest_framework.test import APIClient

from deliberation import ballots, services
from deliberation.ballot_models import Ballot, BallotApproval, BallotParticipation
from deliberation.models import EvaluationBallot, EvaluationParticipation
from tests.deliberation.votes_support import vote

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
def evaluating(project_in: Any) -> Any:
    p = project_in("evaluating")
    services.evaluation_open_round(project=p)
    return p


def test_pages_and_api_publish_the_tally_never_who_chose_what(
    evaluating: Any, make_resident: Any, cast: dict[str, Any], client_for: Any, client: Any
) -> None:
    alice, bob = make_resident("alice_voter"), make_resident("bob_voter")
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
        assert "alice_voter" not in text and "bob_voter" not in text
    body = views[3].json()["evaluation"]
    assert (body["votes"], body["satisfied"], body["dissatisfied"]) == (2, 1, 1)
    # the voter learns that they voted, not a receipt of what
    own = client_for(alice).get(f"/projects/{evaluating.pk}/").content.decode()
    assert "您已参加本轮评议" in own


def test_the_vote_response_is_the_public_tally(evaluating: Any, make_resident: Any) -> None:
    voter = make_resident()
    client = APIClient()
    client.force_authenticate(voter)
    r = client.post(
        f"/api/v1/projects/{evaluating.pk}/evaluation/", {"choice": "satisfied"}, format="json"
    )
    assert r.status_code == 201
    assert "choice" not in r.json() and "id" not in r.json()
    assert r.json()["votes"] == 1 and r.json()["satisfied"] == 1


@pytest.mark.django_db(transaction=True)  # the tally is read once the vote has committed
def test_live_tally_events_carry_counts_only(evaluating: Any, make_resident: Any) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("screen.xingfu", channel)
    voter = make_resident("carol_voter")
    services.evaluation_vote(project=evaluating, by=voter, choice="basically_satisfied")
    while True:  # the round's opening may still be on its way to the screen
        text = async_to_sync(layer.receive)(channel)["text"]
        event = json.loads(text)
        if event["kind"] != "evaluation.opened":
            break
    assert event["kind"] == "evaluation.tally" and event["tally"]["basically_satisfied"] == 1
    assert "carol_voter" not in text and f'"{voter.pk}"' not in text
    async_to_sync(layer.group_discard)("screen.xingfu", channel)


def test_budget_ballots_are_published_as_totals_only(
    project_in: Any, make_round: Any, make_resident: Any, client: Any, cast: dict[str, Any]
) -> None:
    a, b = project_in("deliberating"), project_in("deliberating")
    rnd = make_round([a, b])
    dave, erin = make_resident("dave_voter"), make_resident("erin_voter")
    vote(rnd, dave, a)
    vote(rnd, erin, a, b)
    ballots.round_close(round=rnd, by=cast["committee"], force=True)
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
