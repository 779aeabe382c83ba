"""The project lifecycle: one ``Project`` row from proposal to closure, its state a django-fsm field.

Transitions are declared once, here, in the table ``TRANSITIONS`` (sources, target, who fires them,
conditions, parameters); the django-fsm methods take their arguments from it.
Services (``projects.services``) are the only callers: they check the permission, fire the
transition, save, write the ``ProjectEvent`` audit row and publish on commit, in one transaction.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from projects import uploads
from projects.models.places import Community
from projects.models.states import MAX_AMOUNT, STATE_FLAGS, State, StateFlags
from projects.models.transitions import TRANSITIONS
from projects.validators import VisibleText


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


# Re-exported: the states, conditions and transition table were defined here before.
