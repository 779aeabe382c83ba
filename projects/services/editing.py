"""Creating a project, commenting on it, following it, and the clock's list of projects whose
co-signing window has run out."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.events import project_group, publish_on_commit
from projects import uploads
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Comment,
    Community,
    Project,
    ProjectEvent,
    ProjectFollower,
    ProjectPhoto,
    Role,
    State,
)
from projects.selectors import user_has_role
from projects.services.base import (
    MAX_PHOTOS,
    _validate,
)


# --- creating and editing ------------------------------------------------------------------
def project_create(
    *,
    by: User,
    community: Community,
    title: str,
    summary: str,
    location: str = "",
    category: str = Project.Category.OTHER,
    estimated_cost: Decimal | None = None,
    photos: Iterable[UploadedFile] = (),
) -> Project:
    """A resident drafts a proposal. Submitting it is a transition of its own, run by the
    orchestrator (``deliberation.actions.create`` does both)."""
    if not user_has_role(by, community, Role.RESIDENT):
        raise Forbidden(_("只有本社区登记居民可以提出提议"))
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise Invalid(
            _("最多上传 %(n)d 张照片") % {"n": MAX_PHOTOS}, errors={"photos": [_("过多")]}
        )
    cleaned = [uploads.clean_photo(photo) for photo in photos]  # re-encoded, server-named
    project = Project(
        community=community,
        proposer=by,
        title=(title or "").strip(),
        summary=(summary or "").strip(),
        location=(location or "").strip(),
        category=category,
        estimated_cost=estimated_cost,
    )
    _validate(project)
    with transaction.atomic():
        project.save()
        ProjectFollower.objects.create(project=project, user=by)
        ProjectEvent.objects.create(
            project=project, actor=by, action="create", source="", target=project.state
        )
        for photo in cleaned:
            ProjectPhoto.objects.create(project=project, image=photo, uploaded_by=by)
    return project


def project_comment(*, project: Project, by: User, body: str) -> Comment:
    body = (body or "").strip()
    if not project.flags.can_comment:
        raise Conflict(_("此状态下不能评论"), state=project.state)
    if not user_has_role(by, project.community, None):  # any role in the community
        raise Forbidden(_("只有本社区成员可以评论"))
    comment = Comment(project=project, author=by, body=body)
    try:
        comment.full_clean()
    except ValidationError as e:
        raise Invalid(
            _("评论不能为空且不超过 2000 字"), errors={"body": [str(m) for m in e.messages]}
        ) from None
    with transaction.atomic():
        comment.save()
        publish_on_commit(
            project_group(project.pk),
            {"kind": "project.comment", "project_id": project.pk, "comment_id": comment.pk},
        )
    return comment


def project_follow(*, project: Project, user: User) -> None:
    ProjectFollower.objects.get_or_create(project=project, user=user)


def project_unfollow(*, project: Project, user: User) -> None:
    """Stop hearing of the project's progress (a proposer always hears of their own)."""
    ProjectFollower.objects.filter(project=project, user=user).delete()


def projects_due_to_expire(now: Any = None) -> list[Project]:
    now = now or timezone.now()
    return list(Project.objects.filter(state=State.COLLECTING, cosign_deadline__lte=now))
