"""The project lifecycle: one ``Project`` row from proposal to closure, its state a django-fsm field.

Transitions are declared once, here, in the table ``TRANSITIONS`` (sources, target, who fires them,
conditions, parameters); the django-fsm methods take their arguments from it.
Services (``projects.services``) are the only callers: they check the permission, fire the
transition, save, write the ``ProjectEvent`` audit row and publish on commit, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from projects import uploads
from projects.models.places import Community, Role
from projects.validators import VisibleText

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

MAX_AMOUNT = Decimal("999999999999.99")  # Decimal(14, 2)


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    COLLECTING = "collecting", _("附议中")
    SCREENING = "screening", _("初审")
    ASSESSING = "assessing", _("可行性评估")
    DELIBERATING = "deliberating", _("议事会协商")
    DECIDING = "deciding", _("党委决策")
    PUBLICIZING = "publicizing", _("公示中")
    EXECUTING = "executing", _("实施中")
    ACCEPTING = "accepting", _("验收中")
    EVALUATING = "evaluating", _("群众评议")
    RECTIFYING = "rectifying", _("整改中")
    CLOSED = "closed", _("已结项")
    LAPSED = "lapsed", _("附议未达")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    FAILED = "failed", _("评议未通过")


@dataclass(frozen=True)
class StateFlags:
    """What each state allows: data next to the states, not ``if state == ...`` everywhere."""

    is_open: bool = True  # the story goes on
    public: bool = True  # readable without logging in
    can_edit: bool = False  # the proposer may edit title/summary/photos
    can_cosign: bool = False
    can_withdraw: bool = False
    can_comment: bool = True
    can_object: bool = False  # residents may file an objection (公示)
    can_evaluate: bool = False
    has_money: bool = False  # an allocation stands


STATE_FLAGS: dict[str, StateFlags] = {
    State.DRAFT: StateFlags(public=False, can_edit=True, can_withdraw=True, can_comment=False),
    State.COLLECTING: StateFlags(can_cosign=True, can_withdraw=True),
    State.SCREENING: StateFlags(can_withdraw=True),
    State.ASSESSING: StateFlags(can_withdraw=True),
    State.DELIBERATING: StateFlags(can_withdraw=True),
    State.DECIDING: StateFlags(),
    State.PUBLICIZING: StateFlags(can_object=True, has_money=True),
    State.EXECUTING: StateFlags(has_money=True),
    State.ACCEPTING: StateFlags(has_money=True),
    State.EVALUATING: StateFlags(can_evaluate=True, has_money=True),
    State.RECTIFYING: StateFlags(has_money=True),
    State.CLOSED: StateFlags(is_open=False, has_money=True),
    State.LAPSED: StateFlags(is_open=False, can_comment=False),
    State.REJECTED: StateFlags(is_open=False, can_comment=False),
    State.WITHDRAWN: StateFlags(is_open=False, public=False, can_comment=False),
    State.FAILED: StateFlags(is_open=False, has_money=True),
}
OPEN_STATES = [s for s, f in STATE_FLAGS.items() if f.is_open]
WITHDRAWABLE = [s for s, f in STATE_FLAGS.items() if f.can_withdraw]


# --- Conditions (guards). Each reads only the project and rows it owns. ------------------------
def cosign_threshold_met(p: Any) -> bool:
    return p.cosign_count >= p.community.cosign_threshold


def cosign_window_over(p: Any) -> bool:
    return p.cosign_deadline is not None and timezone.now() >= p.cosign_deadline


def assessment_complete(p: Any) -> bool:
    return p.assessed_cost is not None and bool(p.plan.strip()) and p.duration_days is not None


def publicity_over(p: Any) -> bool:
    return p.publicity_ends_at is not None and timezone.now() >= p.publicity_ends_at


def no_pending_objection(p: Any) -> bool:
    return not p.has_pending_objection


def objection_pending(p: Any) -> bool:
    return p.has_pending_objection


def has_approved_amount(p: Any) -> bool:
    return p.approved_amount is not None and p.approved_amount > 0


def rectification_rounds_left(p: Any) -> bool:
    return p.rectification_count < p.community.max_rectification_rounds


def rectification_rounds_exhausted(p: Any) -> bool:
    return not rectification_rounds_left(p)


# --- 听证会: required before the committee's decision (approve / decline) when the project's
# amount is over the community's ``hearing_amount``, or when an objection to it was upheld. The
# one rule, read by the transition table (so refusals and ``allowed_transitions`` agree), the
# roll-call (which will not open an approve / decline motion) and the project page.
def hearing_amount_of(p: Any) -> Decimal | None:
    """The amount a hearing is judged on: the assessed cost, else the resident's estimate."""
    return p.assessed_cost if p.assessed_cost is not None else p.estimated_cost


