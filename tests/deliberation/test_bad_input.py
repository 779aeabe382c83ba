"""Bad input gets a clear, translated error, changes nothing, and never a 500."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import override
from PIL import Image
from rest_framework.test import APIClient

from deliberation import actions, services
from deliberation.models import (
    CoSign,
    EvaluationBallot,
    EvaluationParticipation,
    EvaluationPooledBallot,
)
from projects.models import Project, ProjectEvent, ProjectPhoto, State
from tests.conftest import new_project

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


GOOD = {
    "community": "xingfu",
    "title": "楼道照明改造",
    "summary": "3号楼楼道灯坏了半年，晚上很危险。",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 121),
        ("summary", ""),
        ("summary", "长" * 5001),
        ("title", "路灯"),
        ("estimated_cost", "-5"),
        ("estimated_cost", "1e20"),
        ("estimated_cost", "12.345"),
        ("community", "nowhere"),
    ],
)
def test_bad_proposal_is_refused_and_nothing_written(
    cast: dict[str, Any], field: str, value: str
) -> None:
    r = api(cast["resident"]).post("/api/v1/projects/", {**GOOD, field: value}, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["errors"]
    assert not Project.objects.exists()


def test_non_image_upload_is_refused(cast: dict[str, Any]) -> None:
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    r = api(cast["resident"]).post(
        "/api/v1/projects/", {**GOOD, "photos": [fake]}, format="multipart"
    )
    assert r.status_code == 400
    assert not Project.objects.exists() and not ProjectPhoto.objects.exists()


def test_real_photo_is_kept(cast: dict[str, Any]) -> None:
    photo = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    r = api(cast["resident"]).post(
        "/api/v1/projects/", {**GOOD, "photos": [photo]}, format="multipart"
    )
    assert r.status_code == 201, r.content
    assert ProjectPhoto.objects.filter(project_id=r.json()["id"]).count() == 1


def test_non_resident_cannot_propose(cast: dict[str, Any]) -> None:
    r = api(cast["outsider"]).post("/api/v1/projects/", GOOD, format="json")
    assert r.status_code == 403 and not Project.objects.exists()


@pytest.mark.parametrize(
    "cost", ["-100", "0", "abc", "1.999", "99999999999999999", "NaN", "Infinity", ""]
)
def test_absurd_amounts_are_refused(cast: dict[str, Any], community: Any, cost: str) -> None:
    p = new_project(community, cast["resident"])
    Project.objects.filter(pk=p.pk).update(state=State.ASSESSING)
    before = ProjectEvent.objects.count()
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/transitions/assess/",
        {"assessed_cost": cost, "plan": "方案", "duration_days": 5},
        format="json",
    )
    assert r.status_code == 400, r.content
    assert "assessed_cost" in r.json()["errors"]
    p.refresh_from_db()
    assert p.state == State.ASSESSING and p.assessed_cost is None
    assert ProjectEvent.objects.count() == before


def test_decision_amount_over_fund_is_refused(
    cast: dict[str, Any], community: Any, fund: Any
) -> None:
    p = new_project(community, cast["resident"])
    Project.objects.filter(pk=p.pk).update(state=State.DECIDING)
    d = services.decision_open(
        project=p, by=cast["committee"], motion="approve", amount="1000000.01"
    )
    for key in ("committee", "committee2", "committee3"):
        services.decision_vote(decision=d, by=cast[key], choice="yes")
    from projects.errors import Invalid

    with pytest.raises(Invalid):
        services.decision_close(decision=d, by=cast["committee"])
    p.refresh_from_db()
    assert p.state == State.DECIDING and p.approved_amount is None
    d.refresh_from_db()
    assert d.result == "open"  # the whole close rolled back


def test_second_cosign_is_refused(cast: dict[str, Any], community: Any, make_resident: Any) -> None:
    p = new_project(community, cast["resident"], submit=True)
    neighbour = make_resident()
    assert api(neighbour).post(f"/api/v1/projects/{p.pk}/cosign/").status_code == 201
    r = api(neighbour).post(f"/api/v1/projects/{p.pk}/cosign/")
    assert r.status_code == 400 and r.json()["detail"]
    assert CoSign.objects.filter(project=p).count() == 1


def test_proposer_cannot_cosign_own(cast: dict[str, Any], community: Any) -> None:
    p = new_project(community, cast["resident"], submit=True)
    assert api(cast["resident"]).post(f"/api/v1/projects/{p.pk}/cosign/").status_code == 400


def test_cosign_after_window_is_refused(
    cast: dict[str, Any], community: Any, make_resident: Any
) -> None:
    p = new_project(community, cast["resident"], submit=True)
    Project.objects.filter(pk=p.pk).update(cosign_deadline=timezone.now() - timedelta(seconds=1))
    r = api(make_resident()).post(f"/api/v1/projects/{p.pk}/cosign/")
    assert r.status_code == 409
    assert not CoSign.objects.exists()


def test_cosign_of_another_community_is_forbidden(
    cast: dict[str, Any], community: Any, other_community: Any, make_resident: Any
) -> None:
    p = new_project(community, cast["resident"], submit=True)
    stranger = make_resident(where=other_community)
    assert api(stranger).post(f"/api/v1/projects/{p.pk}/cosign/").status_code == 403


def evaluating_project(cast: dict[str, Any], community: Any) -> Project:
    p = new_project(community, cast["resident"])
    Project.objects.filter(pk=p.pk).update(state=State.EVALUATING)
    p.refresh_from_db()
    services.evaluation_open_round(project=p)
    return p


def test_second_evaluation_is_refused_and_not_counted(cast: dict[str, Any], community: Any) -> None:
    p = evaluating_project(cast, community)
    url = f"/api/v1/projects/{p.pk}/evaluation/"
    assert (
        api(cast["resident"]).post(url, {"choice": "satisfied"}, format="json").status_code == 201
    )
    r = api(cast["resident"]).post(url, {"choice": "dissatisfied"}, format="json")
    assert r.status_code == 400
    assert EvaluationParticipation.objects.count() == 1
    assert EvaluationBallot.objects.count() + EvaluationPooledBallot.objects.count() == 1


@pytest.mark.parametrize(
    "body", [{}, {"choice": "great"}, {"choice": ""}, {"choice": "satisfied", "comment": "x" * 501}]
)
def test_bad_evaluation_choice_is_refused(
    cast: dict[str, Any], community: Any, body: dict[str, Any]
) -> None:
    p = evaluating_project(cast, community)
    r = api(cast["resident"]).post(f"/api/v1/projects/{p.pk}/evaluation/", body, format="json")
    assert r.status_code == 400
    assert not EvaluationBallot.objects.exists() and not EvaluationPooledBallot.objects.exists()


def test_evaluation_outside_window_is_refused(cast: dict[str, Any], community: Any) -> None:
    p = evaluating_project(cast, community)
    p.evaluation_rounds.update(closes_at=timezone.now() - timedelta(seconds=1))
    r = api(cast["resident"]).post(
        f"/api/v1/projects/{p.pk}/evaluation/", {"choice": "satisfied"}, format="json"
    )
    assert r.status_code == 409
    assert not EvaluationBallot.objects.exists() and not EvaluationPooledBallot.objects.exists()


def test_evaluation_in_wrong_state_is_refused(cast: dict[str, Any], community: Any) -> None:
    p = new_project(community, cast["resident"], submit=True)
    r = api(cast["resident"]).post(
        f"/api/v1/projects/{p.pk}/evaluation/", {"choice": "satisfied"}, format="json"
    )
    assert r.status_code == 409


def test_non_resident_cannot_evaluate(cast: dict[str, Any], community: Any) -> None:
    p = evaluating_project(cast, community)
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/evaluation/", {"choice": "satisfied"}, format="json"
    )
    assert r.status_code == 403


def test_errors_are_translated(cast: dict[str, Any], community: Any) -> None:
    p = new_project(community, cast["resident"], submit=True)
    zh = api(cast["clerk"]).post(f"/api/v1/projects/{p.pk}/transitions/accept/").json()["detail"]
    en = (
        api(cast["clerk"])
        .post(f"/api/v1/projects/{p.pk}/transitions/accept/", HTTP_ACCEPT_LANGUAGE="en")
        .json()["detail"]
    )
    assert "附议中" in zh
    with override("en"):
        assert en != zh and "Collecting" in en


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/projects/{pk}/transitions/no_such_thing/", {}),
        ("post", "/api/v1/projects/{pk}/transitions/reach_threshold/", {}),
        ("post", "/api/v1/projects/{pk}/transitions/submit/", "not-json{"),
        ("post", "/api/v1/projects/{pk}/transitions/submit/", ["a", "list"]),
        ("post", "/api/v1/projects/{pk}/transitions/withdraw/", {"reason": {"nested": 1}}),
        ("post", "/api/v1/projects/", "[1,2,3]"),
        ("get", "/api/v1/projects/99999999999999999999/", None),
        ("get", "/api/v1/projects/?state=nonsense&q=" + "x" * 500, None),
        ("post", "/api/v1/projects/{pk}/evaluation/", "garbage"),
    ],
)
def test_no_input_produces_a_500(
    cast: dict[str, Any], community: Any, method: str, url: str, body: Any
) -> None:
    p = new_project(community, cast["resident"])
    client = api(cast["resident"])
    url = url.replace("{pk}", str(p.pk))
    if isinstance(body, str):
        r = getattr(client, method)(url, body, content_type="application/json")
    elif body is None:
        r = getattr(client, method)(url)
    else:
        r = getattr(client, method)(url, body, format="json")
    assert r.status_code < 500, r.content
    p.refresh_from_db()
    assert p.state == State.DRAFT


def test_act_refuses_unknown_name(cast: dict[str, Any], community: Any) -> None:
    from projects.errors import Invalid

    p = new_project(community, cast["resident"])
    with pytest.raises(Invalid):
        actions.act(project=p, name="launch_rocket", by=cast["resident"])
