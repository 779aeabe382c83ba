"""What every residency service shares: input cleaning, who may, the audit row, the on-commit
publish, saving a membership with its history, and a resident's membership."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from notifications.events import publish_on_commit, user_group
from projects.errors import Forbidden, Invalid
from projects.models import Community, Grid, Membership, Role
from projects.selectors import user_has_role
from residents.models import Declaration, ResidencyEvent

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
