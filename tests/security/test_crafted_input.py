"""Issue 15, finding 7: crafted input is a clear 400 (never a 500) and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from deliberation import services
from deliberation.models import EvaluationBallot, EvaluationParticipation
from projects.models import Project, ProjectEvent, ProjectPhoto, State
from tests.conftest import new_project
from tests.security.helpers import nested_json, png_header_only, token_client

pytestmark = pytest.mark.django_db

GOOD = {
    "community": "xingfu",
    "title": "楼道照明改造",
    "summary": "3号楼楼道灯坏了半年，晚上很危险。",
}


def api(user: Any) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def raw_post(client: Client, url: str, body: str, **headers: Any) -> Any:
    return client.generic(
        "POST", url, body.encode("utf-8", "surrogatepass"), "application/json", **headers
    )


def assessing(cast: dict[str, Any], community: Any) -> Project:
    p = new_project(community, cast["resident"])
    Project.objects.filter(pk=p.pk).update(state=State.ASSESSING)
    return p


def evaluating(cast: dict[str, Any], community: Any) -> Project:
    p = new_project(community, cast["resident"])
    Project.objects.filter(pk=p.pk).update(state=State.EVALUATING)
    p.refresh_from_db()
    services.evaluation_open_round(project=p)
    return p


# --- numbers ----------------------------------------------------------------------------------
def test_duration_of_1e400_days_is_refused(cast: dict[str, Any], community: Any) -> None:
    p = assessing(cast, community)
    body = '{"assessed_cost": "100.00", "plan": "更换灯具", "duration_days": 1e400}'
    c = APIClient()
    c.force_authenticate(cast["clerk"])
    r = c.generic("POST", f"/api/v1/projects/{p.pk}/transitions/assess/", body, "application/json")
    assert r.status_code == 400, r.content
    p.refresh_from_db()
    assert p.state == State.ASSESSING and p.duration_days is None


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_json_numbers_are_refused(
    cast: dict[str, Any], community: Any, literal: str
) -> None:
    p = assessing(cast, community)
    body = f'{{"assessed_cost": "100.00", "plan": "更换灯具", "duration_days": {literal}}}'
    r = api(cast["clerk"]).generic(
        "POST", f"/api/v1/projects/{p.pk}/transitions/assess/", body, "application/json"
    )
    assert r.status_code == 400, r.content
    assert Project.objects.get(pk=p.pk).state == State.ASSESSING


def test_plan_over_5000_characters_is_refused_through_assess(
    cast: dict[str, Any], community: Any
) -> None:
    p = assessing(cast, community)
    before = ProjectEvent.objects.count()
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/transitions/assess/",
        {"assessed_cost": "100.00", "plan": "方" * 5001, "duration_days": 5},
        format="json",
    )
    assert r.status_code == 400, r.content
    assert "plan" in r.json()["errors"]
    p.refresh_from_db()
    assert p.state == State.ASSESSING and p.plan == ""
    assert ProjectEvent.objects.count() == before


# --- deep JSON --------------------------------------------------------------------------------
def test_deeply_nested_json_to_the_token_endpoint_is_a_400() -> None:
    r = raw_post(Client(), "/api/v1/auth/token/", nested_json(100_000))
    assert r.status_code == 400, r.content[:200]


def test_deeply_nested_json_to_the_vote_endpoint_is_refused(
    cast: dict[str, Any], community: Any
) -> None:
    p = evaluating(cast, community)
    url = f"/api/v1/projects/{p.pk}/evaluation/"
    for header in ("Token bogus", token_client(cast["resident"])[1]):
        r = raw_post(Client(), url, nested_json(100_000), HTTP_AUTHORIZATION=header)
        assert r.status_code in (400, 401), r.content[:200]
    r = raw_post(
        Client(),
        url,
        '{"choice": "satisfied", "x": ' + nested_json(40) + "}",
        HTTP_AUTHORIZATION=token_client(cast["resident"])[1],
    )
    assert r.status_code == 400, r.content[:200]
    assert not EvaluationBallot.objects.exists()


# --- characters no field may hold ---------------------------------------------------------------
@pytest.mark.parametrize("comment", ["好\\u0000", "\\ud800", "a\\udfff b"])
@pytest.mark.parametrize("auth", ["token", "session"])
def test_nul_or_lone_surrogate_in_an_evaluation_comment_is_refused(
    cast: dict[str, Any], community: Any, comment: str, auth: str
) -> None:
    p = evaluating(cast, community)
    body = '{"choice": "satisfied", "comment": "' + comment + '"}'
    url = f"/api/v1/projects/{p.pk}/evaluation/"
    if auth == "token":
        client, header = token_client(cast["resident"])
        r = raw_post(client, url, body, HTTP_AUTHORIZATION=header)
    else:
        client = Client(enforce_csrf_checks=False)
        client.force_login(cast["resident"])
        r = raw_post(client, url, body)
    assert r.status_code == 400, r.content
    assert not EvaluationBallot.objects.exists() and not EvaluationParticipation.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects/?q=%00",
        "/api/v1/projects/?community=%00",
        "/api/v1/projects/?state=%00",
        "/api/v1/rounds/?status=%00",
        "/api/v1/rounds/?community=%00",
        "/api/v1/funds/?community=%00",
        "/projects/?q=%00",
        "/projects/?community=x%00y",
        "/rounds/?community=%00",
        "/?%00=1",
    ],
)
def test_nul_in_a_query_string_is_a_400(cast: dict[str, Any], url: str) -> None:
    r = Client().get(url)
    assert r.status_code == 400, (url, r.status_code)
    if url.startswith("/api/"):
        assert r.json()["detail"]
    signed_in = Client()
    signed_in.force_login(cast["clerk"])
    assert signed_in.get(url).status_code == 400


def test_nul_in_a_form_field_is_a_400(cast: dict[str, Any], community: Any) -> None:
    client = Client()
    client.force_login(cast["resident"])
    r = client.post("/projects/new/", {**GOOD, "community": community.pk, "title": "楼道\x00照明"})
    assert r.status_code == 400
    assert not Project.objects.exists()


def test_query_strings_without_nul_still_filter(cast: dict[str, Any], community: Any) -> None:
    new_project(community, cast["resident"], title="楼道照明改造")
    assert Client().get("/api/v1/projects/?q=照明").status_code == 200
    assert Client().get("/projects/?q=照明").status_code == 200


# --- titles that do not read as what they hold ------------------------------------------------
@pytest.mark.parametrize(
    "title",
    [
        "\u200b\u200b\u200b\u200b\u200b",  # zero-width spaces only
        "\u200d\u2060\ufeff\u200c\u200b\u200b",  # joiners, word joiner, BOM
        "\u202e造改明照道楼",  # right-to-left override
        "楼道\u2066照明\u2069改造",  # isolates
        "楼道\u202a照明改造",  # embedding
    ],
)
def test_invisible_or_bidi_titles_are_refused(cast: dict[str, Any], title: str) -> None:
    r = api(cast["resident"]).post("/api/v1/projects/", {**GOOD, "title": title}, format="json")
    assert r.status_code == 400, r.content
    assert "title" in r.json()["errors"]
    assert not Project.objects.exists()


def test_an_ordinary_title_with_emoji_is_kept(cast: dict[str, Any]) -> None:
    r = api(cast["resident"]).post(
        "/api/v1/projects/", {**GOOD, "title": "楼道照明改造 👨\u200d👩\u200d👧"}, format="json"
    )
    assert r.status_code == 201, r.content


# --- decompression bombs ------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(20000, 20000), (7000, 6000)])
def test_photo_with_too_many_pixels_is_a_400(cast: dict[str, Any], size: tuple[int, int]) -> None:
    bomb = SimpleUploadedFile("bomb.png", png_header_only(*size), content_type="image/png")
    r = api(cast["resident"]).post(
        "/api/v1/projects/", {**GOOD, "photos": [bomb]}, format="multipart"
    )
    assert r.status_code == 400, r.content
    assert "photos" in r.json()["errors"]
    assert not Project.objects.exists() and not ProjectPhoto.objects.exists()


def test_json_body_is_still_read(cast: dict[str, Any]) -> None:
    body = json.dumps({**GOOD, "title": "楼道照明改造"}, ensure_ascii=False)
    r = api(cast["resident"]).generic("POST", "/api/v1/projects/", body, "application/json")
    assert r.status_code == 201, r.content


# --- amounts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount", ["1e30", "1E+30", "9" * 40, "1e-30", "12345678901234567890.1"])
def test_huge_or_tiny_amounts_are_a_400_through_assess(
    cast: dict[str, Any], community: Any, amount: str
) -> None:
    p = assessing(cast, community)
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/transitions/assess/",
        {"assessed_cost": amount, "plan": "更换灯具", "duration_days": 5},
        format="json",
    )
    assert r.status_code == 400, r.content
    assert "assessed_cost" in r.json()["errors"]


def test_huge_amount_is_a_400_for_a_motion(cast: dict[str, Any], community: Any) -> None:
    p = new_project(community, cast["resident"])
    Project.objects.filter(pk=p.pk).update(state=State.DECIDING)
    r = api(cast["committee"]).post(
        f"/api/v1/projects/{p.pk}/decisions/",
        {"motion": "approve", "amount": "1e30"},
        format="json",
    )
    assert r.status_code == 400, r.content


def test_receipt_with_too_many_pixels_is_a_400() -> None:
    from projects import ledger
    from projects.errors import Invalid

    bomb = SimpleUploadedFile("r.png", png_header_only(20000, 20000), content_type="image/png")
    with pytest.raises(Invalid) as refused:
        ledger.check_receipt(bomb)
    assert "receipt" in refused.value.errors
