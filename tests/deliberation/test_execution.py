"""Execution everyone can follow and acceptance before the public evaluates: milestones, progress
posts, the inspectors' signatures and their count, the late warnings, and the API."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from deliberation import actions
from deliberation import execution as ex
from deliberation.models import EvaluationRound
from notifications.models import Notification
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    AcceptanceInspection,
    Milestone,
    ProgressPost,
    Project,
    ProjectEvent,
    ProjectFollower,
    State,
)
from tests.conftest import new_project
from tests.projects.money_helpers import walk_to


def png(name: str = "p.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (12, 8), "green").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def api(user: Any) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def plan(project: Project, cast: dict[str, Any], *shares: str) -> list[Milestone]:
    today = timezone.localdate()
    return ex.milestones_plan(
        project=project,
        by=cast["clerk"],
        milestones=[
            ex.MilestoneInput(f"节点{i + 1}", today + timedelta(days=3 * (i + 1)), Decimal(s))
            for i, s in enumerate(shares)
        ],
    )


@pytest.fixture
def executing(cast: dict[str, Any], community: Any, fund: Any) -> Project:
    """A project in execution whose two milestones were planned at assessment."""
    project = walk_to(new_project(community, cast["resident"]), State.DELIBERATING, cast)
    plan(project, cast, "40", "60")
    return walk_to(project, State.EXECUTING, cast)


def deliver(project: Project, cast: dict[str, Any]) -> Project:
    return actions.act(
        project=project, name="deliver", by=cast["clerk"], params={"report": "24 盏灯已安装"}
    )


# --- acceptance -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_request_acceptance_opens_a_round_with_the_council_and_the_checklist(
    executing: Project, cast: dict[str, Any]
) -> None:
    project = deliver(executing, cast)
    assert project.state == State.ACCEPTING
    inspection = AcceptanceInspection.objects.get(project=project)
    assert inspection.number == 1
    assert list(inspection.inspectors.all()) == [cast["council"]]
    assert [i.text for i in inspection.items.all()] == ["24 盏灯已安装", "节点1", "节点2"]
    assert Notification.objects.filter(recipient=cast["council"], kind="acceptance.invited")
    # No evaluation before acceptance.
    assert not EvaluationRound.objects.filter(project=project).exists()


@pytest.mark.django_db
def test_acceptance_passes_when_every_inspector_signed_and_a_majority_passed(
    executing: Project, cast: dict[str, Any], make_resident: Any
) -> None:
    project = deliver(executing, cast)
    rep = make_resident("rep")
    ex.acceptance_name_representatives(project=project, by=cast["council"], users=[rep])
    item = AcceptanceInspection.objects.get(project=project).items.first()
    assert item is not None
    ex.acceptance_sign(
        project=project,
        by=cast["council"],
        passed=True,
        checks=[ex.CheckInput(item=item.pk, passed=True, note="亮", photo=png())],
    )
    project.refresh_from_db()
    assert project.state == State.ACCEPTING  # one of two signed: not yet counted
    ex.acceptance_sign(project=project, by=rep, passed=True)
    project.refresh_from_db()
    assert project.state == State.EVALUATING
    assert EvaluationRound.objects.filter(project=project, closed_at__isnull=True).count() == 1
    last = ProjectEvent.objects.filter(project=project, action="accepted").get()
    assert "合格 2，不合格 0" in last.note and last.actor is None
    signs = ProjectEvent.objects.filter(project=project, action="acceptance_sign")
    assert {e.actor for e in signs} == {cast["council"], rep}
    check = AcceptanceInspection.objects.get(project=project).signatures.first().checks.first()  # type: ignore[union-attr]
    assert check.photo.name.endswith(".png") and check.note == "亮"


@pytest.mark.django_db
def test_an_inspector_cannot_sign_passed_over_a_failed_item(
    executing: Project, cast: dict[str, Any]
) -> None:
    project = deliver(executing, cast)
    item = AcceptanceInspection.objects.get(project=project).items.first()
    assert item is not None
    failed = [ex.CheckInput(item=item.pk, passed=False, note="2 号灯不亮")]
    with pytest.raises(Invalid) as refused:
        ex.acceptance_sign(project=project, by=cast["council"], passed=True, checks=failed)
    assert "checks" in refused.value.errors
    assert not AcceptanceInspection.objects.get(project=project).signatures.exists()
    # Signed as failed, the failed item's note is the reason.
    ex.acceptance_sign(project=project, by=cast["council"], passed=False, checks=failed)
    project.refresh_from_db()
    assert project.state == State.EXECUTING
    assert ProjectEvent.objects.get(project=project, action="not_accepted").reason == "2 号灯不亮"


@pytest.mark.django_db
def test_failed_acceptance_returns_to_execution_with_reasons_then_passes(
    executing: Project, cast: dict[str, Any]
) -> None:
    project = deliver(executing, cast)
    with pytest.raises(Invalid):  # a fail needs its reasons
        ex.acceptance_sign(project=project, by=cast["council"], passed=False)
    ex.acceptance_sign(project=project, by=cast["council"], passed=False, reasons="3 盏灯不亮")
    project.refresh_from_db()
    assert project.state == State.EXECUTING
    back = ProjectEvent.objects.filter(project=project, action="not_accepted").get()
    assert back.reason == "3 盏灯不亮"
    assert not EvaluationRound.objects.filter(project=project).exists()
    project = deliver(project, cast)
    second = AcceptanceInspection.objects.get(project=project, closed_at__isnull=True)
    assert second.number == 2
    ex.acceptance_sign(project=project, by=cast["council"], passed=True)
    project.refresh_from_db()
    assert project.state == State.EVALUATING


@pytest.mark.django_db
def test_only_inspectors_sign_once_each_and_only_while_accepting(
    executing: Project, cast: dict[str, Any], make_resident: Any
) -> None:
    with pytest.raises(Conflict):  # executing: nothing to sign
        ex.acceptance_sign(project=executing, by=cast["council"], passed=True)
    project = deliver(executing, cast)
    rep = make_resident("rep")
    with pytest.raises(Forbidden):  # only the council names representatives
        ex.acceptance_name_representatives(project=project, by=cast["clerk"], users=[rep])
    ex.acceptance_name_representatives(project=project, by=cast["council"], users=[rep])
    for outsider in (cast["clerk"], cast["resident"], cast["committee"]):
        with pytest.raises(Forbidden):
            ex.acceptance_sign(project=project, by=outsider, passed=True)
    ex.acceptance_sign(project=project, by=cast["council"], passed=True)
    with pytest.raises(Conflict):
        ex.acceptance_sign(project=project, by=cast["council"], passed=True)
    assert AcceptanceInspection.objects.get(project=project).signatures.count() == 1


@pytest.mark.django_db
def test_the_count_alone_fires_accepted_or_not_accepted(
    executing: Project, cast: dict[str, Any]
) -> None:
    project = deliver(executing, cast)
    for name in ("accepted", "not_accepted"):
        r = api(cast["council"]).post(
            f"/api/v1/projects/{project.pk}/transitions/{name}/", {}, format="json"
        )
        assert r.status_code == 409, r.content
    project.refresh_from_db()
    assert project.state == State.ACCEPTING


# --- milestones and progress -------------------------------------------------------------------
@pytest.mark.django_db
def test_milestones_total_at_most_100_percent_by_the_clerk_before_work_starts(
    cast: dict[str, Any], community: Any, fund: Any
) -> None:
    project = walk_to(new_project(community, cast["resident"]), State.DELIBERATING, cast)
    with pytest.raises(Invalid):
        plan(project, cast, "60", "50")
    with pytest.raises(Forbidden):
        ex.milestones_plan(project=project, by=cast["council"], milestones=[])
    assert [m.name for m in plan(project, cast, "30", "70")] == ["节点1", "节点2"]
    project = walk_to(project, State.EXECUTING, cast)
    with pytest.raises(Conflict):
        plan(project, cast, "100")
    body = api(None).get(f"/api/v1/projects/{project.pk}/milestones/").json()
    assert body["planned_end"] == (timezone.localdate() + timedelta(days=10)).isoformat()
    assert body["next_milestone"]["name"] == "节点1" and body["days_late"] == 0


@pytest.mark.django_db
def test_progress_post_is_on_the_timeline_and_reaches_followers(
    executing: Project, cast: dict[str, Any], make_resident: Any, client_for: Any
) -> None:
    follower = make_resident("neighbour")
    ProjectFollower.objects.create(project=executing, user=follower)
    first = executing.milestones.first()
    assert first is not None
    post = ex.progress_post(
        project=executing,
        by=cast["clerk"],
        percent=40,
        body="灯杆已立好",
        contractor="明亮照明公司",
        milestone=first.pk,
        milestone_done=True,
        photos=[ex.PhotoInput(png(), "before"), ex.PhotoInput(png(), "during")],
    )
    assert [p.stage for p in post.photos.all()] == ["before", "during"]
    first.refresh_from_db()
    assert first.done_on == timezone.localdate()
    event = ProjectEvent.objects.filter(project=executing, action="progress").get()
    assert "40%" in event.note and "节点1" in event.note and event.actor == cast["clerk"]
    assert Notification.objects.filter(recipient=follower, kind="progress.posted").count() == 1
    page = client_for(follower).get(f"/projects/{executing.pk}/").content.decode()
    assert "灯杆已立好" in page and "明亮照明公司" in page and 'value="40"' in page
    listing = client_for(follower).get("/projects/").content.decode()
    assert "节点2" in listing and "40%" in listing


@pytest.mark.django_db
def test_progress_refused_to_others_out_of_execution_and_out_of_range(
    executing: Project, cast: dict[str, Any]
) -> None:
    with pytest.raises(Forbidden):
        ex.progress_post(project=executing, by=cast["council"], percent=10, body="x")
    with pytest.raises(Invalid):
        ex.progress_post(project=executing, by=cast["clerk"], percent=101, body="x")
    with pytest.raises(Invalid):
        ex.progress_post(project=executing, by=cast["clerk"], percent=10, body=" ")
    project = deliver(executing, cast)
    with pytest.raises(Conflict):
        ex.progress_post(project=project, by=cast["clerk"], percent=10, body="x")
    assert not ProgressPost.objects.exists()


@pytest.mark.django_db
def test_an_expenditure_attached_to_a_milestone_is_on_the_timeline_and_the_chain_holds(
    executing: Project, cast: dict[str, Any]
) -> None:
    from projects import audit, ledger

    first = executing.milestones.first()
    assert first is not None
    entry = ledger.expenditure_record(
        project=executing,
        by=cast["clerk"],
        amount="1200.00",
        payee="明亮照明公司",
        paid_on=timezone.localdate().isoformat(),
        receipt=png(),
        milestone=first.pk,
    )
    assert entry.milestone == first
    event = ProjectEvent.objects.get(project=executing, action="expenditure")
    assert "1200.00" in event.note and "节点1" in event.note
    with pytest.raises(Invalid):  # another project's milestone, or none such
        ledger.expenditure_record(
            project=executing,
            by=cast["clerk"],
            amount="1.00",
            payee="x",
            paid_on=timezone.localdate().isoformat(),
            receipt=png(),
            milestone=999999,
        )
    assert audit.verify_ledger() == [] and audit.verify_events() == []


# --- late -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_late_milestone_warns_the_clerk_once_and_overdue_project_escalates(
    executing: Project, cast: dict[str, Any], client_for: Any
) -> None:
    later = timezone.now() + timedelta(days=5)
    with time_machine.travel(later, tick=False):
        call_command("tick", stdout=io.StringIO())
        call_command("tick", stdout=io.StringIO())
        warned = Notification.objects.filter(recipient=cast["clerk"], kind="milestone.late")
        assert warned.count() == 1 and warned.get().params["name"] == "节点1"
        assert not Notification.objects.filter(kind="project.overdue").exists()
    much_later = timezone.now() + timedelta(days=13)
    with time_machine.travel(much_later, tick=False):
        call_command("tick", stdout=io.StringIO())
        call_command("tick", stdout=io.StringIO())
        told = Notification.objects.filter(kind="project.overdue")
        assert {n.recipient for n in told} == {
            cast["committee"],
            cast["committee2"],
            cast["committee3"],
            cast["supervisor"],
        }
        assert ProjectEvent.objects.filter(project=executing, action="overdue").count() == 1
        page = client_for(cast["resident"]).get(f"/projects/{executing.pk}/").content.decode()
        assert "已超过计划完工日期 3 天" in page


# --- API ----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_api_progress_acceptance_and_signing(executing: Project, cast: dict[str, Any]) -> None:
    pk = executing.pk
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{pk}/progress/",
        {"percent": 80, "body": "主体完工", "photos": [png()], "stages": ["after"]},
        format="multipart",
    )
    assert r.status_code == 201, r.content
    assert r.json()["photos"][0]["stage"] == "after"
    r = api(cast["resident"]).post(
        f"/api/v1/projects/{pk}/progress/", {"percent": 80, "body": "x"}, format="json"
    )
    assert r.status_code == 403
    assert api(None).get(f"/api/v1/projects/{pk}/progress/").json()[0]["percent"] == 80
    detail = api(cast["clerk"]).get(f"/api/v1/projects/{pk}/").json()
    assert [a["name"] for a in detail["allowed_transitions"]] == ["deliver"]
    deliver(executing, cast)
    r = api(cast["resident"]).post(
        f"/api/v1/projects/{pk}/acceptance/sign/", {"passed": True}, format="json"
    )
    assert r.status_code == 403
    rounds = api(None).get(f"/api/v1/projects/{pk}/acceptance/").json()
    item = rounds[0]["items"][1]["id"]
    r = api(cast["council"]).post(
        f"/api/v1/projects/{pk}/acceptance/sign/",
        {"passed": False, "checks": [{"item": item, "passed": False, "note": "灯罩破损"}]},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["accepted"] is False
    assert r.json()["signatures"][0]["reasons"] == "灯罩破损"
    r = api(cast["council"]).post(
        f"/api/v1/projects/{pk}/acceptance/sign/", {"passed": True}, format="json"
    )
    assert r.status_code == 409  # back in execution: nothing to sign
    assert Project.objects.get(pk=pk).state == State.EXECUTING


@pytest.mark.django_db
def test_api_schema_documents_the_execution_endpoints(client: Any) -> None:
    body = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("milestones/", "progress/", "acceptance/sign/", "acceptance/representatives/"):
        assert path in body


@pytest.mark.django_db
def test_api_plans_milestones_and_names_representatives(
    cast: dict[str, Any], community: Any, fund: Any, make_resident: Any
) -> None:
    project = walk_to(new_project(community, cast["resident"]), State.ASSESSING, cast)
    url = f"/api/v1/projects/{project.pk}/milestones/"
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    rows = [{"name": "备料", "planned_date": day, "budget_share": "70"}]
    too_much = {"milestones": [*rows, {**rows[0], "name": "安装"}]}
    assert api(cast["clerk"]).put(url, too_much, format="json").status_code == 400
    assert api(cast["council"]).put(url, {"milestones": rows}, format="json").status_code == 403
    r = api(cast["clerk"]).put(url, {"milestones": rows}, format="json")
    assert r.status_code == 200 and r.json()["milestones"][0]["name"] == "备料"
    project = walk_to(Project.objects.get(pk=project.pk), State.ACCEPTING, cast)
    reps = f"/api/v1/projects/{project.pk}/acceptance/representatives/"
    make_resident("rep")
    assert api(cast["clerk"]).post(reps, {"usernames": ["rep"]}, format="json").status_code == 403
    bad = api(cast["council"]).post(reps, {"usernames": ["clerk"]}, format="json")
    assert bad.status_code == 400  # not a resident
    r = api(cast["council"]).post(reps, {"usernames": ["rep"]}, format="json")
    assert r.status_code == 201 and sorted(r.json()["inspectors"]) == ["council", "rep"]


@pytest.mark.django_db
def test_pages_refuse_bad_milestones_with_a_clear_message(
    cast: dict[str, Any], community: Any, fund: Any, client_for: Any
) -> None:
    project = walk_to(new_project(community, cast["resident"]), State.ASSESSING, cast)
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    r = client_for(cast["clerk"]).post(
        f"/projects/{project.pk}/milestones/",
        {
            "name_0": "备料",
            "date_0": day,
            "share_0": "80",
            "name_1": "安装",
            "date_1": day,
            "share_1": "30",
        },
    )
    assert r.status_code == 400 and "100%" in r.content.decode()
    assert not Milestone.objects.exists()
    r = client_for(cast["clerk"]).post(
        f"/projects/{project.pk}/milestones/", {"name_0": "备料", "date_0": "明天"}
    )
    assert r.status_code == 400 and "计划日期无效" in r.content.decode()
