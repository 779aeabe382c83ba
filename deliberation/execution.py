"""Execution everyone can follow (限时办结) and acceptance (验收): the writes people make.

- :func:`milestones_plan`: the clerk's milestones, planned at assessment (before work starts).
- :func:`progress_post`: the clerk's progress during execution (percent, text, photos tagged
  施工前/施工中/施工后, contractor), on the timeline and to the project's followers.
- :func:`acceptance_name_representatives`: the council names resident representatives.
- :func:`acceptance_sign`: one inspector's signature (pass, or fail with reasons; a check per
  checklist item with a note and a photo). The count decides once every inspector has signed:
  **accepted when more than the community's share (``Community.acceptance_passes``, by default
  one half) of the inspectors signed pass**, otherwise not accepted — the
  project goes back to execution with the fail reasons on the record, and the clerk requests
  acceptance again (a new round, same inspectors) when the work is put right.
- :func:`execution_late_due`: the clock (``manage.py tick``) warns the clerk once per late
  milestone and escalates a project past its planned completion to the committee and the
  street supervisors (notification and audit row; the clerk's 实施 task is due at the planned
  completion, so the workflow's own timers remind and escalate it too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.privacy import display_name
from deliberation import actions
from notifications.events import project_group, publish_on_commit
from notifications.services import notify
from projects import execution as pe
from projects import services as project_services
from projects import uploads
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    AcceptanceCheck,
    AcceptanceInspection,
    AcceptanceSignature,
    Membership,
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
from projects.models.places import supervisors_of
from projects.selectors import user_has_role

PLANNING_STATES = (State.ASSESSING, State.DELIBERATING, State.DECIDING, State.PUBLICIZING)
MAX_MILESTONES = 12
MAX_PROGRESS_PHOTOS = 6


def _lock(project: Project) -> Project:
    return (
        Project.objects.select_for_update()
        .select_related("community", "community__place")
        .get(pk=project.pk)
    )


def _wrong_state(p: Project, by: User | None) -> Conflict:
    return Conflict(
        _("项目当前状态为“%(state)s”，不能执行此操作") % {"state": State(p.state).label},
        state=p.state,
        allowed=project_services.allowed_names(p, by),
    )


def _publish(project_id: int, kind: str) -> None:
    publish_on_commit(project_group(project_id), {"kind": kind, "project_id": project_id})


# --- milestones -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MilestoneInput:
    name: str
    planned_date: date
    budget_share: Decimal


def milestones_plan(
    *, project: Project, by: User, milestones: Sequence[MilestoneInput]
) -> list[Milestone]:
    """Replace the planned milestones (while the project is assessed, deliberated, decided or
    in 公示: before the work starts). Shares are percentages of the budget, 100 % at most."""
    rows = [m for m in milestones if m.name.strip()]
    if len(rows) > MAX_MILESTONES:
        raise Invalid(
            _("最多 %(n)d 个节点") % {"n": MAX_MILESTONES}, errors={"milestones": [_("过多")]}
        )
    total = sum((m.budget_share for m in rows), Decimal("0"))
    if any(m.budget_share < 0 or m.budget_share > 100 for m in rows) or total > 100:
        raise Invalid(
            _("各节点预算占比合计不能超过 100%%（现为 %(total)s%%）") % {"total": total},
            errors={"budget_share": [_("合计超过 100%")]},
        )
    if any(len(m.name.strip()) > 120 for m in rows):
        raise Invalid(_("节点名称不能超过 120 字"), errors={"name": [_("过长")]})
    with transaction.atomic():
        p = _lock(project)
        if not user_has_role(by, p.community, Role.CLERK):
            raise Forbidden(_("只有社区服务中心可以编排实施节点"))
        if p.state not in PLANNING_STATES:
            raise _wrong_state(p, by)
        Milestone.objects.filter(project=p).delete()
        created = Milestone.objects.bulk_create(
            Milestone(
                project=p,
                position=i,
                name=m.name.strip(),
                planned_date=m.planned_date,
                budget_share=m.budget_share,
            )
            for i, m in enumerate(sorted(rows, key=lambda m: m.planned_date))
        )
        end = max((m.planned_date for m in rows), default=None)
        ProjectEvent.objects.create(
            project=p,
            actor=by,
            action="milestones_plan",
            kind="milestones.planned",
            params={"count": len(created), "end": end.isoformat() if end else "—"},
        )
        _publish(p.pk, "project.milestones")
    return created


@dataclass(frozen=True)
class MilestoneRevision:
    """One milestone of a revised plan: ``id`` of a milestone not yet done, or ``None`` for a
    new one. Not-done milestones left out of the revision are removed."""

    id: int | None
    name: str
    planned_date: date
    budget_share: Decimal


def _as_params(m: Milestone) -> dict[str, str]:
    return {
        "name": m.name,
        "date": m.planned_date.isoformat(),
        "share": f"{m.budget_share.normalize():f}",
    }


def milestones_revise(
    *, project: Project, by: User, milestones: Sequence[MilestoneRevision], reason: str
) -> list[Milestone]:
    """The clerk revises the plan while the work runs: change the name, planned date or share of
    milestones not yet done, add or remove not-done milestones (done ones are locked), with a
    reason. Each change is an audit row with before / after; the planned completion becomes the
    revised plan's last date, and the public page says the plan changed (when, why)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("请填写调整理由"), errors={"reason": [_("此项必填")]})
    if len(reason) > 2000:
        raise Invalid(_("理由不能超过 2000 字"), errors={"reason": [_("过长")]})
    rows = [m for m in milestones if m.name.strip()]
    if any(len(m.name.strip()) > 120 for m in rows):
        raise Invalid(_("节点名称不能超过 120 字"), errors={"name": [_("过长")]})
    if any(m.budget_share < 0 or m.budget_share > 100 for m in rows):
        raise Invalid(_("预算占比应在 0 到 100 之间"), errors={"budget_share": [_("超出范围")]})
    with transaction.atomic():
        p = _lock(project)
        if not user_has_role(by, p.community, Role.CLERK):
            raise Forbidden(_("只有社区服务中心可以调整实施节点"))
        if p.state != State.EXECUTING:
            raise _wrong_state(p, by)
        current = {m.pk: m for m in Milestone.objects.filter(project=p)}
        done = {pk: m for pk, m in current.items() if m.is_done}
        if any(m.id is not None and m.id in done for m in rows):
            raise Conflict(_("已完成的节点不能修改"), state=p.state, allowed=[])
        if any(m.id is not None and m.id not in current for m in rows):
            raise Invalid(_("没有这个实施节点"), errors={"milestone": [_("无效")]})
        if len({m.id for m in rows if m.id is not None}) != len([m for m in rows if m.id]):
            raise Invalid(_("同一节点出现了两次"), errors={"milestone": [_("重复")]})
        if len(done) + len(rows) > MAX_MILESTONES:
            raise Invalid(
                _("最多 %(n)d 个节点") % {"n": MAX_MILESTONES}, errors={"milestones": [_("过多")]}
            )
        total = sum((m.budget_share for m in done.values()), Decimal("0")) + sum(
            (m.budget_share for m in rows), Decimal("0")
        )
        if total > 100:
            raise Invalid(
                _("各节点预算占比合计不能超过 100%%（现为 %(total)s%%）") % {"total": total},
                errors={"budget_share": [_("合计超过 100%")]},
            )
        changes: list[tuple[str, dict[str, str] | None, dict[str, str] | None]] = []
        kept = {m.id for m in rows if m.id is not None}
        for pk, stone in current.items():
            if pk not in done and pk not in kept:
                changes.append(("remove", _as_params(stone), None))
                stone.delete()
        for row in rows:
            if row.id is None:
                stone = Milestone.objects.create(
                    project=p,
                    name=row.name.strip(),
                    planned_date=row.planned_date,
                    budget_share=row.budget_share,
                )
                changes.append(("add", None, _as_params(stone)))
                continue
            stone = current[row.id]
            before = _as_params(stone)
            if stone.planned_date != row.planned_date:
                stone.warned_at = None  # the clock warns again if the new date passes
            stone.name, stone.planned_date = row.name.strip(), row.planned_date
            stone.budget_share = row.budget_share
            after = _as_params(stone)
            if after != before:
                stone.save(update_fields=["name", "planned_date", "budget_share", "warned_at"])
                changes.append(("change", before, after))
        if not changes:
            raise Invalid(_("实施计划没有变化"), errors={"milestones": [_("没有变化")]})
        remaining = list(Milestone.objects.filter(project=p).order_by("planned_date", "pk"))
        for i, stone in enumerate(remaining):
            if stone.position != i:
                stone.position = i
                stone.save(update_fields=["position"])
        end_before = pe.planned_completion(p)
        p.planned_end_on = max((m.planned_date for m in remaining), default=None)
        p.save(update_fields=["planned_end_on", "updated_at"])
        end_after = pe.planned_completion(p)
        for op, before_row, after_row in changes:
            ProjectEvent.objects.create(
                project=p,
                actor=by,
                action=f"milestone_{op}",
                reason=reason,
                kind=f"milestones.{op}",
                params={
                    "before": before_row,
                    "after": after_row,
                    "end_before": end_before.isoformat() if end_before else "—",
                    "end": end_after.isoformat() if end_after else "—",
                },
            )
        _publish(p.pk, "project.milestones")
    return remaining


