"""The meetings API: list / retrieve with agenda, attendance, votes and minutes; members confirm,
sign in and vote through the same services; errors 403 / 409 / 400."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from meetings.demo import council_meeting
from projects.models import Project, ProjectEvent, State

pytestmark = pytest.mark.django_db


def api(user: Any = None) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def convene(user: Any, project: Project) -> Any:
    now = timezone.now()
    return api(user).post(
        "/api/v1/meetings/",
        {
            "community": "xingfu",
            "body": "council",
            "title": "居民议事会会议",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "place": "议事厅",
            "items": [{"matter": "是否建议党委批准实施", "project": project.pk}],
        },
        format="json",
    )


def test_member_actions_through_the_api(
    cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    r = convene(cast["resident"], deliberating)
    assert r.status_code == 403
    r = convene(cast["clerk"], deliberating)
    assert r.status_code == 201, r.content
    m = r.json()
    assert m["quorum"] == {"members_total": 3, "present": 0, "needed": 2, "reached": False}
    assert len(m["invitations"]) == 3
    pk, item = m["id"], m["items"][0]["id"]
    r = api(council[0]).post(f"/api/v1/meetings/{pk}/signin/", {}, format="json")
    assert r.status_code == 409  # not open yet
    assert api(council[0]).post(f"/api/v1/meetings/{pk}/confirm/").status_code == 200
    assert api(council[0]).post(f"/api/v1/meetings/{pk}/open/").status_code == 403
    assert api(cast["clerk"]).post(f"/api/v1/meetings/{pk}/open/").status_code == 200
    for member in council[:2]:
        r = api(member).post(f"/api/v1/meetings/{pk}/signin/", {"how": "phone"}, format="json")
        assert r.status_code == 200
    r = api(council[0]).post(
        f"/api/v1/meeting-items/{item}/votes/", {"choice": "maybe"}, format="json"
    )
    assert r.status_code == 400 and "choice" in r.json()["errors"]
    r = api(council[2]).post(
        f"/api/v1/meeting-items/{item}/votes/", {"choice": "yes"}, format="json"
    )
    assert r.status_code == 403  # not signed in
    for member in council[:2]:
        r = api(member).post(
            f"/api/v1/meeting-items/{item}/votes/", {"choice": "yes"}, format="json"
        )
        assert r.status_code == 201
    body = r.json()
    assert body["quorum"]["reached"] is True
    assert [v["choice"] for v in body["items"][0]["votes"]] == ["yes", "yes"]
    assert body["items"][0]["votes"][0]["entered_by"] is None
    r = api(cast["clerk"]).post(f"/api/v1/meeting-items/{item}/close/")
    assert r.status_code == 200 and r.json()["items"][0]["outcome"] == "carried"
    assert api(cast["clerk"]).post(f"/api/v1/meeting-items/{item}/close/").status_code == 409
    deliberating.refresh_from_db()
    assert deliberating.state == State.DECIDING
    audit = api().get(f"/api/v1/projects/{deliberating.pk}/audit/").json()
    assert [a["action"] for a in audit][-3:] == ["meeting_vote", "meeting_vote", "recommend"]


def test_list_and_retrieve_with_minutes(
    cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    item = council_meeting(
        project=deliberating, secretary=cast["clerk"], members=council, minutes="一致赞成"
    )
    listing = api().get("/api/v1/meetings/?community=xingfu").json()
    assert [m["id"] for m in listing] == [item.meeting_id]
    m = api().get(f"/api/v1/meetings/{item.meeting_id}/").json()
    assert m["minutes"]["body"] == "一致赞成" and m["minutes"]["published_at"]
    assert m["items"][0]["yes"] == 3 and m["items"][0]["outcome"] == "carried"
    assert len(m["attendance"]) == 3
    assert ProjectEvent.objects.filter(project=deliberating, action="minutes_published").exists()
    assert api().get("/api/v1/meetings/999/").status_code == 404


def test_schema_documents_the_meeting_endpoints() -> None:
    schema = api().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/meetings/",
        "/api/v1/meetings/{id}/",
        "/api/v1/meetings/{id}/confirm/",
        "/api/v1/meetings/{id}/signin/",
        "/api/v1/meeting-items/{id}/votes/",
    ):
        assert path in paths, path