def hearing_over_amount(p: Any) -> bool:
    limit = p.community.hearing_amount
    amount = hearing_amount_of(p)
    return limit is not None and amount is not None and amount > limit


def hearing_needed(p: Any) -> bool:
    """Is a hearing required at all (whether or not one was held)?"""
    return hearing_over_amount(p) or p.objection_upheld_at is not None


def hearing_held_if_needed(p: Any) -> bool:
    """No hearing needed, or one was held (minutes published) — after the last upheld
    objection, when there is one."""
    if not hearing_needed(p):
        return True
    held = p.hearing_held_at
    if held is None:
        return False
    return p.objection_upheld_at is None or held >= p.objection_upheld_at


def hearing_reasons(p: Any) -> list[str]:
    """Why a hearing is required, in the active language (empty when it is not)."""
    from projects.templatetags.ui import cny

    out = []
    if hearing_over_amount(p):
        out.append(
            str(_("金额 %(amount)s 超过社区设定的 %(limit)s"))
            % {"amount": cny(hearing_amount_of(p)), "limit": cny(p.community.hearing_amount)}
        )
    if p.objection_upheld_at is not None:
        out.append(str(_("公示异议成立")))
    return out


Condition = Callable[[Any], bool]

CONDITION_MESSAGES: dict[Condition, Any] = {
    cosign_threshold_met: _("附议人数尚未达到门槛"),
    cosign_window_over: _("附议期尚未结束"),
    assessment_complete: _("需要先填写成本估算、实施方案和工期"),
    publicity_over: _("公示期尚未结束"),
    no_pending_objection: _("有待处理的异议"),
    objection_pending: _("没有待处理的异议"),
    has_approved_amount: _("需要批准金额"),
    rectification_rounds_left: _("整改轮数已用完"),
    rectification_rounds_exhausted: _("仍可整改"),
    hearing_held_if_needed: _("需先召开听证会"),
}
# Conditions whose message names the project's own figures (said after the message).
CONDITION_DETAIL: dict[Condition, Callable[[Any], list[str]]] = {
    hearing_held_if_needed: hearing_reasons,
}
# Conditions that the clock alone will meet, and when: an action waiting only on these is shown
# with the moment it becomes possible ("开工实施 after 公示 ends on ...").
CONDITION_AT: dict[Condition, Callable[[Any], datetime | None]] = {
    cosign_window_over: lambda p: p.cosign_deadline,
    publicity_over: lambda p: p.publicity_ends_at,
}


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


class ProjectQuerySet(models.QuerySet["Project"]):
    def public(self) -> ProjectQuerySet:
        return self.filter(state__in=[s for s, f in STATE_FLAGS.items() if f.public])


