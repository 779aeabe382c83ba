"""Residency services: every change checks permission, writes the record (``ResidencyEvent``;
memberships also keep their simple-history rows), notifies and publishes on commit, in one
transaction. Views call these, never the models directly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.events import publish_on_commit, user_group
from notifications.services import notify
from projects import uploads
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Community, Grid, Membership, Role
from projects.selectors import user_has_role
from residents.models import Declaration, Organisation, RegisterEntry, ResidencyEvent, UnitSeat
from residents.phones import normalise_phone

MAX_REASON = 300
STAFF_ROLES = (Role.COUNCIL, Role.COMMITTEE, Role.CLERK)


def _text(value: Any, *, field: str, required: bool = True, max_length: int = 40) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise Invalid(_("请填写此项"), errors={field: [_("必填")]})
    if len(text) > max_length:
        raise Invalid(_("不能超过 %(n)d 个字") % {"n": max_length}, errors={field: [_("过长")]})
    return text


def _reason(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise Invalid(_("请写明原因"), errors={"reason": [_("必填")]})
    if len(text) > MAX_REASON:
        raise Invalid(_("原因不能超过 300 字"), errors={"reason": [_("过长")]})
    return text


def _require_clerk(by: Any, community: Community) -> None:
    if not user_has_role(by, community, Role.CLERK):
        raise Forbidden(_("只有本社区服务中心可以核验居民身份"))


def _clerk_ids(community: Community) -> list[int]:
    return list(
        Membership.objects.current()
        .filter(community=community, role=Role.CLERK)
        .values_list("user_id", flat=True)
    )


def _event(community: Community, kind: str, **fields: Any) -> ResidencyEvent:
    return ResidencyEvent.objects.create(community=community, kind=kind, **fields)


def _publish(user_ids: Iterable[int], event: dict[str, Any]) -> None:
    groups = [user_group(uid) for uid in sorted(set(user_ids))]
    if groups:
        publish_on_commit(groups, event)


def _save_membership(m: Membership, by: Any) -> Membership:
    m._history_user = by  # type: ignore[attr-defined]  # simple-history: who did it
    m.save()
    return m


def _name(user: Any) -> str:
    from accounts.privacy import display_name

    return display_name(user)


# --- declarations ------------------------------------------------------------------------------
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


def _forget_photo(d: Declaration) -> None:
    """The lease or certificate photo is kept only until the decision: deleted once it commits."""
    if d.photo:
        name, storage = d.photo.name, d.photo.storage
        d.photo = ""
        transaction.on_commit(lambda: storage.delete(str(name)), robust=True)


def _resident_membership(
    *, user: Any, community: Community, grid: Grid | None, household: str, by: Any
) -> Membership:
    existing = Membership.objects.residents().filter(user_id=user.pk, community=community).first()
    if existing is not None:
        return existing
    return _save_membership(
        Membership(
            user=user, role=Role.RESIDENT, community=community, grid=grid, household=household
        ),
        by,
    )


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


# --- moving out --------------------------------------------------------------------------------
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


# --- resident units (驻区单位) -------------------------------------------------------------------
def unit_create(*, by: Any, community: Community, name: Any, kind: Any) -> Organisation:
    _require_clerk(by, community)
    name = _text(name, field="name", max_length=100)
    if kind not in Organisation.Kind.values:
        raise Invalid(_("单位类型不对"), errors={"kind": [_("请选择")]})
    with transaction.atomic():
        if Organisation.objects.filter(community=community, name=name).exists():
            raise Conflict(_("本社区已有同名单位"))
        unit = Organisation.objects.create(community=community, name=name, kind=kind)
        _event(community, ResidencyEvent.Kind.UNIT_CREATED, actor=by, params={"unit": name})
    return unit


def unit_representative_add(*, by: Any, unit: Organisation, user: Any) -> None:
    _require_clerk(by, unit.community)
    unit.representatives.add(user)


def unit_seat_grant(*, by: Any, unit: Organisation, representative: Any) -> UnitSeat:
    """Give the unit a seat in the community committee (大党委): its representative holds a
    committee membership for the unit and votes in roll-calls for it. Granted by the street's
    supervisor, like every committee role."""
    if not user_has_role(by, unit.community, Role.SUPERVISOR):
        raise Forbidden(_("只有街道监督可以授予党委席位"))
    if not unit.representatives.filter(pk=representative.pk).exists():
        raise Invalid(_("此人不是该单位的代表"), errors={"user": [_("不是代表")]})
    with transaction.atomic():
        if (
            Membership.objects.current()
            .filter(user_id=representative.pk, community=unit.community, role=Role.COMMITTEE)
            .exists()
        ):
            raise Conflict(_("此人已是社区党委委员"))
        m = _save_membership(
            Membership(user=representative, role=Role.COMMITTEE, community=unit.community), by
        )
        seat = UnitSeat.objects.create(organisation=unit, membership=m)
        _event(
            unit.community,
            ResidencyEvent.Kind.SEAT_GRANTED,
            actor=by,
            subject=representative,
            membership=m,
            params={"unit": unit.name},
        )
    return seat


def unit_contribution_record(
    *, by: Any, unit: Organisation, project: Any, amount: Any, memo: Any = ""
) -> Any:
    """The unit co-funds a project: a co-funding receipt in the ledger (append-only) under the
    unit's name, which the public statement shows."""
    from projects.ledger import bookkeeping
    from projects.models.money import ContributorKind

    if project.community_id != unit.community_id:
        raise Invalid(_("项目不属于该单位所在社区"))
    return bookkeeping.cofund_receive(
        project=project,
        by=by,
        amount=amount,
        contributor=unit.name,
        contributor_kind=ContributorKind.UNIT,
        memo=memo,
    )


