"""Representatives for acceptance are chosen by person, not username: the council searches the
community's current residents by name, address or phone digits (shown as name + masked phone +
address), ticks them, and they are named. Works without JavaScript (GET search, POST choice)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Phone
from deliberation import actions
from projects.models import AcceptanceInspection, Community, Membership, Project, Role, State
from residents import pickers
from residents.models import Declaration
from tests.conftest import add_role, make_user, new_project
from tests.projects.money_helpers import walk_to

pytestmark = pytest.mark.django_db


def resident(community: Community, username: str, name: str, phone: str, room: str) -> Any:
    user = make_user(username, first_name=name)
    m = add_role(user, community, Role.RESIDENT)
    Phone.objects.create(user=user, number=phone)
    Declaration.objects.create(
        user=user,
        community=community,
        building="3",
        unit="2",
        room=room,
        status=Declaration.Status.APPROVED,
        decided_at=timezone.now(),
        membership=m,
    )
    return user


@pytest.fixture
def people(community: Community, other_community: Community) -> dict[str, Any]:
    wang = resident(community, "u_wang", "王秀英", "+8613812341234", "301")
    li = resident(community, "u_li", "李建国", "+8613955556789", "502")
    moved = resident(community, "u_moved", "王大伟", "+8613700001111", "101")
    Membership.objects.filter(user=moved).update(ended_at=timezone.now())
    elsewhere = make_user("u_far", first_name="王远")
    add_role(elsewhere, other_community, Role.RESIDENT)
    return {"wang": wang, "li": li, "moved": moved, "far": elsewhere}


def test_search_by_name_address_and_phone_only_current_residents_of_the_community(
    community: Community, people: dict[str, Any]
) -> None:
    found = pickers.search_residents(community, "王")
    assert [p.name for p in found] == ["王秀英"]  # not the one moved out, not another community
    assert found[0].phone == "138****1234" and found[0].address == "3栋2单元301"
    assert [p.name for p in pickers.search_residents(community, "3栋2单元502")] == ["李建国"]
    assert [p.name for p in pickers.search_residents(community, "502")] == ["李建国"]
    assert [p.name for p in pickers.search_residents(community, "6789")] == ["李建国"]
    assert [p.name for p in pickers.search_residents(community, "138****1234")] == ["王秀英"]
    assert pickers.search_residents(community, "139****1234") == []
    assert pickers.search_residents(community, "") == []


@pytest.fixture
def accepting(community: Community, cast: dict[str, Any], fund: Any) -> Project:
    p = walk_to(new_project(community, cast["resident"]), State.EXECUTING, cast)
    return actions.act(project=p, name="deliver", by=cast["clerk"], params={"report": "已完工"})


def test_council_searches_then_ticks_representatives_on_the_project_page(
    accepting: Project, cast: dict[str, Any], people: dict[str, Any], client_for: Any
) -> None:
    council = client_for(cast["council"])
    for lang in ("zh-hans", "zh-hant", "en"):
        page = council.get(
            f"/projects/{accepting.pk}/?rep_q=王", HTTP_ACCEPT_LANGUAGE=lang
        ).content.decode()
        assert 'name="rep_q"' in page and 'name="usernames"' not in page, lang
        assert "王秀英" in page and "138****1234" in page and "3栋2单元301" in page
        assert "+8613812341234" not in page and "王大伟" not in page and "王远" not in page
        assert "picker_param" not in page  # the template's own notes stay out of the page
    url = f"/projects/{accepting.pk}/acceptance/representatives/"
    # someone not a current resident of the community is refused, nothing named
    bad = council.post(url, {"representatives": [people["wang"].pk, people["far"].pk]})
    assert bad.status_code == 400
    assert council.post(url, {}).status_code == 400
    assert (
        client_for(cast["resident"]).post(url, {"representatives": [people["wang"].pk]}).status_code
        == 403
    )
    ok = council.post(url, {"representatives": [people["wang"].pk, people["li"].pk]})
    assert ok.status_code == 302
    inspection = AcceptanceInspection.objects.get(project=accepting)
    assert set(inspection.representatives.all()) == {people["wang"], people["li"]}
    assert (
        accepting.events.filter(action="acceptance_representatives").get().actor == cast["council"]
    )


def test_api_names_representatives_by_id(
    accepting: Project, cast: dict[str, Any], people: dict[str, Any]
) -> None:
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_authenticate(cast["council"])
    url = f"/api/v1/projects/{accepting.pk}/acceptance/representatives/"
    assert c.post(url, {"people": [people["moved"].pk]}, format="json").status_code == 400
    r = c.post(url, {"people": [people["li"].pk]}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["representatives"] == ["u_li"]
