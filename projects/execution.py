"""Execution and acceptance, the parts the projects layer owns: opening an inspection round when
the clerk requests acceptance (called inside ``project_deliver``'s transaction), and reading a
project's schedule (planned completion, lateness, percent complete, next milestone).

The writes people make (milestones, progress posts, signing) are ``deliberation.execution``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from notifications.services import notify
from notifications.texts import Text
from projects.models import (
    AcceptanceInspection,
    AcceptanceItem,
    Membership,
    Milestone,
    ProgressPost,
    Project,
    ProjectEvent,
    Role,
    State,
)


def _inspectors(project: Project) -> tuple[list[int], list[int], int]:
    """(council member ids, representative ids kept from the last round, next round number)."""
    previous = project.inspections.order_by("-number").first()
    council = list(
        Membership.objects.filter(community_id=project.community_id, role=Role.COUNCIL)
        .values_list("user_id", flat=True)
        .distinct()
    )
    reps = list(previous.representatives.values_list("pk", flat=True)) if previous else []
    return council, reps, (previous.number + 1) if previous else 1


def inspection_note(project: Project) -> Text:
    """What the ``deliver`` row of the timeline says: the round and how many inspect."""
    council, reps, number = _inspectors(project)
    return Text("acceptance.opened", {"n": number, "count": len({*council, *reps})})


def inspection_open(*, project: Project, by: User | None) -> AcceptanceInspection:
    """A new round of 验收: the inspectors are the community's council members and the resident
    representatives the council named for this project (kept from the previous round); the
    checklist is the clerk's delivery report and each planned milestone."""
    council, reps, number = _inspectors(project)
    inspection = AcceptanceInspection.objects.create(
        project=project, number=number, requested_by=by
    )
    inspection.inspectors.set({*council, *reps})
    inspection.representatives.set(reps)
    items = [project.delivery_report[:300]] if project.delivery_report else []
    items += [m.name for m in project.milestones.all()]
    AcceptanceItem.objects.bulk_create(
        AcceptanceItem(inspection=inspection, position=i, text=text) for i, text in enumerate(items)
    )
    notify(
        recipients=[*council, *reps],
        kind="acceptance.invited",
        params={"title": project.title, "n": inspection.number},
        actor=by,
        project_id=project.pk,
        project_title=project.title,
        url=f"/projects/{project.pk}/#acceptance",
    )
    return inspection


def open_inspection(project: Project) -> AcceptanceInspection | None:
    return project.inspections.filter(closed_at__isnull=True).order_by("-number").first()


def is_inspector(inspection: AcceptanceInspection, user: object) -> bool:
    pk = getattr(user, "pk", None)
    return pk is not None and inspection.inspectors.filter(pk=pk).exists()


# --- the schedule ----------------------------------------------------------------------------
def execution_started_on(project: Project) -> date | None:
    event = (
        ProjectEvent.objects.filter(project=project, action="start_execution")
        .order_by("-pk")
        .first()
    )
    return timezone.localdate(event.created_at) if event else None


def planned_completion(project: Project) -> date | None:
    """Start of execution + the assessed duration (``None`` before execution starts), or the
    date the clerk's last revision of the milestones set (``Project.planned_end_on``)."""
    if project.planned_end_on is not None:
        return project.planned_end_on
    start = execution_started_on(project)
    if start is None or project.duration_days is None:
        return None
    return start + timedelta(days=project.duration_days)


RUNNING = (State.EXECUTING, State.ACCEPTING)


@dataclass(frozen=True)
class Schedule:
    percent: int | None  # the last progress post's
    next_milestone: Milestone | None
    planned_end: date | None
    days_late: int  # past the planned completion, while the work runs
    milestones: list[Milestone]

    @property
    def late(self) -> bool:
        return self.days_late > 0

    @property
    def late_milestones(self) -> list[Milestone]:
        return [m for m in self.milestones if m.is_late]


def schedule(project: Project) -> Schedule:
    milestones = list(project.milestones.all())
    last = ProgressPost.objects.filter(project=project).order_by("-created_at", "-pk").first()
    percent = last.percent if last else None
    if project.state in {State.EVALUATING, State.RECTIFYING, State.CLOSED, State.FAILED}:
        percent = 100 if percent is not None or milestones else percent
    upcoming = [m for m in milestones if not m.is_done]
    end = planned_completion(project)
    today = timezone.localdate()
    late = (today - end).days if end and project.state in RUNNING and today > end else 0
    return Schedule(
        percent=percent,
        next_milestone=upcoming[0] if upcoming else None,
        planned_end=end,
        days_late=max(0, late),
        milestones=milestones,
    )


def overdue_text(days: int) -> Text:
    return Text("execution.overdue", {"days": days})
