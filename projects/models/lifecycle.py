"""The project lifecycle: one ``Project`` row from proposal to closure, its state a django-fsm field.

Transitions are declared once, here, with their sources, targets, conditions and permission.
Services (``projects.services``) are the only callers: they check the permission, fire the
transition, save, write the ``ProjectEvent`` audit row and publish on commit, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from projects.models.places import Community, Role

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

# Who may fire each transition. ``PROPOSER`` is the project's proposer; ``SYSTEM`` transitions are
# fired by the services themselves (a threshold reached, a window expired), never by a person.
PROPOSER = "proposer"
SYSTEM = "system"
TRANSITION_ROLES: dict[str, frozenset[str]] = {
    "submit": frozenset({PROPOSER}),
    "withdraw": frozenset({PROPOSER}),
    "reach_threshold": frozenset({SYSTEM}),
    "expire": frozenset({SYSTEM}),
    "accept": frozenset({Role.CLERK}),
    "reject": frozenset({Role.CLERK}),
    "assess": frozenset({Role.CLERK}),
    "recommend": frozenset({Role.COUNCIL}),
    "approve": frozenset({Role.COMMITTEE}),
    "decline": frozenset({Role.COMMITTEE}),
    "defer": frozenset({Role.COMMITTEE}),
    "uphold_objection": frozenset({Role.COMMITTEE}),
    "start_execution": frozenset({Role.CLERK}),
    "deliver": frozenset({Role.CLERK}),
    "pass_evaluation": frozenset({Role.CLERK}),
    "fail_evaluation": frozenset({Role.CLERK}),
    "fail_final": frozenset({Role.CLERK}),
    "finish_rectification": frozenset({Role.CLERK}),
}


def user_may(project: Project, user: AbstractBaseUser | AnonymousUser | None, name: str) -> bool:
    """Does ``user`` hold a role that may fire transition ``name`` on ``project``? (State aside.)"""
    roles = TRANSITION_ROLES[name]
    if user is None or not user.is_authenticated:
        return False
    if PROPOSER in roles and project.proposer_id == user.pk:
        return True
    community_roles = roles - {PROPOSER, SYSTEM}
    if not community_roles:
        return False
    return project.community.memberships.filter(user_id=user.pk, role__in=community_roles).exists()


def _permission(name: str) -> Any:
    def check(instance: Project, user: Any) -> bool:
        return user_may(instance, user, name)

    return check


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


CONDITION_MESSAGES: dict[Any, Any] = {
    cosign_threshold_met: _("附议人数尚未达到门槛"),
    cosign_window_over: _("附议期尚未结束"),
    assessment_complete: _("需要先填写成本估算、实施方案和工期"),
    publicity_over: _("公示期尚未结束"),
    no_pending_objection: _("有待处理的异议"),
    objection_pending: _("没有待处理的异议"),
    has_approved_amount: _("需要批准金额"),
    rectification_rounds_left: _("整改轮数已用完"),
    rectification_rounds_exhausted: _("仍可整改"),
}


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
    title = models.CharField(_("标题"), max_length=120, validators=[MinLengthValidator(4)])
    summary = models.TextField(_("内容"), max_length=5000, validators=[MinLengthValidator(10)])
    location = models.CharField(_("地点"), max_length=200, blank=True)
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
    # execution and evaluation
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="executed_projects",
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_report = models.TextField(_("验收说明"), max_length=5000, blank=True)
    rectification_count = models.PositiveIntegerField(_("整改轮次"), default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = models.TextField(_("结论说明"), max_length=2000, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["community", "state"])]
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
    @transition(
        field=state, source=State.DRAFT, target=State.COLLECTING, permission=_permission("submit")
    )
    def submit(self) -> None:
        now = timezone.now()
        self.submitted_at = now
        self.cosign_deadline = now + timedelta(days=self.community.cosign_window_days)

    @transition(
        field=state,
        source=WITHDRAWABLE,
        target=State.WITHDRAWN,
        permission=_permission("withdraw"),
    )
    def withdraw(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.COLLECTING,
        target=State.SCREENING,
        conditions=[cosign_threshold_met],
        permission=_permission("reach_threshold"),
    )
    def reach_threshold(self) -> None:
        pass

    @transition(
        field=state,
        source=State.COLLECTING,
        target=State.LAPSED,
        conditions=[cosign_window_over],
        permission=_permission("expire"),
    )
    def expire(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.SCREENING,
        target=State.ASSESSING,
        permission=_permission("accept"),
    )
    def accept(self) -> None:
        pass

    @transition(
        field=state, source=State.SCREENING, target=State.REJECTED, permission=_permission("reject")
    )
    def reject(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.ASSESSING,
        target=State.DELIBERATING,
        conditions=[assessment_complete],
        permission=_permission("assess"),
    )
    def assess(self) -> None:
        pass

    @transition(
        field=state,
        source=State.DELIBERATING,
        target=State.DECIDING,
        permission=_permission("recommend"),
    )
    def recommend(self) -> None:
        pass

    @transition(
        field=state,
        source=State.DECIDING,
        target=State.PUBLICIZING,
        conditions=[has_approved_amount],
        permission=_permission("approve"),
    )
    def approve(self) -> None:
        now = timezone.now()
        self.decided_at = now
        self.publicity_ends_at = now + timedelta(days=self.community.publicity_days)
        self.has_pending_objection = False

    @transition(
        field=state, source=State.DECIDING, target=State.REJECTED, permission=_permission("decline")
    )
    def decline(self) -> None:
        self.decided_at = timezone.now()
        self.closed_at = self.decided_at

    @transition(
        field=state,
        source=State.DECIDING,
        target=State.DELIBERATING,
        permission=_permission("defer"),
    )
    def defer(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=State.PUBLICIZING,
        target=State.DECIDING,
        conditions=[objection_pending],
        permission=_permission("uphold_objection"),
    )
    def uphold_objection(self) -> None:
        self.has_pending_objection = False
        self.publicity_ends_at = None
        self.approved_amount = None

    @transition(
        field=state,
        source=State.PUBLICIZING,
        target=State.EXECUTING,
        conditions=[publicity_over, no_pending_objection],
        permission=_permission("start_execution"),
    )
    def start_execution(self) -> None:
        pass

    @transition(
        field=state,
        source=State.EXECUTING,
        target=State.EVALUATING,
        permission=_permission("deliver"),
    )
    def deliver(self) -> None:
        self.delivered_at = timezone.now()

    @transition(
        field=state,
        source=State.EVALUATING,
        target=State.CLOSED,
        permission=_permission("pass_evaluation"),
    )
    def pass_evaluation(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.EVALUATING,
        target=State.RECTIFYING,
        conditions=[rectification_rounds_left],
        permission=_permission("fail_evaluation"),
    )
    def fail_evaluation(self) -> None:
        self.rectification_count += 1

    @transition(
        field=state,
        source=State.EVALUATING,
        target=State.FAILED,
        conditions=[rectification_rounds_exhausted],
        permission=_permission("fail_final"),
    )
    def fail_final(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.RECTIFYING,
        target=State.EVALUATING,
        permission=_permission("finish_rectification"),
    )
    def finish_rectification(self) -> None:
        self.delivered_at = timezone.now()


def _photo_path(instance: ProjectPhoto, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"projects/{instance.project_id}/{timezone.now():%Y%m%d%H%M%S%f}.{ext}"


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


class ProjectEvent(models.Model):
    """The audit trail: one row per transition (and per other recorded act), never edited."""

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
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.action} {self.source}->{self.target}"


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
