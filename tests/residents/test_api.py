"""The residency API: declare, list one's own declarations and memberships, move out; the clerk's
queue, approval and refusal; households readable by their members and the clerk only."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Phone
from projects.models import Grid, Membership, Role
from projects.selectors import user_has_role
from residents.models import Declaration
from tests.conftest import add_role, make_user
from tests.residents.conftest import png

pytestmark = pytest.mark.django_db


def api(user: Any = None) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def declare(user: Any, community: Any, **extra: Any) -> Any:
    body = {"community": community.slug, "building": "3", "unit": "2", "room": "501"} | extra
    return api(user).post("/api/v1/declarations/", body, format="json")


def test_a_resident_declares_and_lists_their_declarations(community: Any, cast: Any) -> None:
    newcomer = make_user("newcomer", first_name="新来的")
    grid = Grid.objects.get(community=community)
    r = declare(newcomer, community, grid=grid.pk)
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "pending"
    assert r.json()["address"] == "3栋2单元501"
    assert r.json()["person"]["name"] == "新来的"
    mine = api(newcomer).get("/api/v1/declarations/").json()
    assert [d["id"] for d in mine] == [r.json()["id"]]
    # nobody else's declarations are in the list
    assert api(cast["resident"]).get("/api/v1/declarations/").json() == []
    # declaring twice while pending is a conflict
    assert declare(newcomer, community).status_code == 409


def test_declaring_with_a_photo_by_multipart(community: Any) -> None:
    newcomer = make_user("newcomer")
    body = {"community": community.slug, "building": "3", "room": "501", "photo": png()}
    r = api(newcomer).post("/api/v1/declarations/", body, format="multipart")
    assert r.status_code == 201, r.content
    assert r.json()["has_photo"] is True


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"building": ""}, "building"), ({"room": "x" * 41}, "room"), ({"grid": 999999}, "grid")],
)
def test_bad_declarations_are_refused_with_the_field(
    community: Any, extra: dict[str, Any], field: str
) -> None:
    newcomer = make_user("newcomer")
    r = declare(newcomer, community, **extra)
    assert r.status_code == 400
    assert field in r.json()["errors"]
    assert not Declaration.objects.exists()


def test_a_grid_of_another_community_is_refused(community: Any, other_community: Any) -> None:
    grid = Grid.objects.create(community=other_community, name="别处")
    r = declare(make_user("newcomer"), community, grid=grid.pk)
    assert r.status_code == 400 and "grid" in r.json()["errors"]


def test_the_clerk_sees_the_queue_and_approves(community: Any, cast: Any) -> None:
    newcomer = make_user("newcomer")
    Phone.objects.create(user=newcomer, number="+8613811112222")
    d = declare(newcomer, community).json()
    # only the community's clerk reads the queue
    assert (
        api(cast["resident"])
        .get(f"/api/v1/declarations/queue/?community={community.slug}")
        .status_code
        == 403
    )
    queue = api(cast["clerk"]).get(f"/api/v1/declarations/queue/?community={community.slug}")
    assert queue.status_code == 200
    assert [x["id"] for x in queue.json()] == [d["id"]]
    assert queue.json()[0]["person"]["phone"] == "+8613811112222"  # the clerk verifies
    # a stranger sees the number masked
    r = api(cast["clerk"]).post(f"/api/v1/declarations/{d['id']}/approve/", {}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved" and r.json()["membership"]
    assert user_has_role(newcomer, community, Role.RESIDENT)
    # deciding twice is a conflict
    again = api(cast["clerk"]).post(f"/api/v1/declarations/{d['id']}/approve/", {}, format="json")
    assert again.status_code == 409
    refuse = api(cast["clerk"]).post(
        f"/api/v1/declarations/{d['id']}/refuse/", {"reason": "晚了"}, format="json"
    )
    assert refuse.status_code == 409


def test_only_the_clerk_of_that_community_decides(
    community: Any, other_community: Any, cast: Any
) -> None:
    other_clerk = make_user("otherclerk")
    add_role(other_clerk, other_community, Role.CLERK)
    newcomer = make_user("newcomer")
    d = declare(newcomer, community).json()
    for who in (other_clerk, newcomer, cast["committee"], cast["resident"]):
        for action, body in (("approve", {}), ("refuse", {"reason": "不符"})):
            r = api(who).post(f"/api/v1/declarations/{d['id']}/{action}/", body, format="json")
            assert r.status_code == 403, (who, action, r.content)
    assert Declaration.objects.get(pk=d["id"]).status == "pending"
    assert api().post(
        f"/api/v1/declarations/{d['id']}/approve/", {}, format="json"
    ).status_code in (401, 403)


def test_refusal_needs_a_reason_and_the_person_reads_it(community: Any, cast: Any) -> None:
    newcomer = make_user("newcomer")
    d = declare(newcomer, community).json()
    url = f"/api/v1/declarations/{d['id']}/refuse/"
    assert api(cast["clerk"]).post(url, {"reason": ""}, format="json").status_code == 400
    r = api(cast["clerk"]).post(url, {"reason": "地址不在本社区"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "refused"
    mine = api(newcomer).get(f"/api/v1/declarations/{d['id']}/").json()
    assert mine["reason"] == "地址不在本社区"
    # a stranger cannot read it
    assert api(cast["resident"]).get(f"/api/v1/declarations/{d['id']}/").status_code == 404


def test_memberships_and_moving_out(community: Any, cast: Any) -> None:
    resident = cast["resident"]
    mine = api(resident).get("/api/v1/memberships/").json()
    assert len(mine) == 1 and mine[0]["current"] is True
    pk = mine[0]["id"]
    # someone else cannot end it (not their membership, not the clerk)
    assert (
        api(cast["committee"]).post(f"/api/v1/memberships/{pk}/end/", {}, format="json").status_code
        == 404
    )
    r = api(resident).post(f"/api/v1/memberships/{pk}/end/", {}, format="json")
    assert r.status_code == 200 and r.json()["current"] is False
    assert not user_has_role(resident, community, Role.RESIDENT)
    assert (
        api(resident).post(f"/api/v1/memberships/{pk}/end/", {}, format="json").status_code == 409
    )
    # the history stays
    assert api(resident).get("/api/v1/memberships/").json()[0]["ended_at"]


def test_the_clerk_ends_a_membership_only_with_a_reason(community: Any, cast: Any) -> None:
    m = Membership.objects.get(user=cast["resident"], role=Role.RESIDENT)
    url = f"/api/v1/memberships/{m.pk}/end/"
    assert api(cast["clerk"]).post(url, {}, format="json").status_code == 400
    r = api(cast["clerk"]).post(url, {"reason": "已搬离"}, format="json")
    assert r.status_code == 200 and r.json()["ended_reason"] == "已搬离"


def test_a_household_is_read_by_its_members_and_the_clerk(
    community: Any, cast: Any, make_resident: Any
) -> None:
    a = make_resident("hua", household="5-101")
    b = make_resident("ming", household="5-101")
    make_resident("other", household="6-202")
    Phone.objects.create(user=b, number="+8613833334444")
    m = Membership.objects.get(user=a, role=Role.RESIDENT)
    url = f"/api/v1/memberships/{m.pk}/household/"
    r = api(a).get(url)
    assert r.status_code == 200
    body = r.json()
    assert body["household"] == "5-101"
    assert sorted(x["person"]["username"] for x in body["members"]) == ["hua", "ming"]
    phones = {x["person"]["username"]: x["person"]["phone"] for x in body["members"]}
    assert phones["ming"] == "138****4444"  # a housemate sees it masked
    assert api(cast["clerk"]).get(url).json()["members"][1]["person"]["phone"] == "+8613833334444"
    assert api(cast["resident"]).get(url).status_code == 404
    assert api(cast["committee"]).get(url).status_code == 404
