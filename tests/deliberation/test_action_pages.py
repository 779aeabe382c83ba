"""The project page offers exactly what can succeed now, each with its form; says when a waiting
step becomes possible; names the step just done; and says a refusal once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from projects.models import Project, State
from tests.conftest import new_project

pytestmark = pytest.mark.django_db


def in_state(community: Any, proposer: Any, state: str, **fields: Any) -> Project:
    p = new_project(community, proposer, submit=True)
    Project.objects.filter(pk=p.pk).update(state=state, **fields)
    p.refresh_from_db()
    return p


def test_clerk_does_the_assessment_from_its_form_on_the_page(
    cast: dict[str, Any], community: Any, client_for: Any
) -> None:
    p = in_state(community, cast["resident"], State.ASSESSING)
    c = client_for(cast["clerk"])
    page = c.get(f"/projects/{p.pk}/").content.decode()
    assert f'action="/projects/{p.pk}/act/assess/"' in page
    for field in ("assessed_cost", "plan", "duration_days"):
        assert f'id="id_assess_{field}"' in page
    assert "完成可行性评估" in page
    r = c.post(
        f"/projects/{p.pk}/act/assess/",
        {"assessed_cost": "15000.00", "plan": "安装 12 盏太阳能路灯", "duration_days": "20"},
        follow=True,
    )
    p.refresh_from_db()
    assert p.state == State.DELIBERATING and str(p.assessed_cost) == "15000.00"
    assert p.duration_days == 20
    assert "已完成：完成可行性评估" in r.content.decode()


def test_the_flash_names_the_step_just_done(
    cast: dict[str, Any], community: Any, client_for: Any
) -> None:
    p = in_state(community, cast["resident"], State.SCREENING)
    r = client_for(cast["clerk"]).post(f"/projects/{p.pk}/act/accept/", {}, follow=True)
    body = r.content.decode()
    assert "已完成：初审通过" in body and "已完成：可行性评估" not in body


def test_a_bad_assessment_is_refused_once_with_a_clear_message(
    cast: dict[str, Any], community: Any, client_for: Any
) -> None:
    p = in_state(community, cast["resident"], State.ASSESSING)
    r = client_for(cast["clerk"]).post(
        f"/projects/{p.pk}/act/assess/", {"assessed_cost": "abc", "plan": "", "duration_days": "0"}
    )
    assert r.status_code == 400
    body = r.content.decode()
    assert body.count("评估成本（元）：") == 1
    p.refresh_from_db()
    assert p.state == State.ASSESSING and p.assessed_cost is None


def test_committee_member_deciding_is_offered_the_roll_call_not_a_defer_button(
    cast: dict[str, Any], community: Any, client_for: Any
) -> None:
    p = in_state(community, cast["resident"], State.DECIDING)
    c = client_for(cast["committee"])
    page = c.get(f"/projects/{p.pk}/").content.decode()
    for name in ("approve", "decline", "defer"):
        assert f"/act/{name}/" not in page
    assert 'id="motion-form"' in page and "三分之二" in page
    r = c.post(f"/projects/{p.pk}/act/defer/", {})
    assert r.status_code == 409
    assert r.content.decode().count("党委决策须经记名表决") == 1  # said once, not twice


def test_start_of_works_waits_for_publicity_and_says_when(
    cast: dict[str, Any], community: Any, client_for: Any, fund: Any
) -> None:
    ends = timezone.now() + timedelta(days=3)
    p = in_state(
        community,
        cast["resident"],
        State.PUBLICIZING,
        approved_amount="15000.00",
        publicity_ends_at=ends,
    )
    c = client_for(cast["clerk"])
    page = c.get(f"/projects/{p.pk}/").content.decode()
    when = timezone.localtime(ends).strftime("%Y-%m-%d %H:%M")
    assert "/act/start_execution/" not in page  # not offered before it can succeed
    assert (
        "waiting-start_execution" in page
        and f'<span class="nowrap">{when}</span> 起可以办理' in page
    )
    assert "还有" in page  # the countdown at the current step
    r = c.post(f"/projects/{p.pk}/act/start_execution/", {})
    assert r.status_code == 409 and r.content.decode().count("公示期尚未结束") == 1
    Project.objects.filter(pk=p.pk).update(publicity_ends_at=timezone.now() - timedelta(seconds=1))
    page = c.get(f"/projects/{p.pk}/").content.decode()
    assert f"/projects/{p.pk}/act/start_execution/" in page and "waiting-" not in page


def test_committee_upholds_an_objection_on_the_page_and_is_told_so(
    cast: dict[str, Any], community: Any, client_for: Any, fund: Any
) -> None:
    from deliberation.models import Objection
    from deliberation.services import objection_file

    p = in_state(
        community,
        cast["resident"],
        State.PUBLICIZING,
        approved_amount="15000.00",
        publicity_ends_at=timezone.now() + timedelta(days=3),
    )
    objection_file(project=p, by=cast["resident"], body="选址离住户太近")
    objection = Objection.objects.get(project=p)
    r = client_for(cast["committee"]).post(
        f"/objections/{objection.pk}/resolve/",
        {"uphold": "1", "resolution": "异议成立，另行选址"},
        follow=True,
    )
    p.refresh_from_db()
    assert p.state == State.DECIDING
    assert "已完成：公示异议成立" in r.content.decode()
