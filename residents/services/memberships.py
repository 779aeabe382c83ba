"""A resident's membership: moving out (or ended by the clerk), and verification from the
household register."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify
from projects.errors import Conflict, Invalid
from projects.models import Membership, Role
from residents.models import Declaration, RegisterEntry, ResidencyEvent
from residents.phones import normalise_phone
from residents.services.base import (
    MAX_REASON,
    _event,
    _forget_photo,
    _publish,
    _reason,
    _require_clerk,
    _resident_membership,
    _save_membership,
)


def membership_end(*, membership: Membership, by: Any, reason: Any = "") -> Membership:
    """End a resident membership: the resident moving out (reason optional), or the clerk of the
    community (reason required). The membership and its history stay; ballots already cast stay
    counted; it makes the person eligible no more."""
    community = membership.community
    if membership.role != Role.RESIDENT or community is None:
        raise Invalid(_("这不是居民身份"))
    own = by is not None and by.is_authenticated and membership.user_id == by.pk
    if own:
        reason = str(reason or "").strip()[:MAX_REASON] or _("本人申报迁出")
    else:
        _require_clerk(by, community)
        reason = _reason(reason)
    with transaction.atomic():
        m = Membership.objects.select_for_update().get(pk=membership.pk)
        if m.ended_at is not None:
            raise Conflict(_("该居民身份已于 %(when)s 结束") % {"when": f"{m.ended_at:%Y-%m-%d}"})
        m.ended_at, m.ended_reason = timezone.now(), reason
        _save_membership(m, by)
        kind = ResidencyEvent.Kind.MOVED_OUT if own else ResidencyEvent.Kind.ENDED
        _event(community, kind, actor=by, subject=m.user, membership=m, reason=reason)
        if not own:
            notify(
                recipients=[m.user_id],
                kind="residency.ended",
                params={"community": community.name, "reason": reason},
                actor=by,
                url="/residents/",
            )
        _publish([m.user_id], {"kind": "residency.ended", "membership_id": m.pk})
    membership.refresh_from_db()
    return membership


# --- the household register --------------------------------------------------------------------
def _phone_of(user: Any) -> str | None:
    try:
        from accounts.models import Phone  # the sign-up app
    except ImportError:
        return None
    phone = Phone.objects.filter(user_id=user.pk).first()
    return str(phone.number) if phone is not None and phone.number else None


def verify_from_register(user: Any, number: str | None = None) -> list[Membership]:
    """A person who signed up with a number that is in a community's household register is a
    resident there at once (grid and household from the register). Called after sign-up, and
    for people already signed up when the register is imported. Returns the memberships made."""
    raw = number if number is not None else _phone_of(user)
    phone = normalise_phone(raw or "")
    if phone is None:
        return []
    made: list[Membership] = []
    with transaction.atomic():
        entries = RegisterEntry.objects.select_related("community", "grid").filter(phone=phone)
        for entry in entries:
            community = entry.community
            if entry.user_id != user.pk:
                entry.user = user
                entry.save(update_fields=["user", "updated_at"])
            if Membership.objects.residents().filter(user_id=user.pk, community=community).exists():
                continue
            m = _resident_membership(
                user=user, community=community, grid=entry.grid, household=entry.household, by=None
            )
            made.append(m)
            pending = Declaration.objects.filter(
                user_id=user.pk, community=community, status=Declaration.Status.PENDING
            )
            for d in pending:
                _forget_photo(d)
                d.status = Declaration.Status.APPROVED
                d.decided_at, d.membership = timezone.now(), m
                d.save()
            _event(
                community,
                ResidencyEvent.Kind.VERIFIED_BY_REGISTER,
                subject=user,
                membership=m,
                params={"household": entry.household},
            )
            notify(
                recipients=[user.pk],
                kind="residency.verified",
                params={"community": community.name},
                url="/residents/",
            )
            _publish([user.pk], {"kind": "residency.verified", "membership_id": m.pk})
    return made
