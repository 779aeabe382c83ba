"""Keeping the viewflow process in step with the project, and reading task inboxes.

The orchestrator (``deliberation.actions``, the only caller) calls :func:`sync` after firing a
transition, inside the same transaction: it starts the
process when a proposal is submitted, completes the task of the step just done (recording who did
it), and the flow's ``route`` switch opens the next task for the new state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from deliberation.flows import NODE_STATE, STEPS, ProjectFlow
from deliberation.models import EvaluationRound, ProjectProcess
from notifications.services import notify
from projects.auth import role_perm
from projects.models import Community, Membership, Project, Role, State
from projects.models.membership import supervisors_of
from projects.models.places import Place, under_q

OPEN = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
STEP_NODES = [*NODE_STATE, "wait_cosign"]


def _node_name(task: Task) -> str:
    return str(task.flow_task.name) if task.flow_task is not None else ""


def process_for(project: Project) -> ProjectProcess | None:
    return (
        ProjectProcess.objects.filter(project=project)
        .exclude(status__in=[PROCESS.DONE, PROCESS.CANCELED])
        .order_by("-pk")
        .first()
    )


def open_step_tasks(process: ProjectProcess) -> list[Task]:
    tasks = Task.objects.filter(process=process, status__in=OPEN).order_by("pk")
    return [t for t in tasks if _node_name(t) in STEP_NODES]


def _complete(task: Task, by: Any) -> None:
    if _node_name(task) == "wait_cosign":
        ProjectFlow.wait_cosign.run(task)
        return
    with task.activation() as act:
        if act.task.status == STATUS.NEW:
            owner = by if by is not None else act.process.coerced.project.proposer
            act.assign(owner)
        if act.task.status == STATUS.ASSIGNED:
            act.start(None)
        act.execute()


def sync(project: Project, by: Any = None) -> None:
    """Bring the project's process in line with its state (idempotent)."""
    if (
        project.state == State.EVALUATING
        and not EvaluationRound.objects.filter(project=project, closed_at__isnull=True).exists()
    ):
        from deliberation.services import evaluation_open_round

        evaluation_open_round(project=project)
    process = process_for(project)
    if process is None:
        if project.flags.is_open and project.state != State.DRAFT:
            ProjectFlow.start.run(project=project)
            _announce_tasks(project)
        return
    wanted = (
        "wait_cosign" if project.state == State.COLLECTING else STEPS.get(project.state, ("",))[0]
    )
    changed = False
    for task in open_step_tasks(process):
        if _node_name(task) != wanted:
            _complete(task, by)
            changed = True
    if changed:
        _announce_tasks(project)


def _announce_tasks(project: Project) -> None:
    """Tell the role holders that a new task is in their inbox."""
    step = STEPS.get(project.state)
    if step is None:
        return
    _node, role, _title = step
    holders = Membership.objects.current().filter(community_id=project.community_id, role=role)
    notify(
        recipients=holders.values_list("user_id", flat=True),
        kind="task.new",
        params={"title": project.state, "project": project.title},
        project_id=project.pk,
        project_title=project.title,
        url=f"/projects/{project.pk}/",
    )


# --- timers ---------------------------------------------------------------------------------
def _host_task(task: Task) -> Task | None:
    """Walk back from a timer branch to the human task it watches."""
    current: Task | None = task
    for _i in range(6):
        if current is None:
            return None
        if current.flow_task_type == "HUMAN":
            return current
        current = current.previous.order_by("pk").first()
    return None


def remind(activation: Any) -> None:
    host = _host_task(activation.task)
    if host is None or host.status not in OPEN:
        return
    project = activation.process.coerced.project
    node = _node_name(host)
    state = NODE_STATE.get(node)
    if state is None:
        return
    _n, role, _title = STEPS[state]
    holders = Membership.objects.current().filter(community_id=project.community_id, role=role)
    recipients = (
        [host.owner_id] if host.owner_id else list(holders.values_list("user_id", flat=True))
    )
    notify(
        recipients=recipients,
        kind="task.reminder",
        params={"title": state, "project": project.title},
        project_id=project.pk,
        project_title=project.title,
        url=f"/projects/{project.pk}/",
    )


def escalate(activation: Any) -> None:
    host = _host_task(activation.task)
    if host is None or host.status not in OPEN:
        return
    project = activation.process.coerced.project
    state = NODE_STATE.get(_node_name(host))
    if state is None:
        return
    supervisors = supervisors_of(project.community)
    notify(
        recipients=supervisors.values_list("user_id", flat=True),
        kind="task.escalation",
        params={"community": project.community.name, "project": project.title, "title": state},
        project_id=project.pk,
        project_title=project.title,
        url=f"/projects/{project.pk}/",
    )


# --- inboxes --------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxItem:
    task: Task
    project: Project
    title: str
    role: str
    due_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now()


def _role_filter(user: Any) -> Q:
    ct = ContentType.objects.get_for_model(Community)
    q = Q(pk__in=[])
    for m in Membership.objects.current().filter(user_id=user.pk):
        if m.role == Role.SUPERVISOR:
            continue
        q |= Q(
            owner_permission=role_perm(m.role),
            owner_permission_content_type=ct,
            owner_permission_obj_pk=str(m.community_id),
        )
    return q


def tasks_for(user: Any) -> QuerySet[Task]:
    """Open human tasks this user may take (by role in the community) or has taken."""
    if user is None or not user.is_authenticated:
        return Task.objects.none()
    return Task.objects.filter(flow_task_type="HUMAN", status__in=OPEN).filter(
        _role_filter(user) | Q(owner_id=user.pk)
    )


def _items(tasks: QuerySet[Task]) -> list[InboxItem]:
    tasks = tasks.select_related("process").order_by("pk")
    procs = {
        p.pk: p
        for p in ProjectProcess.objects.filter(pk__in=[t.process_id for t in tasks]).select_related(
            "project", "project__community"
        )
    }
    timers = _due_dates(tasks)
    items = []
    for t in tasks:
        proc = procs.get(t.process_id)
        if proc is None:
            continue
        state = NODE_STATE.get(_node_name(t))
        if state is None:
            continue
        _n, role, title = STEPS[state]
        items.append(
            InboxItem(
                task=t, project=proc.project, title=str(title), role=role, due_at=timers.get(t.pk)
            )
        )
    return items


def _due_dates(tasks: QuerySet[Task]) -> dict[int, datetime]:
    rows = Task.objects.filter(flow_task_type="TIMER", previous__in=tasks).values_list(
        "previous", "scheduled"
    )
    return {prev: when for prev, when in rows if when is not None}


def inbox(user: Any) -> list[InboxItem]:
    return _items(tasks_for(user))


def project_tasks(project: Project) -> list[InboxItem]:
    return _items(
        Task.objects.filter(
            process__projectprocess__project=project, flow_task_type="HUMAN", status__in=OPEN
        )
    )


def overdue(*, place: Place | None = None) -> list[InboxItem]:
    """Open tasks past their due date, oldest first (for supervisors)."""
    late = Task.objects.filter(
        flow_task_type="TIMER",
        scheduled__lt=timezone.now(),
        previous__status__in=OPEN,
        previous__flow_task_type="HUMAN",
    ).values("previous")
    tasks = Task.objects.filter(pk__in=late)
    if place is not None:
        tasks = tasks.filter(under_q(place, "process__projectprocess__project__community"))
    return sorted(_items(tasks), key=lambda i: i.due_at or timezone.now())
