"""The clerk's progress posts during execution: percent, text, photos tagged 施工前/施工中/施工后,
the contractor; on the timeline and to the project's followers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.execution.base import (
    MAX_PROGRESS_PHOTOS,
    _lock,
    _publish,
    _wrong_state,
)
from notifications.services import notify
from projects import uploads
from projects.errors import Forbidden, Invalid
from projects.models import (
    Milestone,
    ProgressPhoto,
    ProgressPost,
    ProgressStage,
    Project,
    ProjectEvent,
    ProjectFollower,
    Role,
    State,
)
from projects.selectors import user_has_role


# --- progress posts ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoInput:
    file: UploadedFile
    stage: str = ProgressStage.DURING


@dataclass
class _Cleaned:
    photos: list[tuple[Any, str]] = field(default_factory=list)


def _clean_post(body: str, percent: int) -> str:
    """The stripped text (required, 2000 characters at most); refuse a percent out of 0–100."""
    body = (body or "").strip()
    if not body:
        raise Invalid(_("请填写进展说明"), errors={"body": [_("此项必填")]})
    if len(body) > 2000:
        raise Invalid(_("进展说明不能超过 2000 字"), errors={"body": [_("过长")]})
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        raise Invalid(_("完成百分比应在 0 到 100 之间"), errors={"percent": [_("超出范围")]})
    return body


def _clean_photos(photos: Iterable[PhotoInput]) -> _Cleaned:
    """Check the number of photos and each one's stage, and clean each image."""
    photos = list(photos)
    if len(photos) > MAX_PROGRESS_PHOTOS:
        raise Invalid(
            _("最多上传 %(n)d 张照片") % {"n": MAX_PROGRESS_PHOTOS},
            errors={"photos": [_("过多")]},
        )
    cleaned = _Cleaned()
    for photo in photos:
        if photo.stage not in ProgressStage.values:
            raise Invalid(_("照片阶段无效"), errors={"stage": [_("无效")]})
        cleaned.photos.append((uploads.clean_photo(photo.file), photo.stage))
    return cleaned


def _milestone_of(p: Project, milestone: int | None) -> Milestone | None:
    """The project's milestone the post reports on (``None`` when it names none)."""
    if milestone is None:
        return None
    stone = Milestone.objects.filter(project=p, pk=milestone).first()
    if stone is None:
        raise Invalid(_("没有这个实施节点"), errors={"milestone": [_("无效")]})
    return stone


def _record_progress(
    p: Project, by: User, post: ProgressPost, stone: Milestone | None, milestone_done: bool
) -> None:
    """Mark the milestone done (if the post says so, once) and write the audit row."""
    if stone is not None and milestone_done and stone.done_on is None:
        stone.done_on = timezone.localdate()
        stone.save(update_fields=["done_on"])
    done = stone is not None and milestone_done
    ProjectEvent.objects.create(
        project=p,
        actor=by,
        action="progress",
        reason=post.body,
        kind="progress.note_done" if done else "progress.note",
        params={"percent": post.percent, "post": post.pk}
        | ({"name": stone.name} if done and stone else {}),
    )


def _notify_followers(p: Project, by: User, percent: int) -> None:
    """Tell the proposer and the project's followers of the new post."""
    followers = ProjectFollower.objects.filter(project=p).values_list("user_id", flat=True)
    notify(
        recipients=[p.proposer_id, *followers],
        kind="progress.posted",
        params={"title": p.title, "percent": percent},
        actor=by,
        project_id=p.pk,
        project_title=p.title,
        url=f"/projects/{p.pk}/#progress",
    )


def progress_post(
    *,
    project: Project,
    by: User,
    percent: int,
    body: str,
    contractor: str = "",
    milestone: int | None = None,
    milestone_done: bool = False,
    photos: Iterable[PhotoInput] = (),
) -> ProgressPost:
    """The clerk reports progress while the work runs (executing)."""
    body = _clean_post(body, percent)
    contractor = (contractor or "").strip()[:200]
    cleaned = _clean_photos(photos)
    with transaction.atomic():
        p = _lock(project)
        if not user_has_role(by, p.community, Role.CLERK):
            raise Forbidden(_("只有社区服务中心可以发布实施进展"))
        if p.state != State.EXECUTING:
            raise _wrong_state(p, by)
        stone = _milestone_of(p, milestone)
        post = ProgressPost.objects.create(
            project=p,
            author=by,
            milestone=stone,
            milestone_done=bool(stone and milestone_done),
            percent=percent,
            body=body,
            contractor=contractor,
        )
        for image, stage in cleaned.photos:
            ProgressPhoto.objects.create(post=post, image=image, stage=stage)
        _record_progress(p, by, post, stone, milestone_done)
        _notify_followers(p, by, percent)
        _publish(p.pk, "project.progress")
    return post
