"""The heart of every write: :func:`_fire` (lock, permission, source state and conditions, the
django-fsm transition, validation, the audit row, the money, events on commit, in one
transaction), and the helpers it shares with the services."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from notifications.events import project_group, publish_on_commit, screen_group
from notifications.services import notify
from notifications.texts import Text
from projects import ledger, texts, uploads
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Project,
    ProjectEvent,
    ProjectFollower,
    State,
)
from projects.models.transitions import SYSTEM, TRANSITIONS, user_may
from projects.selectors import user_has_role
from projects.services.allowed import (
    _transition_meta,
    _unmet_conditions,
    allowed_names,
)

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = uploads.MAX_PHOTO_BYTES


def _lock(project: Project) -> Project:
    return (
        Project.objects.select_for_update()
        .select_related("community", "community__place")
        .get(pk=project.pk)
    )


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise Invalid(_("请填写理由"), errors={"reason": [_("此项必填")]})
    if len(reason) > 2000:
        raise Invalid(_("理由不能超过 2000 字"), errors={"reason": [_("过长")]})
    return reason


def parse_amount(value: Decimal | str, *, field: str = "amount") -> Decimal:
    """The ledger's amount rules (positive, at most two decimals, within bounds)."""
    return ledger.parse_amount(value, field=field)


def _validate(project: Project) -> None:
    try:
        project.full_clean(exclude=["state"])
    except ValidationError as e:
        errors = {k: [str(m) for m in v] for k, v in e.message_dict.items()}
        first = next(iter(errors.values()))[0] if errors else _("输入有误")
        raise Invalid(first, errors=errors) from None


def project_event_payload(project: Project) -> dict[str, Any]:
    return {
        "kind": "project.state",
        "project_id": project.pk,
        "title": project.title,
        "state": project.state,
        "state_label": str(State(project.state).label),
    }


def _fire(
    *,
    project: Project,
    name: str,
    by: User | None,
    reason: str = "",
    amount: Decimal | None = None,
    prepare: Callable[[Project], None] | None = None,
    after: Callable[[Project], None] | None = None,
    acting_role: str | None = None,
    note: Text | None = None,
) -> Project:
    """Fire transition ``name`` on ``project`` as ``by`` (``None`` = the system itself).

    ``acting_role`` names the body that fires the transition on behalf of another process (a
    budget ballot's result is carried by the committee): ``by`` must hold that role instead."""
    if name not in TRANSITIONS:
        raise Invalid(_("未知的操作：%(name)s") % {"name": name})
    with transaction.atomic():
        locked = _lock(project)
        _check_permission(locked, name, by, acting_role)
        source = locked.state
        meta = _transition_meta(name)
        if not meta.has_transition(source):
            raise Conflict(
                _("项目当前状态为“%(state)s”，不能执行此操作") % {"state": State(source).label},
                state=source,
                allowed=allowed_names(locked, by),
            )
        if prepare is not None:
            prepare(locked)
        failed = _unmet_conditions(locked, name)
        if failed:
            raise Conflict("；".join(failed), state=source, allowed=allowed_names(locked, by))
        try:
            getattr(locked, name)()
        except TransitionNotAllowed:  # pragma: no cover - checked above; kept as a last guard
            raise Conflict(_("当前状态不允许此操作"), state=source, allowed=[]) from None
        _validate(locked)
        locked.save()
        ProjectEvent.objects.create(
            project=locked,
            actor=by,
            action=name,
            source=source,
            target=locked.state,
            reason=reason,
            kind=note.code if note is not None else None,
            params=note.params if note is not None else None,
            amount=amount,
        )
        if after is not None:
            after(locked)
        _announce(locked, by=by, source=source)
    return locked


def _check_permission(
    project: Project, name: str, by: User | None, acting_role: str | None
) -> None:
    """May ``by`` (``None`` = the system) fire ``name`` on ``project``? Raises ``Forbidden``."""
    roles = TRANSITIONS[name].roles
    if by is None:
        if SYSTEM not in roles and acting_role is None:
            raise Forbidden(_("此操作需要由具有相应角色的用户执行"))
    elif acting_role is not None:
        if not user_has_role(by, project.community, acting_role):
            raise Forbidden(_("您没有权限执行此操作"))
    elif SYSTEM in roles or not user_may(project, by, name):
        raise Forbidden(_("您没有权限执行此操作"))


def _announce(project: Project, *, by: User | None, source: str) -> None:
    payload = project_event_payload(project) | {"source": source}
    if project.flags.public:  # both groups are open to anyone: no private draft goes out
        publish_on_commit(
            [project_group(project.pk), screen_group(project.community.slug)], payload
        )
    followers = (
        ProjectFollower.objects.filter(project=project).values_list("user_id", flat=True)
        if texts.follower_news(project.state)
        else []
    )
    notify(
        recipients=[project.proposer_id, *followers],
        kind="project.state",
        params={"title": project.title, "state": project.state},
        actor=by,
        project_id=project.pk,
        project_title=project.title,
        url=f"/projects/{project.pk}/",
    )