REVISION_ACTIONS = ("milestone_add", "milestone_change", "milestone_remove")


def parse_revision(data: Any) -> tuple[list[MilestoneRevision], str]:
    """The revision form: per row ``id_<i>`` (empty for a new one), ``name_<i>``, ``date_<i>``,
    ``share_<i>`` and ``remove_<i>``; and ``reason``. A bad row is a 400 naming it."""
    raw: list[dict[str, Any]] = []
    ids: list[int | None] = []
    for i in range(MAX_MILESTONES):
        name = (data.get(f"name_{i}") or "").strip()
        raw_id = (data.get(f"id_{i}") or "").strip()
        if not name or data.get(f"remove_{i}"):
            continue
        if raw_id and not raw_id.isdigit():
            raise Invalid(_("没有这个实施节点"), errors={"milestone": [raw_id]})
        ids.append(int(raw_id) if raw_id else None)
        raw.append(
            {
                "name": name,
                "planned_date": data.get(f"date_{i}", ""),
                "budget_share": data.get(f"share_{i}", "") or "0",
            }
        )
    out = [
        MilestoneRevision(
            id=pk, name=m.name, planned_date=m.planned_date, budget_share=m.budget_share
        )
        for pk, m in zip(ids, parse_milestones(raw), strict=True)
    ]
    return out, str(data.get("reason") or "")


