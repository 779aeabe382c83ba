"""Staff roles (council, committee, clerk), granted and ended by the street's supervisor."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Community, Membership, Role
from projects.selectors import user_has_role
from residents.models import ResidencyEvent
from residents.services.base import STAFF_ROLES, _event, _publish, _reason, _save_membership


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
