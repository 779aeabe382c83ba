"""The evaluation vote's two paths give the same answers.

On PostgreSQL a ballot that counts takes one SQL statement (``deliberation.evaluation_sql``); a
refusal, and every vote on SQLite, takes the checked path, which names the reason. These tests
run on both databases (CI runs the suite on each), so each behaviour is checked on both paths."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from deliberation import evaluation_sql, services
from deliberation.models import (
    EvaluationBallot,
    EvaluationParticipation,
    EvaluationRound,
    EvaluationTallyShard,
)
from deliberation.tally import Tally
from projects.errors import Conflict, Forbidden, Invalid, NotFound
from projects.models import ProjectEvent

pytestmark = pytest.mark.usefixtures("vote_urls")


@pytest.fixture
def evaluating(project_in: Any) -> Any:
    p = project_in("evaluating")
    services.evaluation_open_round(project=p)
    return p


def stored() -> tuple[int, int]:
    return EvaluationParticipation.objects.count(), EvaluationBallot.objects.count()


def test_household_mode_takes_one_ballot_per_household(
    project_in: Any, community: Any, make_resident: Any
) -> None:
    community.evaluation_per_household = True
    community.save()
    first, same_home, next_door = (
        make_resident(household="3-2-501"),
        make_resident(household="3-2-501"),
        make_resident(household="3-2-502"),
    )
    p = project_in("evaluating")
    rnd = services.evaluation_open_round(project=p)
    assert rnd.per_household
    services.evaluation_vote(project=p, by=first, choice="satisfied")
    with pytest.raises(Invalid, match="您家已有成员参加本轮评议"):
        services.evaluation_vote(project=p, by=same_home, choice="dissatisfied")
    tally = services.evaluation_vote(project=p, by=next_door, choice="dissatisfied")
    assert (tally.votes, tally.satisfied, tally.dissatisfied) == (2, 1, 1)
    assert stored() == (2, 2)
    keys = set(EvaluationParticipation.objects.values_list("voter_key", flat=True))
    assert keys == {"h:3-2-501", "h:3-2-502"}


def test_the_live_tally_equals_the_ballots_for_every_choice(
    evaluating: Any, make_resident: Any
) -> None:
    choices = ["satisfied"] * 4 + ["basically_satisfied"] * 2 + ["dissatisfied"] * 3
    for i, choice in enumerate(choices):
        tally = services.evaluation_vote(project=evaluating, by=make_resident(), choice=choice)
        assert tally.votes == i + 1
    counted = dict(
        EvaluationBallot.objects.values_list("choice")
        .annotate(n=Count("id"))
        .values_list("choice", "n")
    )
    live = services.evaluation_tally(EvaluationRound.objects.get(project=evaluating))
    assert counted == {"satisfied": 4, "basically_satisfied": 2, "dissatisfied": 3}
    assert (live.satisfied, live.basically_satisfied, live.dissatisfied) == (4, 2, 3)
    assert tally == live


def test_a_vote_by_id_takes_the_same_path_as_a_vote_by_project(
    evaluating: Any, make_resident: Any
) -> None:
    services.evaluation_vote(project=evaluating.pk, by=make_resident(), choice="satisfied")
    tally = services.evaluation_vote(project=evaluating, by=make_resident(), choice="satisfied")
    assert tally.satisfied == 2


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("not a resident here", Forbidden, "只有本社区登记居民可以参加评议"),
        ("window over", Conflict, "本轮评议已截止"),
        ("round closed", Conflict, "该项目当前不在评议期"),
        ("no such project", NotFound, "项目不存在"),
        ("choice not offered", Invalid, "请选择满意、基本满意或不满意"),
        ("choice not text", Invalid, "请选择满意、基本满意或不满意"),
        ("comment not text", Invalid, "意见必须是文字"),
        ("comment too long", Invalid, "意见不能超过 500 字"),
    ],
)
def test_a_refused_vote_names_its_reason_and_writes_nothing(
    evaluating: Any,
    make_resident: Any,
    cast: dict[str, Any],
    case: str,
    error: type[Exception],
    message: str,
) -> None:
    voter, project, kwargs = make_resident(), evaluating, {"choice": "satisfied"}
    rnd = EvaluationRound.objects.get(project=evaluating)
    if case == "not a resident here":
        voter = cast["clerk"]
    elif case == "window over":
        EvaluationRound.objects.filter(pk=rnd.pk).update(closes_at=timezone.now() - timedelta(1))
    elif case == "round closed":
        EvaluationRound.objects.filter(pk=rnd.pk).update(closed_at=timezone.now())
    elif case == "no such project":
        project = evaluating.pk + 1000
    elif case == "choice not offered":
        kwargs = {"choice": "very_satisfied"}
    elif case == "choice not text":
        kwargs = {"choice": ["satisfied"]}  # type: ignore[dict-item]
    elif case == "comment not text":
        kwargs = {"choice": "satisfied", "comment": {"a": 1}}  # type: ignore[dict-item]
    elif case == "comment too long":
        kwargs = {"choice": "satisfied", "comment": "长" * 501}
    with pytest.raises(error, match=message):
        services.evaluation_vote(project=project, by=voter, **kwargs)
    assert stored() == (0, 0)
    assert services.evaluation_tally(rnd).votes == 0


def test_a_second_ballot_is_refused_and_leaves_the_tally_alone(
    evaluating: Any, make_resident: Any
) -> None:
    voter = make_resident()
    services.evaluation_vote(project=evaluating, by=voter, choice="satisfied")
    with pytest.raises(Invalid, match="您已参加本轮评议"):
        services.evaluation_vote(project=evaluating, by=voter, choice="dissatisfied")
    tally = services.evaluation_tally(EvaluationRound.objects.get(project=evaluating))
    assert (tally.satisfied, tally.dissatisfied) == (1, 0)
    assert stored() == (1, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement path")
def test_the_one_statement_path_answers_only_for_a_counted_ballot(
    evaluating: Any, make_resident: Any, cast: dict[str, Any]
) -> None:
    voter = make_resident()

    def cast_one(user: Any) -> Tally | None:
        return evaluation_sql.cast(
            project_id=evaluating.pk,
            user_id=user.pk,
            choice="basically_satisfied",
            comment="",
            states=["evaluating"],
        )

    got = cast_one(voter)
    assert got is not None
    assert (got.round, got.basically_satisfied, got.votes) == (1, 1, 1)
    assert cast_one(voter) is None  # a duplicate: nothing counted, the checked path explains
    assert cast_one(cast["clerk"]) is None  # not a resident
    assert stored() == (1, 1)


def test_closing_counts_the_ballots_themselves(
    evaluating: Any, make_resident: Any, cast: dict[str, Any]
) -> None:
    for _ in range(3):
        services.evaluation_vote(project=evaluating, by=make_resident(), choice="satisfied")
    rnd = EvaluationRound.objects.get(project=evaluating)
    EvaluationTallyShard.objects.filter(round=rnd).update(satisfied=333)  # corrupted parts
    assert services.evaluation_tally(rnd).satisfied >= 333
    services.evaluation_close(project=evaluating, by=cast["clerk"], force=True)
    closing = ProjectEvent.objects.filter(project=evaluating).latest("pk")
    assert "满意 3" in closing.reason
    rnd.refresh_from_db()
    assert (services.evaluation_tally(rnd).satisfied, rnd.closed_at is not None) == (3, True)
    assert list(rnd.tally_shards.values_list("shard", flat=True)) == [0]


def test_screens_are_sent_the_tally_the_pages_show(
    project_in: Any, community: Any, make_resident: Any, cast: dict[str, Any]
) -> None:
    community.pass_rate = Decimal("0.750")
    community.save()
    p = project_in("evaluating")
    assert evaluation_sql.live_tally(p.pk) is None  # no round yet
    first = services.evaluation_open_round(project=p)
    for choice in ["satisfied", "satisfied", "dissatisfied", "basically_satisfied"]:
        services.evaluation_vote(project=p, by=make_resident(), choice=choice)
    # another database session's part of the same round
    EvaluationTallyShard.objects.create(round=first, shard=7, satisfied=2, dissatisfied=5)
    tally, title, slug = evaluation_sql.live_tally(p.pk) or pytest.fail("no tally")
    assert tally == services.evaluation_tally(first)
    assert (tally.votes, tally.satisfied, tally.dissatisfied) == (11, 4, 6)
    assert tally.as_dict()["pass_rate"] == "0.750" and not tally.passed
    assert (title, slug) == (p.title, community.slug)
    # a later round (after a rectification) is the one shown, empty as it opens
    services.evaluation_close(project=p, by=cast["clerk"], force=True)
    second = EvaluationRound.objects.create(
        project=p, number=2, opens_at=timezone.now(), closes_at=timezone.now(), eligible=9
    )
    tally, _title, _slug = evaluation_sql.live_tally(p.pk) or pytest.fail("no tally")
    assert (tally.round, tally.eligible, tally.votes) == (2, 9, 0)
    assert tally == services.evaluation_tally(second)


# --- over the API ------------------------------------------------------------------------------
def api(user: Any = None, token: str | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = Token.objects.get_or_create(user=user)[0].key
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_vote_api_answers_json_whatever_the_client_accepts(
    evaluating: Any, make_resident: Any
) -> None:
    r = api(make_resident()).post(
        f"/api/v1/projects/{evaluating.pk}/evaluation/",
        {"choice": "satisfied"},
        format="json",
        HTTP_ACCEPT="text/html",
    )
    assert r.status_code == 201
    assert r["Content-Type"].startswith("application/json")
    assert r.json()["votes"] == 1


def test_vote_api_takes_a_form_post_too(evaluating: Any, make_resident: Any) -> None:
    r = api(make_resident()).post(
        f"/api/v1/projects/{evaluating.pk}/evaluation/", {"choice": "dissatisfied"}
    )
    assert r.status_code == 201, r.content
    assert r.json()["dissatisfied"] == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ([{"choice": "satisfied"}], 400, None),
        ({"choice": 3}, 400, "choice"),
        ({}, 400, "choice"),
        ({"choice": "satisfied", "comment": ["x"]}, 400, "comment"),
    ],
)
def test_vote_api_refuses_a_malformed_body(
    evaluating: Any, make_resident: Any, body: Any, status: int, field: str | None
) -> None:
    r = api(make_resident()).post(
        f"/api/v1/projects/{evaluating.pk}/evaluation/", body, format="json"
    )
    assert r.status_code == status
    if field:
        assert field in r.json()["errors"]
    assert stored() == (0, 0)


def test_vote_api_for_a_project_that_does_not_exist_is_404(make_resident: Any) -> None:
    r = api(make_resident()).post("/api/v1/projects/987654/evaluation/", {"choice": "satisfied"})
    assert r.status_code == 404
    assert r.json()["detail"]


def test_vote_api_does_not_reveal_another_residents_draft(
    project_in: Any, make_resident: Any, cast: dict[str, Any]
) -> None:
    draft = project_in("draft")
    r = api(make_resident()).post(
        f"/api/v1/projects/{draft.pk}/evaluation/", {"choice": "satisfied"}
    )
    assert r.status_code == 404 and "draft" not in r.content.decode()
    # its proposer sees it, and is told why it takes no ballot
    r = api(draft.proposer).post(
        f"/api/v1/projects/{draft.pk}/evaluation/", {"choice": "satisfied"}
    )
    assert r.status_code == 409 and r.json()["state"] == "draft"
    assert stored() == (0, 0)


def test_token_authentication_refuses_unknown_and_inactive(
    evaluating: Any, make_resident: Any
) -> None:
    url = f"/api/v1/projects/{evaluating.pk}/evaluation/"
    r = api(token="0" * 40).post(url, {"choice": "satisfied"}, format="json")
    assert r.status_code == 401
    assert r.json()["detail"] == "认证令牌无效。"  # DRF's own message, in the default language
    gone = make_resident()
    client = api(gone)
    gone.is_active = False
    gone.save()
    r = client.post(url, {"choice": "satisfied"}, format="json")
    assert r.status_code == 401
    assert stored() == (0, 0)


def test_token_authentication_gives_the_whole_user(make_resident: Any) -> None:
    from projects.api_auth import user_for_token

    user = make_resident()
    user.last_login = timezone.now()
    user.save()
    found = user_for_token(Token.objects.create(user=user).key)
    assert found is not None
    assert (found.pk, found.username, found.is_active) == (user.pk, user.username, True)
    assert found.last_login == user.last_login  # typed as the ORM types it, on either database
    assert found.date_joined == user.date_joined
    assert user_for_token("not-a-token") is None


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "认证令牌无效。"), ("zh-hant", "無效的token。"), ("en", "Invalid token.")],
)
def test_a_bad_token_is_refused_in_the_callers_language(
    evaluating: Any, language: str, message: str
) -> None:
    r = api(token="0" * 40).post(
        f"/api/v1/projects/{evaluating.pk}/evaluation/",
        {"choice": "satisfied"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert (r.status_code, r.json()["detail"]) == (401, message)


# --- the vote API's hot path: a token ballot counted in one statement -------------------------
@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Token abc123", "abc123"),
        ("token abc123", "abc123"),  # the keyword is case-insensitive, as in DRF
        ("Bearer abc123", None),
        ("Token", None),
        ("Token abc 123", None),
        ("", None),
    ],
)
def test_the_token_is_read_from_the_header_as_drf_reads_it(
    rf: Any, header: str, key: str | None
) -> None:
    from projects.api_auth import token_key

    request = rf.post("/", HTTP_AUTHORIZATION=header) if header else rf.post("/")
    assert token_key(request) == key


@pytest.fixture
def drf_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How often the vote reached DRF's view (the full path)."""
    from deliberation import api as api_module

    calls: list[int] = []
    real = api_module.ProjectEvaluation.dispatch

    def spy(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["pk"])
        return real(self, request, *args, **kwargs)

    monkeypatch.setattr(api_module.ProjectEvaluation, "dispatch", spy)
    return calls


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path"
)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_counted_token_ballot_never_reaches_drf_and_answers_the_same(
    evaluating: Any, make_resident: Any, drf_calls: list[int]
) -> None:
    url = f"/api/v1/projects/{evaluating.pk}/evaluation/"
    fast = api(make_resident()).post(url, {"choice": "satisfied", "comment": " 好 "}, format="json")
    assert (fast.status_code, drf_calls) == (201, [])
    assert fast["Content-Type"] == "application/json"
    assert EvaluationBallot.objects.get().comment == "好"
    session = APIClient()
    session.force_login(make_resident())
    full = session.post(url, {"choice": "dissatisfied"}, format="json")
    assert (full.status_code, drf_calls) == (201, [evaluating.pk])  # session: DRF's path
    assert set(fast.json()) == set(full.json())
    rnd = EvaluationRound.objects.get(project=evaluating)
    assert full.json() == services.evaluation_tally(rnd).as_dict()
    tally = full.json()
    assert (tally["votes"], tally["satisfied"], tally["dissatisfied"]) == (2, 1, 1)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_token_ballot_that_does_not_count_is_explained_by_drf(
    evaluating: Any, make_resident: Any, cast: dict[str, Any], drf_calls: list[int]
) -> None:
    url = f"/api/v1/projects/{evaluating.pk}/evaluation/"
    voter = make_resident()
    assert api(voter).post(url, {"choice": "satisfied"}, format="json").status_code == 201
    again = api(voter).post(url, {"choice": "dissatisfied"}, format="json")
    assert (again.status_code, again.json()["detail"]) == (400, "您已参加本轮评议")
    clerk = api(cast["clerk"]).post(url, {"choice": "satisfied"}, format="json")
    assert clerk.status_code == 403
    unknown = api(token="0" * 40).post(url, {"choice": "satisfied"}, format="json")
    assert (unknown.status_code, unknown.json()["detail"]) == (401, "认证令牌无效。")
    gone = make_resident()
    client = api(gone)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    assert client.post(url, {"choice": "satisfied"}, format="json").status_code == 401
    bad = api(make_resident()).post(url, {"choice": "great"}, format="json")
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["choice"])
    assert len(drf_calls) == 5  # each refusal went to the full path, which said why
    assert stored() == (1, 1)
    tally = services.evaluation_tally(EvaluationRound.objects.get(project=evaluating))
    assert (tally.satisfied, tally.dissatisfied) == (1, 0)