def parse_milestones(data: Any) -> list[MilestoneInput]:
    """Rows from a page form (``name_<i>``, ``date_<i>``, ``share_<i>``) or the API (a list of
    ``{name, planned_date, budget_share}``); a bad row is a 400 naming it."""
    rows: list[dict[str, Any]]
    if isinstance(data, list):
        rows = data
    else:
        rows = [
            {
                "name": data.get(f"name_{i}", ""),
                "planned_date": data.get(f"date_{i}", ""),
                "budget_share": data.get(f"share_{i}", "") or "0",
            }
            for i in range(MAX_MILESTONES)
            if (data.get(f"name_{i}") or "").strip()
        ]
    out = []
    for n, row in enumerate(rows, start=1):
        name = str(row.get("name") or "").strip()
        if not name:
            continue
        try:
            when = date.fromisoformat(str(row.get("planned_date") or ""))
        except ValueError:
            raise Invalid(
                _("第 %(n)d 个节点的计划日期无效") % {"n": n}, errors={"planned_date": [str(n)]}
            ) from None
        try:
            share = Decimal(str(row.get("budget_share") or "0")).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise Invalid(
                _("第 %(n)d 个节点的预算占比无效") % {"n": n}, errors={"budget_share": [str(n)]}
            ) from None
        if not share.is_finite():
            raise Invalid(_("第 %(n)d 个节点的预算占比无效") % {"n": n})
        out.append(MilestoneInput(name=name, planned_date=when, budget_share=share))
    return out


# --- progress posts ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoInput:
    file: UploadedFile
    stage: str = ProgressStage.DURING


@dataclass
class _Cleaned:
    photos: list[tuple[Any, str]] = field(default_factory=list)


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
    body = (body or "").strip()
    if not body:
        raise Invalid(_("请填写进展说明"), errors={"body": [_("此项必填")]})
    if len(body) > 2000:
        raise Invalid(_("进展说明不能超过 2000 字"), errors={"body": [_("过长")]})
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        raise Invalid(_("完成百分比应在 0 到 100 之间"), errors={"percent": [_("超出范围")]})
    contractor = (contractor or "").strip()[:200]
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
    with transaction.atomic():
        p = _lock(project)
        if not user_has_role(by, p.community, Role.CLERK):
            raise Forbidden(_("只有社区服务中心可以发布实施进展"))
        if p.state != State.EXECUTING:
            raise _wrong_state(p, by)
        stone = None
        if milestone is not None:
            stone = Milestone.objects.filter(project=p, pk=milestone).first()
            if stone is None:
                raise Invalid(_("没有这个实施节点"), errors={"milestone": [_("无效")]})
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
        if stone is not None and milestone_done and stone.done_on is None:
            stone.done_on = timezone.localdate()
            stone.save(update_fields=["done_on"])
        done = stone is not None and milestone_done
        ProjectEvent.objects.create(
            project=p,
            actor=by,
            action="progress",
            reason=body,
            kind="progress.note_done" if done else "progress.note",
            params={"percent": percent, "post": post.pk}
            | ({"name": stone.name} if done and stone else {}),
        )
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
        _publish(p.pk, "project.progress")
    return post


