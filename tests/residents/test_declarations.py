"""Declaring residency, the clerk's queue, approval and refusal, the private photo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from deliberation import services as deliberation_services
from notifications.models import Notification
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Grid, Membership, Role
from projects.selectors import eligible_residents, user_has_role
from residents import services
from residents.models import Declaration, ResidencyEvent
from tests.conftest import make_user, new_project
from tests.residents.conftest import png

pytestmark = pytest.mark.django_db


def _declare(user: Any, community: Any, **kw: Any) -> Declaration:
    grid = Grid.objects.get(community=community)
    fields = {"building": "3", "unit": "2", "room": "501"}
    fields.update(kw)
    return services.declaration_create(by=user, community=community, grid=grid, **fields)


def test_pending_declaration_is_no_membership(community: Any, cast: Any) -> None:
    newcomer = make_user("newcomer")
    d = _declare(newcomer, community)
    assert d.status == Declaration.Status.PENDING
    assert not user_has_role(newcomer, community, Role.RESIDENT)
    assert newcomer.pk not in eligible_residents(community).values_list("user_id", flat=True)
    # the clerk is told, and the event is on the record
    assert Notification.objects.filter(recipient=cast["clerk"], kind="residency.declared").exists()
    assert ResidencyEvent.objects.filter(declaration=d, kind="declared").exists()
    with pytest.raises(Conflict):
        _declare(newcomer, community)


def test_clerk_approves_and_resident_can_cosign(community: Any, cast: Any) -> None:
    newcomer = make_user("newcomer")
    d = _declare(newcomer, community)
    project = new_project(community, cast["resident"], submit=True)
    m = services.declaration_approve(declaration=d, by=cast["clerk"], household="3-2-501")
    assert (m.role, m.household, m.grid.name) == (Role.RESIDENT, "3-2-501", "第一网格")
    assert user_has_role(newcomer, community, Role.RESIDENT)
    assert Notification.objects.filter(recipient=newcomer, kind="residency.approved").exists()
    assert m.history.first().history_user == cast["clerk"]
    deliberation_services.cosign_add(project=project, by=newcomer)
    with pytest.raises(Conflict):  # decided once
        services.declaration_refuse(declaration=d, by=cast["clerk"], reason="重复")


def test_approve_defaults_household_to_address(community: Any, cast: Any) -> None:
    a, b = make_user("a"), make_user("b")
    ma = services.declaration_approve(declaration=_declare(a, community), by=cast["clerk"])
    mb = services.declaration_approve(declaration=_declare(b, community), by=cast["clerk"])
    assert ma.household == mb.household == "3栋2单元501"


def test_refuse_needs_reason_and_tells_it(community: Any, cast: Any) -> None:
    newcomer = make_user("newcomer")
    d = _declare(newcomer, community)
    with pytest.raises(Invalid):
        services.declaration_refuse(declaration=d, by=cast["clerk"], reason="  ")
    services.declaration_refuse(declaration=d, by=cast["clerk"], reason="地址查无此户")
    d.refresh_from_db()
    assert d.status == Declaration.Status.REFUSED
    n = Notification.objects.get(recipient=newcomer, kind="residency.refused")
    assert "地址查无此户" in n.verb
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("who", ["resident", "committee", "supervisor", "outsider"])
def test_only_the_clerk_decides(community: Any, cast: Any, who: str) -> None:
    d = _declare(make_user("newcomer"), community)
    with pytest.raises(Forbidden):
        services.declaration_approve(declaration=d, by=cast[who])
    with pytest.raises(Forbidden):
        services.declaration_refuse(declaration=d, by=cast[who], reason="x")


def test_clerk_of_another_community_cannot_decide(
    community: Any, other_community: Any, cast: Any, client_for: Any
) -> None:
    other_clerk = make_user("other_clerk")
    Membership.objects.create(user=other_clerk, role=Role.CLERK, community=other_community)
    d = _declare(make_user("newcomer"), community, photo=png())
    r = client_for(other_clerk).post(reverse("residents:approve", args=[d.pk]))
    assert r.status_code == 403
    assert client_for(other_clerk).get(reverse("residents:photo", args=[d.pk])).status_code == 404


def test_photo_is_private_and_deleted_once_decided(
    community: Any, cast: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    d = _declare(make_user("newcomer"), community, photo=png())
    stored = Path(d.photo.path)
    assert stored.exists()
    assert Path(settings.PRIVATE_MEDIA_ROOT) in stored.parents
    assert Path(settings.MEDIA_ROOT) not in stored.parents
    url = reverse("residents:photo", args=[d.pk])
    assert client_for(cast["resident"]).get(url).status_code == 404
    assert client_for(d.user).get(url).status_code == 404
    r = client_for(cast["clerk"]).get(url)
    assert r.status_code == 200
    assert b"".join(r.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"  # re-encoded image
    with django_capture_on_commit_callbacks(execute=True):
        services.declaration_approve(declaration=d, by=cast["clerk"])
    assert not stored.exists()
    d.refresh_from_db()
    assert not d.photo
    assert client_for(cast["clerk"]).get(url).status_code == 404


def test_queue_page_and_inbox_section(community: Any, cast: Any, client_for: Any) -> None:
    newcomer = make_user("newcomer", first_name="新居民")
    d = _declare(newcomer, community)
    clerk = client_for(cast["clerk"])
    page = clerk.get(reverse("residents:queue", args=[community.slug])).content.decode()
    assert "新居民" in page and "3栋2单元501" in page
    inbox = clerk.get(reverse("inbox")).content.decode()
    assert "居民身份核验" in inbox and "新居民" in inbox
    # a resident's inbox has no such section, the queue page is the clerk's
    assert "居民身份核验" not in client_for(cast["resident"]).get(reverse("inbox")).content.decode()
    assert (
        client_for(cast["resident"])
        .get(reverse("residents:queue", args=[community.slug]))
        .status_code
        == 403
    )
    r = clerk.post(reverse("residents:refuse", args=[d.pk]), {"reason": ""})
    assert r.status_code == 400
    r = clerk.post(reverse("residents:approve", args=[d.pk]), {"household": "H-9"})
    assert r.status_code == 302
    assert Membership.objects.residents().get(user=newcomer).household == "H-9"


def test_declare_page(community: Any, client_for: Any) -> None:
    newcomer = make_user("newcomer")
    c = client_for(newcomer)
    url = reverse("residents:declare") + f"?community={community.slug}"
    page = c.get(url).content.decode()
    assert "第一网格" in page
    r = c.post(url, {"community": community.slug, "building": "", "room": ""})
    assert r.status_code == 400
    r = c.post(
        url,
        {"community": community.slug, "building": "5", "room": "101", "photo": png()},
    )
    assert r.status_code == 302
    home = c.get(reverse("residents:home")).content.decode()
    assert "5栋101" in home and "待核验" in home
