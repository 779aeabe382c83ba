"""Co-signing (附议) and 公示 objections: a resident's co-sign (reaching the threshold moves the
project on), the window's expiry, an objection filed and resolved."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import actions
from deliberation.models import (
    CoSign,
    Objection,
)
from deliberation.services.base import (
    _lock,
)
from notifications.events import project_group, publish_on_commit
from notifications.services import notify
from projects import services as project_services
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Membership, Project, Role, State
from projects.selectors import user_has_role


# --- co-signing (附议) ---------------------------------------------------------------------------
def cosign_add(*, project: Project, by: User) -> CoSign:
    """A registered resident co-signs; the co-signer who meets the threshold moves it on."""
    with transaction.atomic():
        p = _lock(project)
        if not p.flags.can_cosign:
            raise Conflict(
                _("项目当前状态为“%(state)s”，不能附议") % {"state": State(p.state).label},
                state=p.state,
                allowed=project_services.allowed_names(p, by),
            )
        if not user_has_role(by, p.community, Role.RESIDENT):
            raise Forbidden(_("只有本社区登记居民可以附议"))
        if p.proposer_id == by.pk:
            raise Invalid(_("提议人不能附议自己的提议"))
        if p.cosign_deadline is not None and timezone.now() >= p.cosign_deadline:
            raise Conflict(_("附议期已结束"), state=p.state)
        try:
            with transaction.atomic():
                cosign = CoSign.objects.create(project=p, user=by)
        except IntegrityError:
            raise Invalid(_("您已经附议过该提议")) from None
        p.cosign_count = CoSign.objects.filter(project=p).count()
        p.save(update_fields=["cosign_count", "updated_at"])
        project_services.project_follow(project=p, user=by)
        publish_on_commit(
            project_group(p.pk),
            {"kind": "project.cosign", "project_id": p.pk, "cosign_count": p.cosign_count},
        )
        if p.cosign_count >= p.community.cosign_threshold:
            p = actions.fire(project=p, name="reach_threshold", by=None)
    return cosign


def cosign_expire_due() -> int:
    """Lapse every proposal whose co-signing window ended below the threshold."""
    n = 0
    for p in project_services.projects_due_to_expire():
        try:
            actions.fire(project=p, name="expire", by=None)
            n += 1
        except Conflict:
            continue
    return n


# --- 公示 objections ---------------------------------------------------------------------------
def objection_file(*, project: Project, by: User, body: str) -> Objection:
    body = (body or "").strip()
    if not body:
        raise Invalid(_("请填写异议内容"), errors={"body": [_("此项必填")]})
    limit = Objection._meta.get_field("body").max_length or 0
    if len(body) > limit:
        raise Invalid(_("异议内容不能超过 %(n)s 字") % {"n": limit}, errors={"body": [_("过长")]})
    with transaction.atomic():
        p = _lock(project)
        if not p.flags.can_object:
            raise Conflict(_("只有公示期间可以提出异议"), state=p.state)
        if not user_has_role(by, p.community, Role.RESIDENT):
            raise Forbidden(_("只有本社区登记居民可以提出异议"))
        objection = Objection.objects.create(project=p, author=by, body=body)
        p.has_pending_objection = True
        p.save(update_fields=["has_pending_objection", "updated_at"])
        committee = Membership.objects.current().filter(community=p.community, role=Role.COMMITTEE)
        notify(
            recipients=committee.values_list("user_id", flat=True),
            kind="objection",
            params={"title": p.title},
            actor=by,
            project_id=p.pk,
            project_title=p.title,
            url=f"/projects/{p.pk}/",
        )
    return objection


def objection_resolve(
    *, objection: Objection, by: User, uphold: bool, resolution: str
) -> Objection:
    resolution = (resolution or "").strip()
    if not resolution:
        raise Invalid(_("请填写处理意见"), errors={"resolution": [_("此项必填")]})
    with transaction.atomic():
        p = _lock(objection.project)
        if not user_has_role(by, p.community, Role.COMMITTEE):
            raise Forbidden(_("只有社区党委委员可以处理异议"))
        obj = Objection.objects.select_for_update().get(pk=objection.pk)
        if obj.status != Objection.Status.PENDING:
            raise Conflict(_("该异议已处理"), state=p.state)
        obj.status = Objection.Status.UPHELD if uphold else Objection.Status.DISMISSED
        obj.resolution, obj.resolved_by, obj.resolved_at = resolution, by, timezone.now()
        obj.save()
        if uphold:
            Objection.objects.filter(project=p, status=Objection.Status.PENDING).update(
                status=Objection.Status.UPHELD,
                resolution=resolution,
                resolved_by=by,
                resolved_at=timezone.now(),
            )
            p = actions.fire(project=p, name="uphold_objection", by=by, reason=resolution)
        else:
            pending = Objection.objects.filter(project=p, status=Objection.Status.PENDING).exists()
            p.has_pending_objection = pending
            p.save(update_fields=["has_pending_objection", "updated_at"])
    return obj
