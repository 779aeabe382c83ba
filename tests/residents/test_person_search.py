"""Picking people by person, not username: the staff-roles page and the unit representatives
search by name, phone (whole, masked or a part) or address within the page's communities, show
name, masked phone and address, and post the chosen person's id (no JavaScript needed)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Phone
from accounts.services import account_close
from projects.models import Community, Membership, Role
from projects.selectors import user_has_role
from residents import person_search, services
from tests.conftest import add_role, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def hua(community: Any, make_resident: Any) -> Any:
    user = make_resident("hua", household="5栋1单元101")
    user.first_name = "李华"
    user.save()
    Phone.objects.create(user=user, number="+8613833334444")
    return user


@pytest.fixture
def far(other_community: Any) -> Any:
    """李华's namesake in a community the supervisor does not oversee."""
    from projects.models import Street

    elsewhere = Community.objects.create(
        parent=Street.objects.create(name="别的街道"), name="远方社区", slug="far"
    )
    user = make_user("farhua", first_name="李华")
    add_role(user, elsewhere, Role.RESIDENT, household="9-909")
    Phone.objects.create(user=user, number="+8613899990000")
    return user


@pytest.mark.parametrize("q", ["李华", "华", "138****4444", "4444", "13833334444", "5栋1单元"])
def test_the_staff_page_finds_a_person_by_name_phone_or_address(
    q: str, hua: Any, far: Any, cast: Any, client_for: Any
) -> None:
    r = client_for(cast["supervisor"]).get(reverse("residents:staff"), {"q": q})
    assert r.status_code == 200
    html = r.content.decode()
    assert f'value="{hua.pk}" form="grant-form"' in html
    assert "李华" in html and "138****4444" in html and "5栋1单元101" in html
    assert "+8613833334444" not in html  # the supervisor sees it masked
    assert f'name="user" value="{far.pk}"' not in html  # outside the communities the page allows


def test_a_whole_number_finds_a_person_outside_the_scope_a_part_does_not(
    far: Any, cast: Any, client_for: Any
) -> None:
    sup = client_for(cast["supervisor"])
    assert (
        f'name="user" value="{far.pk}"'
        in sup.get(reverse("residents:staff"), {"q": "13899990000"}).content.decode()
    )
    for part in ("9999", "138****0000", "李华"):
        html = sup.get(reverse("residents:staff"), {"q": part}).content.decode()
        assert f'name="user" value="{far.pk}"' not in html, part


def test_granting_a_role_to_the_chosen_person(
    hua: Any, community: Any, cast: Any, client_for: Any
) -> None:
    sup = client_for(cast["supervisor"])
    url = reverse("residents:staff")
    r = sup.post(url, {"user": hua.pk, "role": "council", "community": community.slug})
    assert r.status_code == 302
    assert user_has_role(hua, community, Role.COUNCIL)
    # nobody chosen, or an id that is no account: a clear error, nothing changed
    for bad in ("", "abc", "999999"):
        r = sup.post(url, {"user": bad, "role": "clerk", "community": community.slug})
        assert r.status_code == 400
        assert "请先搜索并选择一人" in r.content.decode()
    assert not Membership.objects.filter(role=Role.CLERK, user=hua).exists()


def test_a_closed_account_is_never_found(hua: Any, cast: Any, client_for: Any) -> None:
    account_close(user=hua)
    html = (
        client_for(cast["supervisor"])
        .get(reverse("residents:staff"), {"q": "5栋1单元"})
        .content.decode()
    )
    assert f'name="user" value="{hua.pk}"' not in html


def test_the_clerk_adds_a_unit_representative_by_search(
    hua: Any, community: Any, cast: Any, client_for: Any
) -> None:
    unit = services.unit_create(
        by=cast["clerk"], community=community, name="实验小学", kind="school"
    )
    clerk = client_for(cast["clerk"])
    url = reverse("residents:units", args=[community.slug])
    html = clerk.get(url, {"q": "李华"}).content.decode()
    assert f'value="{hua.pk}" form="representative-form"' in html and "5栋1单元101" in html
    r = clerk.post(url, {"action": "representative", "unit": unit.pk, "user": hua.pk})
    assert r.status_code == 302
    assert list(unit.representatives.all()) == [hua]
    # the seat is then given by choosing among the unit's representatives
    sup = client_for(cast["supervisor"])
    page = sup.get(url).content.decode()
    assert f'<option value="{hua.pk}">李华</option>' in page
    stranger = make_user("stranger")
    r = sup.post(url, {"action": "seat", "unit": unit.pk, "user": stranger.pk})
    assert r.status_code == 400
    r = sup.post(url, {"action": "seat", "unit": unit.pk, "user": hua.pk})
    assert r.status_code == 302
    assert user_has_role(hua, community, Role.COMMITTEE)


def test_masked_phone_parts_are_read_as_a_phone() -> None:
    assert person_search._phone_parts("138****4444") == ["138", "4444"]
    assert person_search._phone_parts("4444") == ["4444"]
    assert person_search._phone_parts("李华") is None
    assert person_search._phone_parts("12") is None
