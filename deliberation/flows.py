"""The human steps between states, as a viewflow process.

The project's django-fsm state is the truth; this flow follows it. Each open state that needs a
person is a task in the inbox of a role in the project's community, with a due date
(``Community.task_due_days``). At the due date a non-interrupting timer reminds the role holders;
a day later, if the task is still open, the street supervisors are told (escalation). Timers are
fired by ``manage.py workflow_timers`` (run every minute by ``make run``).

After every transition the orchestrator (``deliberation.actions``) calls
:func:`deliberation.workflow.sync`, which completes the task of the step that was just done; the ``route`` switch then opens the task of the new state.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from deliberation.models import ProjectProcess
from projects.auth import role_perm
from projects.models import Role, State

# state -> (node name, role, title)
STEPS: dict[str, tuple[str, str, Any]] = {
    State.SCREENING: ("screen", Role.CLERK, _("初审提议")),
    State.ASSESSING: ("assess", Role.CLERK, _("可行性评估")),
    State.DELIBERATING: ("council", Role.COUNCIL, _("议事会协商并提出建议")),
    State.DECIDING: ("decide", Role.COMMITTEE, _("党委记名表决")),
    State.PUBLICIZING: ("publicity", Role.CLERK, _("公示期满后开工")),
    State.EXECUTING: ("deliver", Role.CLERK, _("组织实施并申请验收")),
    State.ACCEPTING: ("acceptance", Role.COUNCIL, _("验收：逐项查验并签字")),
    State.EVALUATING: ("evaluation", Role.CLERK, _("评议期满后结束评议")),
    State.RECTIFYING: ("rectify", Role.CLERK, _("整改后重新提交评议")),
}
NODE_STATE = {node: state for state, (node, _role, _title) in STEPS.items()}
ESCALATE_AFTER = timedelta(days=1)


def window_end(project: Any) -> Any:
    """When the waiting period the current step depends on ends, if it has one: the clerk's
    开工 task cannot be done before 公示 ends, nor the evaluation's before its round closes."""
    if project.state == State.PUBLICIZING:
        return project.publicity_ends_at
    if project.state == State.EVALUATING:
        rnd = project.evaluation_rounds.filter(closed_at__isnull=True).order_by("-number").first()
        return rnd.closes_at if rnd is not None else None
    return None


def _due(activation: Any) -> Any:
    """A task is due ``task_due_days`` after it opens, or after the window it waits on ends;
    the clerk's 实施 task is due at the planned completion (start + the assessed duration)."""
    project = activation.process.coerced.project
    if project.state == State.EXECUTING:
        from projects.execution import planned_completion

        end = planned_completion(project)
        if end is not None:
            return timezone.make_aware(datetime.combine(end, time(18, 0)))
    start = max(timezone.now(), window_end(project) or timezone.now())
    return start + timedelta(days=project.community.task_due_days)


def _community(process: Any) -> Any:
    return process.coerced.project.community


def _state_is(state: str) -> Any:
    return lambda activation: activation.process.coerced.project.state == state


def _human(state: str) -> Any:
    _node, role, title = STEPS[state]
    return (
        flow.View(None)
        .Annotation(title=title)
        .Permission(role_perm(role), obj=_community)
        .OnTimeout(_due, this.remind, interrupting=False)
        .Next(this.route)
    )


class ProjectFlow(flow.Flow):
    process_class = ProjectProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("项目流程")

    start = flow.StartHandle(this.start_process).Next(this.route)
    route = (
        flow.Switch()
        .Case(this.wait_cosign, _state_is(State.COLLECTING))
        .Case(this.screen, _state_is(State.SCREENING))
        .Case(this.assess, _state_is(State.ASSESSING))
        .Case(this.council, _state_is(State.DELIBERATING))
        .Case(this.decide, _state_is(State.DECIDING))
        .Case(this.publicity, _state_is(State.PUBLICIZING))
        .Case(this.deliver, _state_is(State.EXECUTING))
        .Case(this.acceptance, _state_is(State.ACCEPTING))
        .Case(this.evaluation, _state_is(State.EVALUATING))
        .Case(this.rectify, _state_is(State.RECTIFYING))
        .Default(this.end)
    )
    wait_cosign = flow.Handle(this.cosign_over).Annotation(title=_("征集附议")).Next(this.route)
    screen = _human(State.SCREENING)
    assess = _human(State.ASSESSING)
    council = _human(State.DELIBERATING)
    decide = _human(State.DECIDING)
    publicity = _human(State.PUBLICIZING)
    deliver = _human(State.EXECUTING)
    acceptance = _human(State.ACCEPTING)
    evaluation = _human(State.EVALUATING)
    rectify = _human(State.RECTIFYING)

    remind = flow.Function(this.send_reminder).Next(this.grace)
    grace = flow.Timer(ESCALATE_AFTER).Next(this.escalate)
    escalate = flow.Function(this.send_escalation).Next(this.reminded)
    reminded = flow.End()
    end = flow.End()

    def start_process(self, activation: Any, project: Any) -> Any:
        activation.process.project = project
        return activation.process

    def cosign_over(self, activation: Any) -> None:
        """The co-signing window is over: threshold met (screening) or lapsed."""

    def send_reminder(self, activation: Any) -> None:
        from deliberation import workflow

        workflow.remind(activation)

    def send_escalation(self, activation: Any) -> None:
        from deliberation import workflow

        workflow.escalate(activation)
