"""The evaluation vote: one path (form or serializer → ``services.evaluation_vote`` → ORM) on
every database; the electorate and thresholds frozen when a round opens; the public tally moving
in sealed batches of k; the round closed by the clock, never early by anyone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from deliberation import services
from deliberation.models import (
    EvaluationBallot,
    EvaluationParticipation,
    EvaluationPooledBallot,
    EvaluationRoll,
    EvaluationRound,
)
from projects.errors import Conflict, Forbidden, Invalid, NotFound
from projects.models import LedgerEntry, Project, ProjectEvent, State

pytestmark = pytest.mark.usefixtures("vote_urls")


@pytest.fixture
def voters(make_resident: Any) -> list[Any]:
    """Ten residents registered before the round opens: the roll."""
    return [make_resident() for _ in range(10)]


@pytest.fixture
def evaluating(project_in: Any, voters: list[Any], community: Any) -> Project:
    community.tally_step = 3
    community.save()
    return opened(project_in("evaluating"))


def opened(project: Project) -> Project:
    """The project with its first evaluation round open (as the workflow opens it)."""
    services.evaluation_open_round(project=project)
    return project


def rnd_of(project: Project) -> EvaluationRound:
    return EvaluationRound.objects.get(project=project, closed_at__isnull=True)


def stored() -> tuple[int, int]:
    """(participations, ballots sealed or pooled)."""
    return (
        EvaluationParticipation.objects.count(),
        EvaluationBallot.objects.count() + EvaluationPooledBallot.objects.count(),
    )


def end_window(project: Project) -> None:
    EvaluationRound.objects.filter(project=project).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )


# --- the roll and the thresholds are frozen when the round opens --------------------------------
def test_the_roll_is_frozen_when_the_round_opens(
    evaluating: Project, voters: list[Any], make_resident: Any, cast: dict[str, Any]
) -> None:
    rnd = rnd_of(evaluating)
    on_roll = set(EvaluationRoll.objects.filter(round=rnd).values_list("user_id", flat=True))
    assert {v.pk for v in voters} | {cast["resident"].pk} <= on_roll
    assert rnd.eligible == len(on_roll)
    late = make_resident()  # registered after the opening: not on this round's roll
    with pytest.raises(Forbidden, match="您不在本轮评议开始时的选民名册中"):
        services.evaluation_vote(project=evaluating, by=late, choice="satisfied")
    assert stored() == (0, 0)
    assert rnd_of(evaluating).eligible == rnd.eligible


def test_turnout_never_exceeds_the_roll(
    evaluating: Project, voters: list[Any], make_resident: Any, cast: dict[str, Any]
) -> None:
    rnd = rnd_of(evaluating)
    everyone = list(EvaluationRoll.objects.filter(round=rnd).select_related("user"))
    newcomers = [make_resident() for _ in range(5)]
    for person in [r.user for r in everyone] + newcomers:
        try:
            services.evaluation_vote(project=evaluating, by=person, choice="satisfied")
        except Forbidden:
            assert person in newcomers
    services.evaluation_seal(rnd, everything=True)
    tally = services.evaluation_tally(rnd)
    assert tally.votes == tally.eligible == len(everyone)
    assert tally.turnout == 1


def test_the_thresholds_that_decide_a_round_are_frozen_at_opening(
    evaluating: Project, voters: list[Any], community: Any, cast: dict[str, Any]
) -> None:
    for person, choice in zip(voters[:5], ["satisfied"] * 4 + ["dissatisfied"], strict=True):
        services.evaluation_vote(project=evaluating, by=person, choice=choice)
    # 80 % satisfied meets the 0.800 the round opened with; raising the bar now changes nothing
    community.pass_rate = Decimal("0.950")
    community.min_turnout = Decimal("0.900")
    community.tally_step = 50
    community.save()
    rnd = rnd_of(evaluating)
    assert (rnd.pass_rate, rnd.min_turnout, rnd.tally_step) == (
        Decimal("0.800"),
        Decimal("0.200"),
        3,
    )
    end_window(evaluating)
    p = services.evaluation_close(project=evaluating, by=None)
    assert p.state == State.CLOSED


def test_household_mode_takes_one_ballot_per_household(
    project_in: Any, community: Any, make_resident: Any
) -> None:
    community.evaluation_per_household = True
    community.tally_step = 2
    community.save()
    first, same_home, next_door = (
        make_resident(household="3-2-501"),
        make_resident(household="3-2-501"),
        make_resident(household="3-2-502"),
    )
    p = opened(project_in("evaluating"))
    rnd = rnd_of(p)
    assert rnd.per_household
    assert (
        rnd.eligible
        == EvaluationRoll.objects.filter(round=rnd).values("voter_key").distinct().count()
    )
    services.evaluation_vote(project=p, by=first, choice="satisfied")
    with pytest.raises(Invalid, match="您家已有成员参加本轮评议"):
        services.evaluation_vote(project=p, by=same_home, choice="dissatisfied")
    tally = services.evaluation_vote(project=p, by=next_door, choice="dissatisfied")
    assert (tally.votes, tally.satisfied, tally.dissatisfied) == (2, 1, 1)
    keys = set(EvaluationParticipation.objects.values_list("voter_key", flat=True))
    assert keys == {"h:3-2-501", "h:3-2-502"}


# --- the public tally moves in sealed batches -------------------------------------------------
def test_the_public_tally_moves_only_in_batches_of_k(
    evaluating: Project, voters: list[Any]
) -> None:
    choices = ["satisfied", "dissatisfied", "basically_satisfied", "satisfied", "satisfied"]
    seen = [
        services.evaluation_vote(project=evaluating, by=v, choice=c).votes
        for v, c in zip(voters, choices, strict=False)
    ]
    assert seen == [0, 0, 3, 3, 3]  # k = 3: nothing public until three ballots are sealed
    assert EvaluationPooledBallot.objects.count() == 2
    assert EvaluationParticipation.objects.filter(sealed=True).count() == 3


def test_the_live_tally_is_the_count_that_closes_the_round(
    evaluating: Project, voters: list[Any]
) -> None:
    choices = ["satisfied"] * 4 + ["basically_satisfied"] * 2 + ["dissatisfied"] * 3
    for v, c in zip(voters, choices, strict=False):
        services.evaluation_vote(project=evaluating, by=v, choice=c)
    rnd = rnd_of(evaluating)
    live = services.evaluation_tally(rnd)
    assert live.votes == 9 and not EvaluationPooledBallot.objects.exists()
    end_window(evaluating)
    services.evaluation_close(project=evaluating, by=None)
    rnd.refresh_from_db()
    assert services.evaluation_tally(rnd) == live
    assert (live.satisfied, live.basically_satisfied, live.dissatisfied) == (4, 2, 3)


def test_closing_seals_what_is_left_in_the_pool(evaluating: Project, voters: list[Any]) -> None:
    for v in voters[:4]:
        services.evaluation_vote(project=evaluating, by=v, choice="satisfied")
    assert services.evaluation_tally(rnd_of(evaluating)).votes == 3
    end_window(evaluating)
    services.evaluation_close(project=evaluating, by=None)
    rnd = EvaluationRound.objects.get(project=evaluating)
    assert services.evaluation_tally(rnd).votes == 4
    assert not EvaluationPooledBallot.objects.exists()
    assert not EvaluationParticipation.objects.filter(sealed=False).exists()
    closing = ProjectEvent.objects.filter(project=evaluating).latest("pk")
    assert (closing.kind, closing.params["s"]) == ("evaluation.tally", 4)


def test_tally_changed_is_published_per_sealed_batch_only(
    evaluating: Project, voters: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    from deliberation.services import evaluation
    from notifications import events

    sent: list[tuple[str, dict[str, Any]]] = []
    real = events.publish_on_commit

    def spy(group: str | list[str], payload: dict[str, Any]) -> None:
        if payload.get("kind") == "evaluation.tally":
            sent.extend((g, payload) for g in ([group] if isinstance(group, str) else group))
        real(group, payload)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(evaluation, "publish_on_commit", spy)
        for v in voters[:5]:
            services.evaluation_vote(project=evaluating, by=v, choice="satisfied")
    assert [g for g, _p in sent] == [f"project.{evaluating.pk}", "screen.xingfu"]  # one batch
    assert sent[0][1] == {"kind": "evaluation.tally", "project_id": evaluating.pk}


# --- refusals -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("not a resident here", Forbidden, "只有本社区登记居民可以参加评议"),
        ("window over", Conflict, "本轮评议已截止"),
        ("round closed", Conflict, "该项目当前不在评议期"),
        ("no such project", NotFound, "项目不存在"),
        ("choice not offered", Invalid, "请选择满意、基本满意或不满意"),
        ("comment too long", Invalid, "意见不能超过 500 字"),
    ],
)
def test_a_refused_vote_names_its_reason_and_writes_nothing(
    evaluating: Project,
    voters: list[Any],
    cast: dict[str, Any],
    case: str,
    error: type[Exception],
    message: str,
) -> None:
    voter, project, kwargs = voters[0], evaluating, {"choice": "satisfied"}
    rnd = rnd_of(evaluating)
    if case == "not a resident here":
        voter = cast["clerk"]
    elif case == "window over":
        EvaluationRound.objects.filter(pk=rnd.pk).update(closes_at=timezone.now() - timedelta(1))
    elif case == "round closed":
        EvaluationRound.objects.filter(pk=rnd.pk).update(closed_at=timezone.now())
    elif case == "no such project":
        project = evaluating.pk + 1000  # type: ignore[assignment]
    elif case == "choice not offered":
        kwargs = {"choice": "very_satisfied"}
    elif case == "comment too long":
        kwargs = {"choice": "satisfied", "comment": "长" * 501}
    with pytest.raises(error, match=message):
        services.evaluation_vote(project=project, by=voter, **kwargs)
    assert stored() == (0, 0)


def test_a_second_ballot_is_refused_and_counts_nothing(
    evaluating: Project, voters: list[Any]
) -> None:
    services.evaluation_vote(project=evaluating, by=voters[0], choice="satisfied")
    with pytest.raises(Invalid, match="您已参加本轮评议"):
        services.evaluation_vote(project=evaluating, by=voters[0], choice="dissatisfied")
    assert stored() == (1, 1)
    services.evaluation_seal(rnd_of(evaluating), everything=True)
    tally = services.evaluation_tally(rnd_of(evaluating))
    assert (tally.satisfied, tally.dissatisfied) == (1, 0)


# --- nobody closes early; the clock closes ---------------------------------------------------
@pytest.mark.parametrize("who", ["clerk", "committee", "supervisor", "resident"])
def test_nobody_closes_an_evaluation_before_its_window_ends(
    evaluating: Project, voters: list[Any], cast: dict[str, Any], who: str
) -> None:
    for v in voters[:3]:
        services.evaluation_vote(project=evaluating, by=v, choice="satisfied")
    with pytest.raises((Conflict, Forbidden)):
        services.evaluation_close(project=evaluating, by=cast[who])
    with pytest.raises(TypeError):
        services.evaluation_close(project=evaluating, by=cast["clerk"], force=True)  # type: ignore[call-arg]
    evaluating.refresh_from_db()
    assert evaluating.state == State.EVALUATING
    assert rnd_of(evaluating).closed_at is None


def test_a_forced_close_over_the_page_is_refused_and_pays_nothing(
    evaluating: Project, voters: list[Any], cast: dict[str, Any], client_for: Any
) -> None:
    for v in voters[:3]:
        services.evaluation_vote(project=evaluating, by=v, choice="satisfied")
    entries = LedgerEntry.objects.count()
    clerk = client_for(cast["clerk"])
    page = clerk.get(f"/projects/{evaluating.pk}/").content.decode()
    assert f"/projects/{evaluating.pk}/evaluation/close/" not in page  # no button before the end
    assert "到点自动计票" in page
    r = clerk.post(f"/projects/{evaluating.pk}/evaluation/close/", {"force": "1"})
    assert r.status_code == 409
    evaluating.refresh_from_db()
    assert evaluating.state == State.EVALUATING and LedgerEntry.objects.count() == entries


def test_the_current_step_names_when_the_evaluation_closes(
    evaluating: Project, voters: list[Any], client_for: Any
) -> None:
    """Everyone reading the page, residents first, sees the round's end and the time left at the
    current step, as for the public notice (not only the clerk's task, due days later)."""
    closes = timezone.localtime(rnd_of(evaluating).closes_at).strftime("%Y-%m-%d %H:%M")
    page = client_for(voters[0]).get(f"/projects/{evaluating.pk}/").content.decode()
    steps = page[page.index('id="steps"') :]
    steps = steps[: steps.index("</section>")]
    assert "评议截止" in steps and closes in steps and 'class="countdown"' in steps


def test_a_residents_inbox_lists_the_vote_waiting_and_does_not_say_nothing_to_do(
    evaluating: Project, voters: list[Any], client_for: Any
) -> None:
    page = client_for(voters[0]).get("/inbox/").content.decode()
    assert "等您投票" in page and evaluating.title in page
    assert "暂无待办事项" not in page
    services.evaluation_vote(project=evaluating, by=voters[0], choice="satisfied")
    page = client_for(voters[0]).get("/inbox/").content.decode()
    assert "等您投票" not in page and "暂无待办事项" in page


def test_after_the_window_the_clerk_is_offered_the_count(
    evaluating: Project, voters: list[Any], cast: dict[str, Any], client_for: Any
) -> None:
    for v in voters[:3]:
        services.evaluation_vote(project=evaluating, by=v, choice="satisfied")
    end_window(evaluating)
    clerk = client_for(cast["clerk"])
    assert (
        f"/projects/{evaluating.pk}/evaluation/close/"
        in clerk.get(f"/projects/{evaluating.pk}/").content.decode()
    )
    assert clerk.post(f"/projects/{evaluating.pk}/evaluation/close/").status_code == 302
    evaluating.refresh_from_db()
    assert evaluating.state == State.CLOSED


def test_tick_closes_due_rounds_and_only_those(
    project_in: Any, voters: list[Any], cast: dict[str, Any]
) -> None:
    due, running = opened(project_in("evaluating")), opened(project_in("evaluating"))
    for v in voters[:5]:
        services.evaluation_vote(project=due, by=v, choice="dissatisfied")
    end_window(due)
    call_command("tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
    due.refresh_from_db()
    running.refresh_from_db()
    assert (due.state, running.state) == (State.RECTIFYING, State.EVALUATING)
    closing = ProjectEvent.objects.filter(project=due).latest("pk")
    assert (closing.action, closing.actor) == ("fail_evaluation", None)  # the clock closed it


@pytest.mark.parametrize(
    ("used", "outcome"), [(0, State.RECTIFYING), (1, State.RECTIFYING), (2, State.FAILED)]
)
def test_a_failed_count_takes_the_transition_whose_conditions_hold(
    evaluating: Project, voters: list[Any], used: int, outcome: str
) -> None:
    Project.objects.filter(pk=evaluating.pk).update(rectification_count=used)
    for v in voters[:3]:
        services.evaluation_vote(project=evaluating, by=v, choice="dissatisfied")
    end_window(evaluating)
    p = services.evaluation_close(project=evaluating, by=None)
    assert p.state == outcome  # two rectification rounds by default


def test_a_round_everyone_on_the_roll_voted_in_may_be_counted(
    project_in: Any, community: Any, cast: dict[str, Any]
) -> None:
    p = opened(project_in("evaluating"))
    roll = [r.user for r in EvaluationRoll.objects.filter(round__project=p).select_related("user")]
    for person in roll[:-1]:
        services.evaluation_vote(project=p, by=person, choice="satisfied")
    with pytest.raises(Conflict, match="尚未截止"):
        services.evaluation_close(project=p, by=cast["clerk"])
    services.evaluation_vote(project=p, by=roll[-1], choice="satisfied")
    assert services.evaluation_close(project=p, by=cast["clerk"]).state == State.CLOSED


# --- over the API ------------------------------------------------------------------------------
def api(user: Any = None, token: str | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = Token.objects.get_or_create(user=user)[0].key
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_vote_api_answers_the_sealed_public_tally(evaluating: Project, voters: list[Any]) -> None:
    url = f"/api/v1/projects/{evaluating.pk}/evaluation/"
    bodies = [
        api(v).post(url, {"choice": "satisfied", "comment": " 好 "}, format="json")
        for v in voters[:3]
    ]
    assert [b.status_code for b in bodies] == [201, 201, 201]
    assert [b.json()["votes"] for b in bodies] == [0, 0, 3]
    assert bodies[-1].json() == services.evaluation_tally(rnd_of(evaluating)).as_dict()
    assert set(EvaluationBallot.objects.values_list("comment", flat=True)) == {"好"}


def test_vote_api_takes_a_form_post_too(evaluating: Project, voters: list[Any]) -> None:
    r = api(voters[0]).post(
        f"/api/v1/projects/{evaluating.pk}/evaluation/", {"choice": "dissatisfied"}
    )
    assert r.status_code == 201, r.content
    assert stored() == (1, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"choice": "satisfied"}], None),
        ({"choice": 3}, "choice"),
        ({}, "choice"),
        ({"choice": "satisfied", "comment": ["x"]}, "comment"),
        ({"choice": "satisfied", "comment": "x" * 501}, "comment"),
        ({"choice": "satisfied", "comment": "a\x00b"}, None),
        ('{"choice": "satisfied", "comment": "a\\ud800b"}', None),  # a lone surrogate
    ],
)
def test_vote_api_refuses_a_malformed_body(
    evaluating: Project, voters: list[Any], body: Any, field: str | None
) -> None:
    url = f"/api/v1/projects/{evaluating.pk}/evaluation/"
    if isinstance(body, str):
        r = api(voters[0]).post(url, body, content_type="application/json")
    else:
        r = api(voters[0]).post(url, body, format="json")
    assert r.status_code == 400
    if field:  # named by the field, or refused whole by the JSON reader (a NUL, a lone surrogate)
        answer = r.json()
        assert field in answer.get("errors", {}) or "不允许的字符" in str(answer), answer
    assert stored() == (0, 0)


