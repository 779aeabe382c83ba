"""Resident units (驻区单位): registering one, its representatives, its committee seat and its
co-funding of projects."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Community, Membership, Role
from projects.selectors import user_has_role
from residents.models import Organisation, ResidencyEvent, UnitSeat
from residents.services.base import _event, _require_clerk, _save_membership, _text


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
