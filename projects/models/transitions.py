"""The transition table: the one place that says, per transition, who fires it, from which
states, to which, on which conditions, with which parameters; and who may fire one now."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from projects.models.membership import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from projects.models.conditions import (
    Condition,
    assessment_complete,
    cosign_threshold_met,
    cosign_window_over,
    has_approved_amount,
    hearing_held_if_needed,
    no_pending_objection,
    objection_pending,
    publicity_over,
    rectification_rounds_exhausted,
    rectification_rounds_left,
)
from projects.models.states import (
    STATE_FLAGS,
    State,
)

if TYPE_CHECKING:
    from projects.models.lifecycle import Project


# --- The transition table: the one place that says, per transition, who fires it, from where,
# to where, on what conditions, whether a person fires it or a count/the system does, and the
# parameters a person gives. The django-fsm decorators below, the services, the orchestrator
# (``deliberation.actions``), the API and the pages all read it. --------------------------------
PROPOSER = "proposer"
SYSTEM = "system"


class FiredBy(StrEnum):
    PERSON = "person"  # a person with the role, through the transitions endpoint or a page form
    ROLLCALL = "rollcall"  # the count of the committee's roll-call (decision_close)
    MEETING = "meeting"  # the recorded vote of a council meeting's agenda item (meetings.services)
    EVALUATION = "evaluation"  # the count of the evaluation ballots (evaluation_close)
    ACCEPTANCE = "acceptance"  # the count of the inspectors' signatures (acceptance_sign)
    SYSTEM = "system"  # the system itself: a threshold reached, a window expired


class ParamType(StrEnum):
    TEXT = "text"
    DECIMAL = "decimal"  # CNY, > 0, two places
    INT = "int"


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    required: bool
    label: Any
    max_length: int = 2000
    min_value: int = 1
    max_value: int = 3650
    missing: Any = None  # said when a required parameter is not given (default: 此项必填)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": str(self.type),
            "required": self.required,
            "label": str(self.label),
        }


@dataclass(frozen=True)
class Rule:
    """One row of the transition table."""

    name: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    label: Any  # what the button says and what "已完成：…" names
    fired_by: FiredBy = FiredBy.PERSON
    params: tuple[Param, ...] = ()
    # Must hold before the action is offered (or fired).
    conditions: tuple[Condition, ...] = ()
    # Met by the action's own parameters: checked once they are applied, never a reason not to
    # offer the action (the form is what fills them in).
    checks: tuple[Condition, ...] = ()
    # Where a page offers it: the generic actions card, or a card of its own.
    card: str = "actions"

    @property
    def by_person(self) -> bool:
        return self.fired_by == FiredBy.PERSON

    def fsm(self) -> dict[str, Any]:
        """The django-fsm ``@transition`` arguments for this row."""
        return {
            "source": list(self.sources),
            "target": self.target,
            "conditions": [*self.conditions, *self.checks],
            "permission": _permission(self.name),
        }


def _reason(required: bool) -> Param:
    return Param("reason", ParamType.TEXT, required, _("理由 / 说明"), missing=_("请填写理由"))


_REPORT = Param(
    "report",
    ParamType.TEXT,
    True,
    _("验收 / 整改说明"),
    max_length=5000,
    missing=_("请填写验收 / 整改说明"),
)

S = State
_WITHDRAWABLE = tuple(s.value for s in S if STATE_FLAGS[s].can_withdraw)
_COMMITTEE = frozenset({Role.COMMITTEE})
_CLERK = frozenset({Role.CLERK})

TRANSITIONS: dict[str, Rule] = {
    r.name: r
    for r in [
        Rule("submit", (S.DRAFT,), S.COLLECTING, frozenset({PROPOSER}), _("提交征集附议")),
        Rule(
            "withdraw",
            _WITHDRAWABLE,
            S.WITHDRAWN,
            frozenset({PROPOSER}),
            _("撤回"),
            params=(_reason(False),),
        ),
        Rule(
            "reach_threshold",
            (S.COLLECTING,),
            S.SCREENING,
            frozenset({SYSTEM}),
            _("附议达到门槛"),
            fired_by=FiredBy.SYSTEM,
            conditions=(cosign_threshold_met,),
            card="",
        ),
        Rule(
            "expire",
            (S.COLLECTING,),
            S.LAPSED,
            frozenset({SYSTEM}),
            _("附议期满"),
            fired_by=FiredBy.SYSTEM,
            conditions=(cosign_window_over,),
            card="",
        ),
        Rule(
            "accept", (S.SCREENING,), S.ASSESSING, _CLERK, _("初审通过"), params=(_reason(False),)
        ),
        Rule(
            "reject", (S.SCREENING,), S.REJECTED, _CLERK, _("初审不通过"), params=(_reason(True),)
        ),
        Rule(
            "assess",
            (S.ASSESSING,),
            S.DELIBERATING,
            _CLERK,
            _("完成可行性评估"),
            params=(
                Param("assessed_cost", ParamType.DECIMAL, True, _("评估成本（元）")),
                Param(
                    "plan",
                    ParamType.TEXT,
                    True,
                    _("实施方案"),
                    max_length=5000,
                    missing=_("请填写实施方案"),
                ),
                Param("duration_days", ParamType.INT, True, _("工期（天）")),
                Param(
                    "people_served",
                    ParamType.INT,
                    False,
                    _("受益人数（估计）"),
                    min_value=0,
                    max_value=10_000_000,
                ),
                _reason(False),
            ),
            checks=(assessment_complete,),
        ),
        # The council's recommendation comes from a council meeting's recorded vote on the
        # project's agenda item (``meetings.services.item_close``), never from one person's text.
        Rule(
            "recommend",
            (S.DELIBERATING,),
            S.DECIDING,
            frozenset({Role.COUNCIL}),
            _("议事会提出建议"),
            fired_by=FiredBy.MEETING,
            card="meeting",
        ),
        Rule(
            "approve",
            (S.DECIDING,),
            S.PUBLICIZING,
            _COMMITTEE,
            _("党委批准"),
            fired_by=FiredBy.ROLLCALL,
            conditions=(hearing_held_if_needed,),
            checks=(has_approved_amount,),
            card="rollcall",
        ),
        Rule(
            "decline",
            (S.DECIDING,),
            S.REJECTED,
            _COMMITTEE,
            _("党委不予批准"),
            fired_by=FiredBy.ROLLCALL,
            conditions=(hearing_held_if_needed,),
            card="rollcall",
        ),
        Rule(
            "defer",
            (S.DECIDING,),
            S.DELIBERATING,
            _COMMITTEE,
            _("暂缓，退回议事会"),
            fired_by=FiredBy.ROLLCALL,
            card="rollcall",
        ),
        # Upholding an objection resolves it (``objection_resolve``); the page offers it on the
        # objection itself.
        Rule(
            "uphold_objection",
            (S.PUBLICIZING,),
            S.DECIDING,
            _COMMITTEE,
            _("公示异议成立"),
            params=(_reason(True),),
            conditions=(objection_pending,),
            card="objections",
        ),
        Rule(
            "start_execution",
            (S.PUBLICIZING,),
            S.EXECUTING,
            _CLERK,
            _("开工实施"),
            params=(_reason(False),),
            conditions=(publicity_over, no_pending_objection),
        ),
        # The clerk asks for 验收; the inspectors' signatures decide (``accepted`` opens the
        # public evaluation, ``not_accepted`` sends the work back with the reasons).
        Rule("deliver", (S.EXECUTING,), S.ACCEPTING, _CLERK, _("申请验收"), params=(_REPORT,)),
        Rule(
            "accepted",
            (S.ACCEPTING,),
            S.EVALUATING,
            frozenset({Role.COUNCIL}),
            _("验收合格"),
            fired_by=FiredBy.ACCEPTANCE,
            card="acceptance",
        ),
        Rule(
            "not_accepted",
            (S.ACCEPTING,),
            S.EXECUTING,
            frozenset({Role.COUNCIL}),
            _("验收不合格，继续实施"),
            fired_by=FiredBy.ACCEPTANCE,
            card="acceptance",
        ),
        Rule(
            "pass_evaluation",
            (S.EVALUATING,),
            S.CLOSED,
            _CLERK,
            _("评议通过，结项"),
            fired_by=FiredBy.EVALUATION,
            card="evaluation",
        ),
        Rule(
            "fail_evaluation",
            (S.EVALUATING,),
            S.RECTIFYING,
            _CLERK,
            _("评议未通过，整改"),
            fired_by=FiredBy.EVALUATION,
            conditions=(rectification_rounds_left,),
            card="evaluation",
        ),
        Rule(
            "fail_final",
            (S.EVALUATING,),
            S.FAILED,
            _CLERK,
            _("评议最终未通过"),
            fired_by=FiredBy.EVALUATION,
            conditions=(rectification_rounds_exhausted,),
            card="evaluation",
        ),
        Rule(
            "finish_rectification",
            (S.RECTIFYING,),
            S.EVALUATING,
            _CLERK,
            _("整改完成，重新评议"),
            params=(_REPORT,),
        ),
    ]
}
# Kept for readers of the old name: who may fire each transition.
TRANSITION_ROLES: dict[str, frozenset[str]] = {n: r.roles for n, r in TRANSITIONS.items()}


def user_may(project: Project, user: AbstractBaseUser | AnonymousUser | None, name: str) -> bool:
    """Does ``user`` hold a role that may fire transition ``name`` on ``project``? (State aside.)"""
    roles = TRANSITIONS[name].roles
    if user is None or not user.is_authenticated:
        return False
    if PROPOSER in roles and project.proposer_id == user.pk:
        return True
    community_roles = roles - {PROPOSER, SYSTEM}
    if not community_roles:
        return False
    held = project.community.memberships.current()
    return held.filter(user_id=user.pk, role__in=community_roles).exists()


def _permission(name: str) -> Any:
    def check(instance: Project, user: Any) -> bool:
        return user_may(instance, user, name)

    return check


def unmet(project: Project, conditions: Iterable[Condition]) -> list[Condition]:
    return [c for c in conditions if not c(project)]