def test_vote_api_for_a_project_that_does_not_exist_is_404(voters: list[Any]) -> None:
    r = api(voters[0]).post("/api/v1/projects/987654/evaluation/", {"choice": "satisfied"})
    assert r.status_code == 404
    assert r.json()["detail"]


def test_vote_api_does_not_reveal_another_residents_draft(
    project_in: Any, voters: list[Any]
) -> None:
    draft = project_in("draft")
    r = api(voters[0]).post(f"/api/v1/projects/{draft.pk}/evaluation/", {"choice": "satisfied"})
    assert r.status_code == 404 and "draft" not in r.content.decode()
    r = api(draft.proposer).post(
        f"/api/v1/projects/{draft.pk}/evaluation/", {"choice": "satisfied"}
    )
    assert r.status_code == 409 and r.json()["state"] == "draft"
    assert stored() == (0, 0)


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "认证令牌无效。"), ("zh-hant", "無效的token。"), ("en", "Invalid token.")],
)
def test_a_bad_token_is_refused_in_the_callers_language(
    evaluating: Project, language: str, message: str
) -> None:
    r = api(token="0" * 40).post(
        f"/api/v1/projects/{evaluating.pk}/evaluation/",
        {"choice": "satisfied"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert (r.status_code, r.json()["detail"]) == (401, message)


def test_an_inactive_users_token_is_refused(evaluating: Project, voters: list[Any]) -> None:
    client = api(voters[0])
    voters[0].is_active = False
    voters[0].save()
    r = client.post(f"/api/v1/projects/{evaluating.pk}/evaluation/", {"choice": "satisfied"})
    assert r.status_code == 401
    assert stored() == (0, 0)