# --- staff roles (granted and ended by the street's supervisor) --------------------------------
def _require_supervisor(by: Any, community: Community) -> None:
    if not user_has_role(by, community, Role.SUPERVISOR):
        raise Forbidden(_("只有本街道监督可以授予或终止工作人员角色"))


def role_grant(*, by: Any, user: Any, role: Any, community: Community) -> Membership:
    _require_supervisor(by, community)
    if role not in STAFF_ROLES:
        raise Invalid(_("只能授予工作人员角色"), errors={"role": [_("请选择")]})
    if user is None:
        raise Invalid(_("找不到这个用户"), errors={"user": [_("不存在")]})
    with transaction.atomic():
        if (
            Membership.objects.current()
            .filter(user_id=user.pk, community=community, role=role)
            .exists()
        ):
            raise Conflict(_("此人已有该角色"))
        m = _save_membership(Membership(user=user, role=role, community=community), by)
        _event(
            community,
            ResidencyEvent.Kind.ROLE_GRANTED,
            actor=by,
            subject=user,
            membership=m,
            params={"role": role},
        )
        _publish([user.pk], {"kind": "role.granted", "membership_id": m.pk})
    return m


def role_end(*, by: Any, membership: Membership, reason: Any) -> Membership:
    community = membership.community
    if community is None or membership.role not in STAFF_ROLES:
        raise Invalid(_("只能终止工作人员角色"))
    _require_supervisor(by, community)
    reason = _reason(reason)
    with transaction.atomic():
        m = Membership.objects.select_for_update().get(pk=membership.pk)
        if m.ended_at is not None:
            raise Conflict(_("该角色已经结束"))
        m.ended_at, m.ended_reason = timezone.now(), reason
        _save_membership(m, by)
        _event(
            community,
            ResidencyEvent.Kind.ROLE_ENDED,
            actor=by,
            subject=m.user,
            membership=m,
            reason=reason,
            params={"role": m.role},
        )
        _publish([m.user_id], {"kind": "role.ended", "membership_id": m.pk})
    membership.refresh_from_db()
    return membership