# --- acceptance (验收) ------------------------------------------------------------------------
def _open_inspection_locked(p: Project, by: User | None) -> AcceptanceInspection:
    inspection = pe.open_inspection(p)
    if p.state != State.ACCEPTING or inspection is None:
        raise _wrong_state(p, by)
    return AcceptanceInspection.objects.select_for_update().get(pk=inspection.pk)


def acceptance_name_representatives(
    *, project: Project, by: User, users: Iterable[User]
) -> AcceptanceInspection:
    """A council member names resident representatives as inspectors of the open round."""
    users = list(users)
    with transaction.atomic():
        p = _lock(project)
        if not user_has_role(by, p.community, Role.COUNCIL):
            raise Forbidden(_("只有议事会成员可以指定居民代表"))
        inspection = _open_inspection_locked(p, by)
        if inspection.signatures.exists():
            raise Conflict(_("已有验收人签字，不能再增加验收人"), state=p.state, allowed=[])
        residents = set(
            Membership.objects.residents()
            .filter(community_id=p.community_id, user__in=users)
            .values_list("user_id", flat=True)
        )
        if not users or len(residents) != len({u.pk for u in users}):
            raise Invalid(_("居民代表须是本社区登记居民"), errors={"representatives": [_("无效")]})
        inspection.representatives.add(*residents)
        inspection.inspectors.add(*residents)
        names = "、".join(sorted(display_name(u) for u in users))
        ProjectEvent.objects.create(
            project=p,
            actor=by,
            action="acceptance_representatives",
            kind="acceptance.representatives",
            params={"names": names},
        )
        notify(
            recipients=residents,
            kind="acceptance.invited",
            params={"title": p.title, "n": inspection.number},
            actor=by,
            project_id=p.pk,
            project_title=p.title,
            url=f"/projects/{p.pk}/#acceptance",
        )
        _publish(p.pk, "project.acceptance")
    return inspection


@dataclass(frozen=True)
class CheckInput:
    item: int  # AcceptanceItem pk
    passed: bool
    note: str = ""
    photo: UploadedFile | None = None


def acceptance_sign(
    *,
    project: Project,
    by: User,
    passed: bool,
    reasons: str = "",
    checks: Iterable[CheckInput] = (),
) -> AcceptanceSignature:
    """One inspector signs the open round (once). When every inspector has signed, the count
    fires ``accepted`` (more than the community's share passed) or ``not_accepted``."""
    reasons = (reasons or "").strip()
    if len(reasons) > 2000:
        raise Invalid(_("理由不能超过 2000 字"), errors={"reasons": [_("过长")]})
    checks = list(checks)
    if passed and any(not c.passed for c in checks):
        raise Invalid(
            _("有查验项不合格，不能签字验收合格"),
            errors={"checks": [_("有查验项不合格，请签字验收不合格并写明理由")]},
        )
    if not passed and not reasons:
        failed_notes = [c.note.strip() for c in checks if not c.passed and c.note.strip()]
        reasons = "；".join(failed_notes)
        if not reasons:
            raise Invalid(_("验收不合格须写明理由"), errors={"reasons": [_("此项必填")]})
    photos = {
        c.item: uploads.clean_photo(c.photo, field="photo") for c in checks if c.photo is not None
    }
    with transaction.atomic():
        p = _lock(project)
        inspection = _open_inspection_locked(p, by)
        if not pe.is_inspector(inspection, by):
            raise Forbidden(_("只有本轮验收人可以签字"))
        if inspection.signatures.filter(inspector=by).exists():
            raise Conflict(_("您已在本轮验收签字"), state=p.state, allowed=[])
        items = {i.pk: i for i in inspection.items.all()}
        given = {c.item: c for c in checks}
        if set(given) - set(items):
            raise Invalid(_("查验项无效"), errors={"checks": [_("无效")]})
        signature = AcceptanceSignature.objects.create(
            inspection=inspection, inspector=by, passed=passed, reasons=reasons
        )
        for pk, item in items.items():
            AcceptanceCheck.objects.create(
                signature=signature,
                item=item,
                passed=given[pk].passed if pk in given else passed,
                note=(given[pk].note.strip()[:500] if pk in given else ""),
                photo=photos.get(pk),
            )
        ProjectEvent.objects.create(
            project=p,
            actor=by,
            action="acceptance_sign",
            reason=reasons,
            kind="acceptance.signed_pass" if passed else "acceptance.signed_fail",
            params={"n": inspection.number},
        )
        _publish(p.pk, "project.acceptance")
        _count_if_complete(p, inspection)
    return signature


