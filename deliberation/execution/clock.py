"""The clock's part (``manage.py tick``): a late milestone warns the clerk once; a project past
its planned completion escalates to the committee and the street supervisors."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from deliberation.execution.base import (
    _lock,
)
from deliberation.execution.milestones import REVISION_ACTIONS
from notifications.services import notify
from projects import execution as pe
from projects.models import (
    Membership,
    Milestone,
    Project,
    ProjectEvent,
    Role,
    State,
)
from projects.models.membership import supervisors_of


# --- the clock --------------------------------------------------------------------------------
def _warn_late(m: Milestone) -> bool:
    """Warn the community's clerks of the late milestone, unless they were warned already."""
    with transaction.atomic():
        if not Milestone.objects.filter(pk=m.pk, warned_at__isnull=True).update(
            warned_at=timezone.now()
        ):
            return False
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
        return True


def _escalate(project: Project, days: int) -> bool:
    """Escalate a project ``days`` late to the committee and street supervisors, once per plan."""
    with transaction.atomic():
        p = _lock(project)
        # once per plan: a revision of the milestones (a new planned completion) re-arms it
        revised = (
            ProjectEvent.objects.filter(project=p, action__in=REVISION_ACTIONS)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if ProjectEvent.objects.filter(project=p, action="overdue", pk__gt=revised or 0).exists():
            return False
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
        return True


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
        if _warn_late(m):
            warned += 1
    escalated = 0
    running = Project.objects.filter(
        state=State.EXECUTING, duration_days__isnull=False
    ).select_related("community")
    for project in running:
        days = pe.schedule(project).days_late
        if days > 0 and _escalate(project, days):
            escalated += 1
    return warned, escalated
