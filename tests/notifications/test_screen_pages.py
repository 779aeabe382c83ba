"""The public screen (大屏) and its snapshot; the supervisors' overdue list."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from deliberation import services, workflow
from deliberation.models import EvaluationRound
from deliberation.screen import qr_svg
from projects.models import Membership, Role, Street
from tests.conftest import make_user, new_project
from tests.notifications.walk import to_deliberating


def snapshot_of(client: Any, slug: str = "xingfu") -> dict[str, Any]:
    response = client.get(reverse("screen-snapshot", args=[slug]))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    return json.loads(response.content)


# --- the screen --------------------------------------------------------------------------------
def test_screen_needs_no_login_and_embeds_the_open_evaluation(
    client: Any, evaluating_project: Any
) -> None:
    response = client.get(reverse("screen", args=["xingfu"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-ws="/ws/screen/xingfu/"' in html
    assert "screen.js" in html and "screen.css" in html
    embedded = json.loads(
        html.split('id="screen-snapshot" type="application/json">')[1].split("</script>")[0]
    )
    [board] = embedded["evaluations"]
    assert board["project_id"] == evaluating_project.pk
    assert board["title"] == evaluating_project.title


def test_snapshot_tallies_satisfaction_and_turnout(
    client: Any, evaluating_project: Any, voters: list[Any]
) -> None:
    services.evaluation_vote(project=evaluating_project, by=voters[0], choice="satisfied")
    services.evaluation_vote(project=evaluating_project, by=voters[1], choice="dissatisfied")
    [board] = snapshot_of(client)["evaluations"]
    tally = board["tally"]
    eligible = EvaluationRound.objects.get(project=evaluating_project).eligible
    assert (tally["satisfied"], tally["dissatisfied"], tally["votes"]) == (1, 1, 2)
    assert tally["satisfaction"] == "0.5000"
    assert tally["turnout"] == f"{2 / eligible:.4f}"
    assert tally["passing"] is False  # 50 % satisfied is below the 80 % line


def test_snapshot_never_names_voters(
    client: Any, evaluating_project: Any, cast: dict[str, Any]
) -> None:
    services.evaluation_vote(project=evaluating_project, by=cast["resident"], choice="satisfied")
    body = json.dumps(snapshot_of(client), ensure_ascii=False)
    assert cast["resident"].username not in body


def test_qr_code_leads_to_the_project_page(client: Any, evaluating_project: Any) -> None:
    [board] = snapshot_of(client)["evaluations"]
    expected = f"http://testserver/projects/{evaluating_project.pk}/"
    assert board["url"] == expected
    assert board["qr_svg"].startswith("<svg") and board["qr_svg"] == qr_svg(expected)
    assert board["qr_svg"] != qr_svg(f"http://testserver/projects/{evaluating_project.pk + 1}/")


def test_screen_shows_only_its_own_community(
    client: Any, evaluating_project: Any, other_community: Any
) -> None:
    assert snapshot_of(client, "heping")["evaluations"] == []
    assert snapshot_of(client, "heping")["community"]["name"] == "和平社区"


def test_unknown_community_is_404(client: Any, db: None) -> None:
    assert client.get(reverse("screen", args=["nowhere"])).status_code == 404
    assert client.get(reverse("screen-snapshot", args=["nowhere"])).status_code == 404


def test_closed_round_moves_to_recent_results(
    client: Any, evaluating_project: Any, cast: dict[str, Any], voters: list[Any]
) -> None:
    for person in voters[:4]:
        services.evaluation_vote(project=evaluating_project, by=person, choice="satisfied")
    EvaluationRound.objects.filter(project=evaluating_project).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    services.evaluation_close(project=evaluating_project, by=cast["clerk"])
    snap = snapshot_of(client)
    assert snap["evaluations"] == []
    [row] = snap["recent"]
    assert (row["project_id"], row["passed"], row["satisfaction"]) == (
        evaluating_project.pk,
        True,
        "1.0000",
    )


def test_open_budget_ballot_standings_are_shown_most_votes_first(
    client: Any, community: Any, cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    ballots = pytest.importorskip("deliberation.ballots", reason="budget ballots are not installed")
    lights, gym = (
        to_deliberating(
            new_project(community, cast["resident"], title=title, submit=True),
            cosigners=[make_resident() for _ in range(community.cosign_threshold)],
            clerk=cast["clerk"],
            cost=cost,
        )
        for title, cost in (("楼道照明改造", "20000.00"), ("中心花园健身角", "60000.00"))
    )
    voters = [make_resident() for _ in range(3)]  # on the roll frozen when the round opens
    community.tally_step = 3  # the three ballots are sealed, and shown, together
    community.save(update_fields=["tally_step"])
    rnd = ballots.round_create(
        community=community,
        by=cast["committee"],
        title="年度预算投票",
        rule="greedy",
        closes_at=timezone.now() + timedelta(days=7),
        project_ids=[lights.pk, gym.pk],
    )
    ballots.round_open(round=rnd, by=cast["committee"])
    for voter, choice in zip(voters, ([lights], [lights, gym], [lights]), strict=True):
        ballots.ballot_cast(round=rnd, by=voter, project_ids=[str(p.pk) for p in choice])
    [standing] = snapshot_of(client)["ballots"]
    assert standing["round_id"] == rnd.pk and standing["voters"] == 3
    assert [(e["name"], e["votes"]) for e in standing["entries"]] == [
        ("楼道照明改造", 3),
        ("中心花园健身角", 1),
    ]
    assert standing["url"] == f"http://testserver/rounds/{rnd.pk}/"
    assert standing["qr_svg"] == qr_svg(standing["url"])


# --- supervisors' overdue list ------------------------------------------------------------------
@pytest.fixture
def overdue_project(cast: dict[str, Any], community: Any, make_resident: Any) -> Any:
    project = new_project(community, cast["resident"], submit=True)
    for _ in range(community.cosign_threshold):
        services.cosign_add(project=project, by=make_resident())
    item = workflow.project_tasks(project)[0]
    Task.objects.filter(previous=item.task, flow_task_type="TIMER").update(
        scheduled=timezone.now() - timedelta(days=3)
    )
    return project


def test_supervisor_sees_overdue_tasks_of_the_street(
    overdue_project: Any, cast: dict[str, Any], client_for: Any
) -> None:
    response = client_for(cast["supervisor"]).get(reverse("supervision-overdue"))
    html = response.content.decode()
    assert response.status_code == 200
    assert overdue_project.title in html
    assert "初审提议" in html and "社区服务中心" in html
    assert "3 天" in html and "已超督办时限" in html


def test_nothing_overdue_says_so(cast: dict[str, Any], client_for: Any) -> None:
    html = client_for(cast["supervisor"]).get(reverse("supervision-overdue")).content.decode()
    assert "没有逾期的待办" in html


def test_supervisor_of_another_street_does_not_see_it(
    overdue_project: Any, client_for: Any, db: None
) -> None:
    elsewhere = make_user("elsewhere")
    Membership.objects.create(
        user=elsewhere, role=Role.SUPERVISOR, place=Street.objects.create(name="别的街道")
    )
    html = client_for(elsewhere).get(reverse("supervision-overdue")).content.decode()
    assert overdue_project.title not in html


@pytest.mark.parametrize("who", ["clerk", "committee", "resident"])
def test_only_supervisors_see_the_overdue_list(
    who: str, overdue_project: Any, cast: dict[str, Any], client_for: Any
) -> None:
    assert client_for(cast[who]).get(reverse("supervision-overdue")).status_code == 403


def test_overdue_list_needs_login(client: Any, db: None) -> None:
    response = client.get(reverse("supervision-overdue"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
