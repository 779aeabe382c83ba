"""What a person may do to a project now, read from the one transition table: the refusal
(403 / 409 with the transitions allowed), the actions offered with their parameters, the steps
waiting for a date or a count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.errors import Conflict, Forbidden, Invalid, YishiError
from projects.models import (
    Project,
    State,
)
from projects.models.conditions import CONDITION_AT, CONDITION_DETAIL, CONDITION_MESSAGES, Condition
from projects.models.transitions import PROPOSER, TRANSITIONS, FiredBy, Param, Rule, unmet, user_may


# --- what may be done now (read from the transition table) -----------------------------------
def _transition_meta(name: str) -> Any:
    return getattr(Project, name)._django_fsm


def transitions_from(state: str) -> list[str]:
    """Transition names whose source includes ``state`` (conditions and roles aside)."""
    return [n for n in TRANSITIONS if _transition_meta(n).has_transition(state)]


@dataclass(frozen=True)
class Action:
    """A transition the caller may fire now, with the parameters it needs."""

    rule: Rule

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def label(self) -> str:
        return str(self.rule.label)

    @property
    def params(self) -> tuple[Param, ...]:
        return self.rule.params

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "params": [p.as_dict() for p in self.params],
        }


@dataclass(frozen=True)
class Waiting:
    """A transition the caller could fire from this state once its conditions hold; ``at`` is
    when the clock alone will make it possible (``None`` if it waits on something else)."""

    rule: Rule
    reasons: tuple[str, ...]
    at: datetime | None

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def label(self) -> str:
        return str(self.rule.label)


def refusal(project: Project, user: User | None, name: str) -> YishiError | None:
    """Why ``user`` may not fire ``name`` by hand on ``project`` now (403 / 409), or ``None``
    when they may (given valid parameters). The transitions endpoint, the page forms and
    :func:`allowed_transitions` all ask this one question."""
    rule = TRANSITIONS.get(name)
    if rule is None:
        return Invalid(
            _("未知的操作：%(name)s") % {"name": name}, errors={"transition": sorted(TRANSITIONS)}
        )
    if rule.fired_by == FiredBy.SYSTEM:
        return Forbidden(_("此操作由系统自动执行"))
    if not user_may(project, user, name):
        return Forbidden(_("您没有权限执行此操作"))
    if rule.fired_by == FiredBy.ROLLCALL:
        failed = unmet(project, rule.conditions) if project.state in rule.sources else []
        if failed:  # e.g. a hearing is needed first: say that, not "use the roll-call"
            return condition_refusal(project, user, failed)
        return Conflict(
            _("党委决策须经记名表决：请发起动议并由委员表决"),
            state=project.state,
            allowed=allowed_names(project, user),
        )
    if rule.fired_by == FiredBy.MEETING:
        return Conflict(
            _("议事会的建议须经议事会会议记名表决：请召开会议，由出席成员表决"),
            state=project.state,
            allowed=allowed_names(project, user),
        )
    if rule.fired_by == FiredBy.EVALUATION:
        return Conflict(
            _("评议结果由群众评议的计票决定，评议期满后自动得出"),
            state=project.state,
            allowed=allowed_names(project, user),
        )
    if rule.fired_by == FiredBy.ACCEPTANCE:
        return Conflict(
            _("验收结果由验收人逐一签字后计数得出"),
            state=project.state,
            allowed=allowed_names(project, user),
        )
    if project.state not in rule.sources:
        return Conflict(
            _("项目当前状态为“%(state)s”，不能执行此操作") % {"state": State(project.state).label},
            state=project.state,
            allowed=allowed_names(project, user),
        )
    failed = unmet(project, rule.conditions)
    if failed:
        return condition_refusal(project, user, failed)
    return None


def condition_refusal(project: Project, user: User | None, failed: list[Condition]) -> Conflict:
    """The 409 for unmet conditions, each said with its reasons."""
    return Conflict(
        "；".join(_condition_text(project, c) for c in failed),
        state=project.state,
        allowed=allowed_names(project, user),
    )


def unmet_conditions(project: Project, name: str) -> list[Condition]:
    """The conditions of transition ``name`` that do not hold now (the roll-call asks this
    before opening a motion)."""
    return unmet(project, TRANSITIONS[name].conditions)


def _held(project: Project, user: User | None) -> frozenset[str]:
    """The roles ``user`` holds on ``project`` (``PROPOSER`` included), read once."""
    if user is None or not user.is_authenticated:
        return frozenset()
    roles = set(
        project.community.memberships.current()
        .filter(user_id=user.pk)
        .values_list("role", flat=True)
    )
    if project.proposer_id == user.pk:
        roles.add(PROPOSER)
    return frozenset(roles)


def allowed_transitions(project: Project, user: User | None) -> list[Action]:
    """Every transition ``user`` may fire by hand on ``project`` now, with its parameters: right
    state, conditions met, right role. Parameters still missing (the clerk's assessment) are
    not a reason to leave an action out: its form fills them in."""
    held = _held(project, user)
    return [
        Action(r)
        for r in TRANSITIONS.values()
        if r.by_person
        and project.state in r.sources
        and r.roles & held
        and not unmet(project, r.conditions)
    ]


def allowed_names(project: Project, user: User | None) -> list[str]:
    return [a.name for a in allowed_transitions(project, user)]


def waiting_transitions(project: Project, user: User | None) -> list[Waiting]:
    """What ``user`` could do by hand from this state once the conditions hold, and why not yet."""
    waiting = []
    held = _held(project, user)
    for rule in TRANSITIONS.values():
        if not rule.by_person or project.state not in rule.sources or not rule.roles & held:
            continue
        failed = unmet(project, rule.conditions)
        if not failed:
            continue
        at = None
        if all(c in CONDITION_AT for c in failed):
            moments = [CONDITION_AT[c](project) for c in failed]
            at = max((m for m in moments if m is not None), default=None)
        waiting.append(
            Waiting(rule, tuple(str(CONDITION_MESSAGES.get(c, c.__name__)) for c in failed), at)
        )
    return waiting


def _condition_text(project: Project, condition: Condition) -> str:
    text = str(CONDITION_MESSAGES.get(condition, condition.__name__))
    detail = CONDITION_DETAIL[condition](project) if condition in CONDITION_DETAIL else []
    if detail:
        text = _("%(reason)s（%(detail)s）") % {"reason": text, "detail": "；".join(detail)}
    when = CONDITION_AT[condition](project) if condition in CONDITION_AT else None
    if when is not None:
        text = _("%(reason)s（%(when)s 起可以办理）") % {
            "reason": text,
            "when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M"),
        }
    return text


def _unmet_conditions(project: Project, name: str) -> list[str]:
    rule = TRANSITIONS[name]
    return [_condition_text(project, c) for c in unmet(project, [*rule.conditions, *rule.checks])]
