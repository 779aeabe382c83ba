"""Declarations of residence: a person declares where they live, the clerk approves or refuses."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify
from projects import uploads
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Community, Grid, Membership, Role
from projects.selectors import user_has_role
from residents.models import Declaration, ResidencyEvent
from residents.services.base import (
    _clerk_ids,
    _event,
    _forget_photo,
    _name,
    _publish,
    _reason,
    _require_clerk,
    _resident_membership,
    _text,
)


def declaration_create(
    *,
    by: Any,
    community: Community,
    grid: Grid | None,
    building: Any,
    unit: Any = "",
    room: Any,
    photo: UploadedFile | None = None,
) -> Declaration:
    """A signed-in person declares where they live. The clerks of the community are told; until
    one approves, the person holds no resident membership (cannot co-sign, object, vote or
    propose)."""
    if by is None or not by.is_authenticated:
        raise Forbidden(_("请先登录"))
    if grid is not None and grid.community_id != community.pk:
        raise Invalid(_("所选网格不属于该社区"), errors={"grid": [_("网格不对")]})
    building = _text(building, field="building")
    unit = _text(unit, field="unit", required=False)
    room = _text(room, field="room")
    cleaned = uploads.clean_photo(photo, field="photo") if photo else None
    with transaction.atomic():
        if Membership.objects.residents().filter(user_id=by.pk, community=community).exists():
            raise Conflict(_("您已是本社区登记居民"))
        if Declaration.objects.filter(
            user_id=by.pk, community=community, status=Declaration.Status.PENDING
        ).exists():
            raise Conflict(_("您已提交过申请，请等待社区核验"))
        d = Declaration(
            user=by, community=community, grid=grid, building=building, unit=unit, room=room
        )
        if cleaned is not None:
            d.photo.save(cleaned.name or "photo.jpg", cleaned, save=False)
        try:
            with transaction.atomic():
                d.save()
        except IntegrityError:
            if d.photo:
                d.photo.delete(save=False)
            raise Conflict(_("您已提交过申请，请等待社区核验")) from None
        _event(community, ResidencyEvent.Kind.DECLARED, actor=by, subject=by, declaration=d)
        clerks = _clerk_ids(community)
        notify(
            recipients=clerks,
            kind="residency.declared",
            params={"name": _name(by), "community": community.name, "address": d.address},
            actor=by,
            url=f"/residents/{community.slug}/queue/",
        )
        _publish(clerks, {"kind": "residency.declared", "declaration_id": d.pk})
    return d


def _locked_pending(declaration: Declaration) -> Declaration:
    d = Declaration.objects.select_for_update().select_related("community").get(pk=declaration.pk)
    if d.status != Declaration.Status.PENDING:
        raise Conflict(
            _("该申请已处理（%(status)s）") % {"status": d.get_status_display()},
            state=d.status,
        )
    return d


def declaration_approve(*, declaration: Declaration, by: Any, household: Any = "") -> Membership:
    """The clerk approves: the person becomes a resident of the community (grid and household;
    the household defaults to the address, so people of one flat are one household)."""
    _require_clerk(by, declaration.community)
    with transaction.atomic():
        d = _locked_pending(declaration)
        household = _text(household, field="household", required=False, max_length=60)
        m = _resident_membership(
            user=d.user,
            community=d.community,
            grid=d.grid,
            household=household or d.address,
            by=by,
        )
        _forget_photo(d)
        d.status = Declaration.Status.APPROVED
        d.decided_by, d.decided_at, d.membership = by, timezone.now(), m
        d.save()
        _event(
            d.community,
            ResidencyEvent.Kind.APPROVED,
            actor=by,
            subject=d.user,
            declaration=d,
            membership=m,
        )
        notify(
            recipients=[d.user_id],
            kind="residency.approved",
            params={"community": d.community.name},
            actor=by,
            url="/residents/",
        )
        _publish([d.user_id, *_clerk_ids(d.community)], {"kind": "residency.decided"})
    declaration.refresh_from_db()
    return m


def declaration_refuse(*, declaration: Declaration, by: Any, reason: Any) -> Declaration:
    """The clerk refuses, with a reason the person is told."""
    _require_clerk(by, declaration.community)
    reason = _reason(reason)
    with transaction.atomic():
        d = _locked_pending(declaration)
        _forget_photo(d)
        d.status = Declaration.Status.REFUSED
        d.reason, d.decided_by, d.decided_at = reason, by, timezone.now()
        d.save()
        _event(
            d.community,
            ResidencyEvent.Kind.REFUSED,
            actor=by,
            subject=d.user,
            declaration=d,
            reason=reason,
        )
        notify(
            recipients=[d.user_id],
            kind="residency.refused",
            params={"community": d.community.name, "reason": reason},
            actor=by,
            url="/residents/",
        )
        _publish([d.user_id, *_clerk_ids(d.community)], {"kind": "residency.decided"})
    declaration.refresh_from_db()
    return declaration


def photo_readable_by(user: Any, declaration: Declaration) -> bool:
    """Only the clerks of the declaration's community see its photo (and only while pending:
    it is deleted once decided)."""
    return user_has_role(user, declaration.community, Role.CLERK)
