"""The vote API: roll-calls and budget ballots. 403 wrong role, 409 wrong state, 400 bad input,
404 what the caller may not see — never a 500, and never a ballot paired with its voter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from deliberation.ballot_models import BudgetRound
from deliberation.models import Decision
from projects.models import State
from tests.deliberation.votes_support import ballot_rows, end_window

pytestmark = pytest.mark.usefixtures("vote_urls")


@pytest.fixture
def api() -> Any:
    def make(user: Any = None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


# --- roll-call -------------------------------------------------------------------------------
def test_roll_call_over_the_api(project_in: Any, cast: dict[str, Any], api: Any) -> None:
    p = project_in("deciding")
    r = api(cast["committee"]).post(
        f"/api/v1/projects/{p.pk}/decisions/",
        {"motion": "approve", "amount": "15000.00", "reason": "议事会建议"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    d = r.json()
    # two thirds of three members
    assert (d["result"], d["amount"], d["members_total"], d["quorum_needed"]) == (
        "open",
        "15000.00",
        3,
        2,
    )
    for who, choice in (("committee", "yes"), ("committee2", "yes"), ("committee3", "no")):
        r = api(cast[who]).post(
            f"/api/v1/decisions/{d['id']}/votes/", {"choice": choice}, format="json"
        )
        assert r.status_code == 201
    assert [v["choice"] for v in r.json()["votes"]] == ["yes", "yes", "no"]
    r = api(cast["committee2"]).post(
        f"/api/v1/decisions/{d['id']}/close/", {"minutes": "纪要"}, format="json"
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["result"], body["present"], body["yes"], body["no"], body["minutes"]) == (
        "carried",
        3,
        2,
        1,
        "纪要",
    )
    public = api().get(f"/api/v1/decisions/{d['id']}/").json()
    assert [(v["member"]["username"], v["choice"]) for v in public["votes"]] == [
        ("committee", "yes"),
        ("committee2", "yes"),
        ("committee3", "no"),
    ]
    assert api().get(f"/api/v1/projects/{p.pk}/decisions/").json()[0]["id"] == d["id"]
    p.refresh_from_db()
    assert p.state == State.PUBLICIZING


@pytest.mark.parametrize(
    ("who", "payload", "status"),
    [
        ("resident", {"motion": "approve", "amount": "100.00"}, 403),
        ("committee", {"motion": "approve"}, 400),
        ("committee", {"motion": "approve", "amount": "-5"}, 400),
        ("committee", {"motion": "approve", "amount": True}, 400),
        ("committee", {"motion": "approve", "amount": ["1"]}, 400),
        ("committee", {"motion": "approve", "amount": "1.001"}, 400),
        ("committee", {"motion": "explode"}, 400),
        ("committee", {"motion": 7}, 400),
        ("committee", {"motion": "decline"}, 400),
        ("committee", ["approve"], 400),
        (None, {"motion": "approve", "amount": "1.00"}, 401),
    ],
)
def test_bad_motions_are_refused_and_nothing_is_written(
    project_in: Any, cast: dict[str, Any], api: Any, who: str | None, payload: Any, status: int
) -> None:
    p = project_in("deciding")
    r = api(cast[who] if who else None).post(
        f"/api/v1/projects/{p.pk}/decisions/", payload, format="json"
    )
    assert r.status_code == status, r.content
    assert "detail" in r.json()
    assert not Decision.objects.exists()


def test_motion_on_a_project_in_the_wrong_state_is_409(
    project_in: Any, cast: dict[str, Any], api: Any
) -> None:
    p = project_in("deliberating")
    r = api(cast["committee"]).post(
        f"/api/v1/projects/{p.pk}/decisions/", {"motion": "defer"}, format="json"
    )
    assert r.status_code == 409 and r.json()["state"] == "deliberating"


def test_bad_votes_and_closes(project_in: Any, cast: dict[str, Any], api: Any) -> None:
    p = project_in("deciding")
    d = (
        api(cast["committee"])
        .post(f"/api/v1/projects/{p.pk}/decisions/", {"motion": "defer"}, format="json")
        .json()
    )
    url = f"/api/v1/decisions/{d['id']}/"
    assert (
        api(cast["resident"]).post(url + "votes/", {"choice": "yes"}, format="json").status_code
        == 403
    )
    assert (
        api(cast["committee"]).post(url + "votes/", {"choice": "maybe"}, format="json").status_code
        == 400
    )
    assert (
        api(cast["committee"]).post(url + "votes/", {"choice": "recuse"}, format="json").status_code
        == 400
    )
    assert (
        api(cast["committee"]).post(url + "votes/", {"choice": ["yes"]}, format="json").status_code
        == 400
    )
    assert (
        api(cast["committee"]).post(url + "votes/", {"choice": "yes"}, format="json").status_code
        == 201
    )
    assert (
        api(cast["committee"]).post(url + "votes/", {"choice": "no"}, format="json").status_code
        == 400
    )
    assert api(cast["resident"]).post(url + "close/", {}, format="json").status_code == 403
    assert (
        api(cast["committee"]).post(url + "close/", {"minutes": 5}, format="json").status_code
        == 400
    )
    assert api(cast["committee"]).post(url + "close/", {}, format="json").status_code == 200
    assert (
        api(cast["committee2"]).post(url + "votes/", {"choice": "yes"}, format="json").status_code
        == 409
    )
    assert api(cast["committee"]).post(url + "close/", {}, format="json").status_code == 409
    assert api().get("/api/v1/decisions/999999/").status_code == 404


# --- budget rounds ---------------------------------------------------------------------------
def test_round_over_the_api_from_creation_to_results(
    project_in: Any, cast: dict[str, Any], api: Any, make_resident: Any, community: Any
) -> None:
    a, b = (
        project_in("deliberating", cost="600000.00"),
        project_in("deliberating", cost="500000.00"),
    )
    voters = [cast["resident"], make_resident(), make_resident(), make_resident()]  # on the roll
    closes = (timezone.now() + timedelta(days=5)).isoformat()
    r = api(cast["committee"]).post(
        "/api/v1/rounds/",
        {
            "community": community.slug,
            "title": "API 轮次",
            "rule": "greedy",
            "closes_at": closes,
            "projects": [a.pk, b.pk],
            "max_projects": 1,
            "open": True,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    rnd = r.json()
    assert (rnd["status"], rnd["budget"], rnd["max_projects"], rnd["accepting_ballots"]) == (
        "open",
        "1000000.00",
        1,
        True,
    )
    for voter, choice in zip(voters, (a, a, b), strict=False):
        r = api(voter).post(
            f"/api/v1/rounds/{rnd['id']}/ballots/", {"projects": [choice.pk]}, format="json"
        )
        assert r.status_code == 201
        assert set(r.json()) == {
            "round",
            "voters",
            "eligible",
            "standings",
        }  # no ballot id, no choice echo
    detail = api(cast["resident"]).get(f"/api/v1/rounds/{rnd['id']}/").json()
    assert detail["has_voted"] is True and detail["may_vote"] is True and detail["voters"] == 3
    # three ballots wait in the sealing pool (a batch is five): no standings published yet
    assert [p["votes"] for p in detail["projects"]] == [0, 0]
    assert api(cast["committee"]).post(f"/api/v1/rounds/{rnd['id']}/close/").status_code == 409
    end_window(BudgetRound.objects.get(pk=rnd["id"]))
    r = api(cast["committee"]).post(f"/api/v1/rounds/{rnd['id']}/close/")
    assert r.status_code == 200
    results = api().get(f"/api/v1/rounds/{rnd['id']}/results/").json()
    assert [(p["external_id"], p["votes"]) for p in results["projects"]] == [
        (str(a.pk), 2),
        (str(b.pk), 1),
    ]
    assert results["result"]["selected"] == [str(a.pk)]
    assert len(results["result"]["inputs_sha256"]) == 64
    assert [p["selected"] for p in results["projects"]] == [True, False]
    assert api().get(f"/api/v1/rounds/?community={community.slug}").json()[0]["status"] == "closed"


@pytest.mark.parametrize(
    ("who", "payload", "status"),
    [
        ("resident", {"projects": ["999999"]}, 400),
        ("resident", {"projects": "1"}, 400),
        ("resident", {"projects": [None]}, 400),
        ("resident", {"projects": [True]}, 400),
        ("resident", {"projects": [{"id": 1}]}, 400),
        ("resident", {}, 400),
        ("resident", [1, 2], 400),
        ("outsider", {"projects": "A"}, 400),
        ("outsider", {"projects": ["A"]}, 403),
        ("clerk", {"projects": ["A"]}, 403),
        (None, {"projects": ["A"]}, 401),
    ],
)
def test_bad_ballots_over_the_api(
    project_in: Any,
    make_round: Any,
    cast: dict[str, Any],
    api: Any,
    who: str | None,
    payload: Any,
    status: int,
) -> None:
    a = project_in("deliberating")
    rnd = make_round([a])
    if isinstance(payload, dict) and payload.get("projects") == ["A"]:
        payload = {"projects": [a.pk]}
    before = ballot_rows()
    r = api(cast[who] if who else None).post(
        f"/api/v1/rounds/{rnd.pk}/ballots/", payload, format="json"
    )
    assert r.status_code == status, r.content
    assert "detail" in r.json()
    assert ballot_rows() == before


def test_closed_or_draft_round_takes_no_ballots_over_the_api(
    project_in: Any, make_round: Any, cast: dict[str, Any], api: Any
) -> None:
    a, b = project_in("deliberating"), project_in("deliberating")
    draft = make_round([a], open=False)
    closed = make_round([b])
    api(cast["committee"]).post(f"/api/v1/rounds/{closed.pk}/close/")
    end_window(closed)
    api(cast["committee"]).post(f"/api/v1/rounds/{closed.pk}/close/")
    r = api(cast["resident"]).post(
        f"/api/v1/rounds/{closed.pk}/ballots/", {"projects": [b.pk]}, format="json"
    )
    assert r.status_code == 409 and r.json()["state"] == "closed"
    # a draft is not visible to residents at all
    r = api(cast["resident"]).post(
        f"/api/v1/rounds/{draft.pk}/ballots/", {"projects": [a.pk]}, format="json"
    )
    assert r.status_code == 404
    assert api(cast["resident"]).post(f"/api/v1/rounds/{draft.pk}/open/").status_code == 404
    assert api(cast["committee"]).post(f"/api/v1/rounds/{draft.pk}/close/").status_code == 409
    assert api(cast["committee"]).post(f"/api/v1/rounds/{draft.pk}/open/").status_code == 200
    assert api(cast["committee"]).post(f"/api/v1/rounds/{draft.pk}/open/").status_code == 409


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"rule": "borda"}, 400),
        ({"projects": []}, 400),
        ({"projects": ["x"]}, 400),
        ({"budget": "abc"}, 400),
        ({"budget": "2000000.00"}, 400),
        ({"closes_at": "2001-01-01T00:00:00Z"}, 400),
        ({"closes_at": "tomorrow"}, 400),
        ({"community": "nowhere"}, 400),
        ({"max_projects": 0}, 400),
        ({"rule": "greedy-threshold"}, 400),
        ({"who": "resident"}, 403),
    ],
)
def test_bad_round_creation_over_the_api(
    project_in: Any,
    cast: dict[str, Any],
    api: Any,
    community: Any,
    change: dict[str, Any],
    status: int,
) -> None:
    a = project_in("deliberating")
    payload = {
        "community": community.slug,
        "title": "t",
        "rule": "greedy",
        "closes_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "projects": [a.pk],
    }
    who = change.pop("who", "committee")
    payload.update(change)
    r = api(cast[who]).post("/api/v1/rounds/", payload, format="json")
    assert r.status_code == status, r.content
    assert not BudgetRound.objects.exists()


def test_drafts_are_hidden_from_the_public(
    project_in: Any, make_round: Any, api: Any, cast: dict[str, Any]
) -> None:
    draft = make_round([project_in("deliberating")], open=False)
    assert api().get("/api/v1/rounds/").json() == []
    assert api().get(f"/api/v1/rounds/{draft.pk}/").status_code == 404
    assert [r["id"] for r in api(cast["committee"]).get("/api/v1/rounds/").json()] == [draft.pk]