def acceptance_tally(inspection: AcceptanceInspection) -> tuple[int, int, int]:
    """(passed, failed, inspectors)."""
    signatures = list(inspection.signatures.values_list("passed", flat=True))
    total = inspection.inspectors.count()
    yes = sum(1 for s in signatures if s)
    return yes, len(signatures) - yes, total


def _count_if_complete(p: Project, inspection: AcceptanceInspection) -> None:
    yes, no, total = acceptance_tally(inspection)
    if yes + no < total:
        return
    accepted = p.community.acceptance_passes(yes, total)
    inspection.closed_at, inspection.accepted = timezone.now(), accepted
    inspection.save(update_fields=["closed_at", "accepted"])
    from notifications.texts import Text

    note = Text("acceptance.tally", {"n": inspection.number, "yes": yes, "no": no, "total": total})
    fails = inspection.signatures.filter(passed=False).exclude(reasons="").order_by("pk")
    reason = "\n".join(s.reasons for s in fails)
    actions.fire(
        project=p,
        name="accepted" if accepted else "not_accepted",
        by=None,
        note=note,
        reason="" if accepted else reason,
    )


# --- the clock --------------------------------------------------------------------------------
def execution_late_due(today: date | None = None) -> tuple[int, int]:
    """Warn the clerk once per milestone past its date undone; escalate once each project past
    its planned completion (committee + street supervisors). ``(warned, escalated)``."""
    today = today or timezone.localdate()
    warned = 0
    late = Milestone.objects.filter(
        project__state=State.EXECUTING,
        planned_date__lt=today,
        done_on__isnull=True,
        warned_at__isnull=True,
    ).select_related("project")
    for m in late:
        with transaction.atomic():
            if Milestone.objects.filter(pk=m.pk, warned_at__isnull=True).update(
                warned_at=timezone.now()
            ):
                clerks = Membership.objects.filter(
                    community_id=m.project.community_id, role=Role.CLERK
                ).values_list("user_id", flat=True)
                notify(
                    recipients=clerks,
                    kind="milestone.late",
                    params={
                        "title": m.project.title,
                        "name": m.name,
                        "date": m.planned_date.isoformat(),
                    },
                    project_id=m.project_id,
                    project_title=m.project.title,
                    url=f"/projects/{m.project_id}/#progress",
                )
                warned += 1
    escalated = 0
    running = Project.objects.filter(
        state=State.EXECUTING, duration_days__isnull=False
    ).select_related("community")
    for project in running:
        days = pe.schedule(project).days_late
        if days <= 0:
            continue
        with transaction.atomic():
            p = _lock(project)
            # once per plan: a revision of the milestones (a new planned completion) re-arms it
            revised = (
                ProjectEvent.objects.filter(project=p, action__in=REVISION_ACTIONS)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            if ProjectEvent.objects.filter(
                project=p, action="overdue", pk__gt=revised or 0
            ).exists():
                continue
            ProjectEvent.objects.create(
                project=p,
                action="overdue",
                kind="execution.overdue",
                params={"days": days},
            )
            recipients = [
                *Membership.objects.filter(
                    community_id=p.community_id, role=Role.COMMITTEE
                ).values_list("user_id", flat=True),
                *supervisors_of(p.community).values_list("user_id", flat=True),
            ]
            notify(
                recipients=recipients,
                kind="project.overdue",
                params={"title": p.title, "days": days},
                project_id=p.pk,
                project_title=p.title,
                url=f"/projects/{p.pk}/",
            )
            escalated += 1
    return warned, escalated
