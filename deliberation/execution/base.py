"""What the execution services share: the locked project, the refusal for a wrong state and the
publication of a change on commit."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from notifications.events import project_group, publish_on_commit
from projects import services as project_services
from projects.errors import Conflict
from projects.models import (
    Project,
    State,
)

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
