"""The tree of places: everything below a node in one query, supervisors of any node see
everything below it and nothing beside it."""

from __future__ import annotations

from typing import Any

import pytest

from projects.models import Community, Membership, Role, Street
from projects.models.membership import supervised_q, supervises, supervisors_of
from projects.models.places import Place, PlaceKind, communities_under
from projects.selectors import communities_of, projects_visible_to, user_has_role
from tests.conftest import make_user as _make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree() -> dict[str, Any]:
    city = Place.objects.create(kind=PlaceKind.CITY, name="市")
    district = Place.objects.create(kind=PlaceKind.DISTRICT, name="区", parent=city)
    other_district = Place.objects.create(kind=PlaceKind.DISTRICT, name="无街道区", parent=city)
    east = Street.objects.create(name="东街道", parent=district)
    west = Street.objects.create(name="西街道", parent=district)
    c = {
        "e1": Community.objects.create_under(east, name="东一社区", slug="e1"),
        "e2": Community.objects.create_under(east, name="东二社区", slug="e2"),
        "w1": Community.objects.create_under(west, name="西一社区", slug="w1"),
        # a district without streets: the community hangs right under it
        "d1": Community.objects.create_under(other_district, name="直属社区", slug="d1"),
    }
    return {
        "city": city,
        "district": district,
        "other": other_district,
        "east": east,
        "west": west,
        **c,
    }


def _supervisor(name: str, place: Place) -> Any:
    user = _make_user(name)
    Membership.objects.create(user=user, role=Role.SUPERVISOR, place=place)
    return user


def test_paths_follow_the_tree(tree: dict[str, Any]) -> None:
    e1 = tree["e1"]
    assert e1.place.kind == PlaceKind.COMMUNITY
    assert e1.parent == tree["east"]
    assert e1.place.ancestor_ids() == [
        tree["city"].pk,
        tree["district"].pk,
        tree["east"].pk,
        e1.place.pk,
    ]
    assert Street.objects.count() == 2  # the proxy sees streets only
    assert set(Place.objects.below(tree["district"]).values_list("name", flat=True)) == {
        "区",
        "东街道",
        "西街道",
        "东一社区",
        "东二社区",
        "西一社区",
    }


def test_communities_under_each_level(tree: dict[str, Any]) -> None:
    def names(p: Place) -> set[str]:
        return set(communities_under(p).values_list("slug", flat=True))

    assert names(tree["city"]) == {"e1", "e2", "w1", "d1"}
    assert names(tree["district"]) == {"e1", "e2", "w1"}
    assert names(tree["east"]) == {"e1", "e2"}
    assert names(tree["other"]) == {"d1"}
    assert names(tree["e1"].place) == {"e1"}


def test_supervisor_of_a_district_sees_both_streets(tree: dict[str, Any]) -> None:
    boss = _supervisor("district_boss", tree["district"])
    for key in ("e1", "e2", "w1"):
        assert user_has_role(boss, tree[key], Role.SUPERVISOR)
        assert boss.has_perm("projects.role_supervisor", tree[key])
    assert not user_has_role(boss, tree["d1"], Role.SUPERVISOR)
    assert supervises(boss, tree["west"]) and not supervises(boss, tree["city"])
    assert set(communities_of(boss).values_list("slug", flat=True)) == {"e1", "e2", "w1"}
    assert set(Community.objects.filter(supervised_q(boss, "")).values_list("slug", flat=True)) == {
        "e1",
        "e2",
        "w1",
    }


def test_supervisor_of_a_street_not_the_other_street(tree: dict[str, Any]) -> None:
    east_boss = _supervisor("east_boss", tree["east"])
    assert user_has_role(east_boss, tree["e2"], Role.SUPERVISOR)
    assert not user_has_role(east_boss, tree["w1"], Role.SUPERVISOR)
    assert not east_boss.has_perm("projects.role_supervisor", tree["w1"])
    assert set(communities_of(east_boss).values_list("slug", flat=True)) == {"e1", "e2"}
    assert list(supervisors_of(tree["w1"])) == []
    assert [m.user for m in supervisors_of(tree["e1"])] == [east_boss]


def test_staff_of_a_city_see_non_public_projects_below(tree: dict[str, Any]) -> None:
    from projects.models import Project, State

    proposer = _make_user("proposer")
    p = Project.objects.create(
        community=tree["w1"],
        proposer=proposer,
        title="西边的路灯",
        summary="修好西边的路灯吧",
    )
    Project.objects.filter(pk=p.pk).update(state=State.WITHDRAWN)  # not public
    city_boss = _supervisor("city_boss", tree["city"])
    east_boss = _supervisor("east_boss2", tree["east"])
    assert p in projects_visible_to(user=city_boss)
    assert p not in projects_visible_to(user=east_boss)


def test_a_communitys_parent_cannot_move(tree: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    e1 = Community.objects.get(slug="e1")
    with pytest.raises(ValidationError):
        e1.parent = tree["west"]
    node = tree["east"]
    node.parent = tree["other"]
    with pytest.raises(ValidationError):
        node.save()


def test_assessment_records_the_people_served_estimate(cast: dict[str, Any]) -> None:
    from deliberation import actions
    from projects import services as ps
    from projects.models import State
    from tests.projects.money_helpers import walk_to

    p = ps.project_create(
        by=cast["resident"],
        community=cast["resident"].memberships.first().community,
        title="楼道照明改造",
        summary="三号楼楼道照明改造工程",
    )
    p = walk_to(p, State.ASSESSING, cast)
    p = actions.act(
        project=p,
        name="assess",
        by=cast["clerk"],
        params={
            "assessed_cost": "1000.00",
            "plan": "更换灯具",
            "duration_days": 10,
            "people_served": 1200,
        },
    )
    p.refresh_from_db()
    assert (p.state, p.people_served) == (State.DELIBERATING, 1200)