class Project(FSMModelMixin, models.Model):
    class Category(models.TextChoices):
        LIGHTING = "lighting", _("照明")
        ROADS = "roads", _("道路")
        ELDERLY = "elderly", _("养老助餐")
        FITNESS = "fitness", _("健身文体")
        DRAINAGE = "drainage", _("排水")
        GREENING = "greening", _("绿化环境")
        SAFETY = "safety", _("安全")
        CHILDREN = "children", _("儿童青少年")
        OTHER = "other", _("其他")

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="projects")
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposed_projects"
    )
    title = models.CharField(
        _("标题"), max_length=120, validators=[MinLengthValidator(4), VisibleText(4)]
    )
    summary = models.TextField(
        _("内容"), max_length=5000, validators=[MinLengthValidator(10), VisibleText(1)]
    )
    location = models.CharField(_("地点"), max_length=200, blank=True, validators=[VisibleText(0)])
    category = models.CharField(
        _("类别"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    estimated_cost = models.DecimalField(
        _("居民估算费用"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)],
    )
    state = FSMField(
        _("状态"), default=State.DRAFT, choices=State.choices, protected=True, db_index=True
    )

    # co-signing
    cosign_count = models.PositiveIntegerField(_("附议人数"), default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    cosign_deadline = models.DateTimeField(null=True, blank=True)
    # assessment (可行性评估)
    assessed_cost = models.DecimalField(
        _("评估成本"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)],
    )
    plan = models.TextField(_("实施方案"), max_length=5000, blank=True)
    duration_days = models.PositiveIntegerField(
        _("工期(天)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    people_served = models.PositiveIntegerField(
        _("受益人数（估计）"), null=True, blank=True, validators=[MaxValueValidator(10_000_000)]
    )
    # decision and 公示
    approved_amount = models.DecimalField(
        _("批准金额"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)],
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    publicity_ends_at = models.DateTimeField(null=True, blank=True)
    has_pending_objection = models.BooleanField(default=False)
    # 听证会 (``hearing_held_if_needed``): when an objection was last upheld, and when a hearing
    # with the project on its agenda last had its minutes published
    objection_upheld_at = models.DateTimeField(_("异议成立时间"), null=True, blank=True)
    hearing_held_at = models.DateTimeField(_("听证会召开时间"), null=True, blank=True)
    # execution and evaluation
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="executed_projects",
    )
    # the planned completion once the clerk revised the milestones during execution (else the
    # start of execution + ``duration_days``)
    planned_end_on = models.DateField(_("调整后的计划完工日期"), null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_report = models.TextField(_("验收说明"), max_length=5000, blank=True)
    rectification_count = models.PositiveIntegerField(_("整改轮次"), default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = models.TextField(_("结论说明"), max_length=2000, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords()  # every change, from any interface, with who and when

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "state"]),
            # the project list's order: its first page without sorting every project
            models.Index(fields=["-updated_at", "-id"], name="project_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approved_amount__isnull=True) | models.Q(approved_amount__gt=0),
                name="project_approved_amount_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(assessed_cost__isnull=True) | models.Q(assessed_cost__gt=0),
                name="project_assessed_cost_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def flags(self) -> StateFlags:
        return STATE_FLAGS[self.state]

    # --- transitions: declared once; fired only from projects.services ------------------------
    @transition(field=state, **TRANSITIONS["submit"].fsm())
    def submit(self) -> None:
        now = timezone.now()
        self.submitted_at = now
        self.cosign_deadline = now + timedelta(days=self.community.cosign_window_days)

    @transition(field=state, **TRANSITIONS["withdraw"].fsm())
    def withdraw(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=state, **TRANSITIONS["reach_threshold"].fsm())
    def reach_threshold(self) -> None:
        pass

    @transition(field=state, **TRANSITIONS["expire"].fsm())
    def expire(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=state, **TRANSITIONS["accept"].fsm())
    def accept(self) -> None:
        pass

    @transition(field=state, **TRANSITIONS["reject"].fsm())
    def reject(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=state, **TRANSITIONS["assess"].fsm())
    def assess(self) -> None:
        pass

    @transition(field=state, **TRANSITIONS["recommend"].fsm())
    def recommend(self) -> None:
        pass

    @transition(field=state, **TRANSITIONS["approve"].fsm())
    def approve(self) -> None:
        now = timezone.now()
        self.decided_at = now
        self.publicity_ends_at = now + timedelta(days=self.community.publicity_days)
        self.has_pending_objection = False

    @transition(field=state, **TRANSITIONS["decline"].fsm())
    def decline(self) -> None:
        self.decided_at = timezone.now()
        self.closed_at = self.decided_at

    @transition(field=state, **TRANSITIONS["defer"].fsm())
    def defer(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=state, **TRANSITIONS["uphold_objection"].fsm())
    def uphold_objection(self) -> None:
        self.objection_upheld_at = timezone.now()
        self.has_pending_objection = False
        self.publicity_ends_at = None
        self.approved_amount = None

    @transition(field=state, **TRANSITIONS["start_execution"].fsm())
    def start_execution(self) -> None:
        pass

    @transition(field=state, **TRANSITIONS["deliver"].fsm())
    def deliver(self) -> None:
        self.delivered_at = timezone.now()

    @transition(field=state, **TRANSITIONS["accepted"].fsm())
    def accepted(self) -> None:
        pass

    @transition(field=state, **TRANSITIONS["not_accepted"].fsm())
    def not_accepted(self) -> None:
        pass

    @transition(field=state, **TRANSITIONS["pass_evaluation"].fsm())
    def pass_evaluation(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=state, **TRANSITIONS["fail_evaluation"].fsm())
    def fail_evaluation(self) -> None:
        self.rectification_count += 1

    @transition(field=state, **TRANSITIONS["fail_final"].fsm())
    def fail_final(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=state, **TRANSITIONS["finish_rectification"].fsm())
    def finish_rectification(self) -> None:
        self.delivered_at = timezone.now()


def _photo_path(instance: ProjectPhoto, filename: str) -> str:
    """``projects/<id>/<random>.<ext>``: the extension is the detected image format's
    (``projects.uploads``), never the uploader's file name."""
    return uploads.stored_name(f"projects/{instance.project_id}", instance.image, default="bin")


class ProjectPhoto(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to=_photo_path)
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.image.name}"


class AuditAppendOnlyError(Exception):
    """An audit row was about to be changed or deleted."""


class ChainedQuerySet(models.QuerySet[Any]):
    """Rows that are never changed or deleted, each sealed into its hash chain (per
    ``chain_field``, under a lock on the ``chain_parent`` row) as it is inserted."""

    chain_field: str
    refusal: tuple[type[Exception], str]  # what is raised on an update or a delete

    def chain_parent(self) -> type[models.Model]:
        raise NotImplementedError

    def update(self, **kwargs: Any) -> int:
        raise self.refusal[0](self.refusal[1])

    def delete(self) -> Any:
        raise self.refusal[0](self.refusal[1])

    def bulk_create(
        self,
        objs: Iterable[Any],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[Any]:
        """Inserted rows are sealed into their chains first (in the order given)."""
        from projects import audit

        rows = list(objs)
        with transaction.atomic(using=self.db):
            audit.seal(rows, chain_field=self.chain_field, parent=self.chain_parent())
            return super().bulk_create(
                rows,
                batch_size=batch_size,
                ignore_conflicts=ignore_conflicts,
                update_conflicts=update_conflicts,
                update_fields=update_fields,
                unique_fields=unique_fields,
            )


class ProjectEventQuerySet(ChainedQuerySet):
    chain_field = "project_id"
    refusal = (AuditAppendOnlyError, "audit rows are append-only")

    def chain_parent(self) -> type[models.Model]:
        return Project


class ProjectEvent(models.Model):
    """The audit trail: one row per transition (and per other recorded act), never edited.

    Each row is chained to the previous row of its project (``projects.audit``): ``hash`` covers
    its content and ``prev_hash``; both are set when it is saved, under the project's row lock.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("空表示系统自动"),
    )
    action = models.CharField(_("动作"), max_length=40)
    source = models.CharField(_("原状态"), max_length=20, choices=State.choices, blank=True)
    target = models.CharField(_("新状态"), max_length=20, choices=State.choices, blank=True)
    reason = models.TextField(_("理由"), max_length=2000, blank=True)
    # The system's own note on this step (a tally, "threshold met"), stored as a text code and
    # its parameters so each reader sees it in their language (``projects/texts.py``); ``reason``
    # holds only what a person wrote.
    # Nullable, no default: SQLite adds the column in place instead of rebuilding the table (a
    # rebuild would drop the append-only triggers on it).
    kind = models.CharField(_("说明类型"), max_length=60, null=True, blank=True)
    params = models.JSONField(_("说明参数"), null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    prev_hash = models.CharField(max_length=64, editable=False, default="")
    hash = models.CharField(max_length=64, editable=False, default="")

    objects = ProjectEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["created_at", "pk"]
        # the project's chain: its last event, found at once when the next one is sealed
        indexes = [models.Index(fields=["project", "id"], name="event_project_chain")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.action} {self.source}->{self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditAppendOnlyError("audit rows are append-only")
        from projects import audit

        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(ProjectEvent)):
            audit.seal([self], chain_field="project_id", parent=Project)
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditAppendOnlyError("audit rows are append-only")

    @property
    def note(self) -> str:
        """The system's note, in the active language."""
        from projects.texts import event_note_and_words

        return event_note_and_words(self.kind, self.params, self.reason)[0]

    @property
    def words(self) -> str:
        """What a person wrote (the reason, without an old row's system note)."""
        from projects.texts import event_note_and_words

        return event_note_and_words(self.kind, self.params, self.reason)[1]


class Comment(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = models.TextField(_("评论"), max_length=2000, validators=[MinLengthValidator(1)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评论")
        verbose_name_plural = _("评论")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author_id}: {self.body[:30]}"


class ProjectFollower(models.Model):
    """Who hears of every state change: the proposer, co-signers, anyone who follows."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="follower_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.project_id}"
