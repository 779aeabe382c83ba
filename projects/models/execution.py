"""Execution everyone can follow (限时办结) and acceptance (验收) before the public evaluates.

- ``Milestone``: what the clerk planned at assessment (name, planned date, share of the budget).
- ``ProgressPost`` / ``ProgressPhoto``: what the clerk reports while the work runs.
- ``AcceptanceInspection``: one round of 验收 — the inspectors (the council, plus resident
  representatives the council names), the checklist, and one ``AcceptanceSignature`` per
  inspector with a check per item (pass/fail, note, photo).

Writes go through ``deliberation.execution`` (progress, milestones, signing); the transitions
(``deliver`` → accepting, ``accepted`` / ``not_accepted``) through ``projects.services``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects import uploads
from projects.models.lifecycle import Project


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("节点名称"), max_length=120)
    planned_date = models.DateField(_("计划日期"))
    budget_share = models.DecimalField(
        _("预算占比（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    # the clock's one warning to the clerk when the date passed with the milestone undone
    warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("实施节点")
        verbose_name_plural = _("实施节点")
        ordering = ["project", "planned_date", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_share__gte=0) & models.Q(budget_share__lte=100),
                name="milestone_share_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.name}"

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    def days_late(self, today: date | None = None) -> int:
        """Days past the planned date while undone (0 when done or not yet due)."""
        if self.done_on is not None:
            return max(0, (self.done_on - self.planned_date).days)
        today = today or timezone.localdate()
        return max(0, (today - self.planned_date).days)

    @property
    def is_late(self) -> bool:
        return self.done_on is None and self.days_late() > 0


class ProgressStage(models.TextChoices):
    BEFORE = "before", _("施工前")
    DURING = "during", _("施工中")
    AFTER = "after", _("施工后")


class ProgressPost(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="progress_posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="posts"
    )
    milestone_done = models.BooleanField(_("节点已完成"), default=False)
    percent = models.PositiveSmallIntegerField(
        _("完成百分比"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    body = models.TextField(_("进展说明"), max_length=2000)
    contractor = models.CharField(_("施工单位 / 供应商"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("实施进展")
        verbose_name_plural = _("实施进展")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__lte=100), name="progress_percent_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.percent}%"


def _progress_photo_path(instance: ProgressPhoto, filename: str) -> str:
    return uploads.stored_name(
        f"progress/{instance.post.project_id}", instance.image, default="bin"
    )


class ProgressPhoto(models.Model):
    post = models.ForeignKey(ProgressPost, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to=_progress_photo_path)
    stage = models.CharField(
        _("阶段"), max_length=10, choices=ProgressStage.choices, default=ProgressStage.DURING
    )

    class Meta:
        verbose_name = _("进展照片")
        verbose_name_plural = _("进展照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.image.name}"


class AcceptanceInspection(models.Model):
    """One round of 验收: opened when the clerk requests acceptance, closed by the count."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="inspections")
    number = models.PositiveSmallIntegerField(_("轮次"))
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="acceptance_inspections", blank=True
    )
    # representatives named by the council (the rest are council members)
    representatives = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(null=True, blank=True)

    class Meta:
        verbose_name = _("验收")
        verbose_name_plural = _("验收")
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="inspection_unique_round"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AcceptanceItem(models.Model):
    """One line of the checklist (the delivery report and each milestone by default)."""

    inspection = models.ForeignKey(
        AcceptanceInspection, on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("查验项"), max_length=300)

    class Meta:
        ordering = ["inspection", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class AcceptanceSignature(models.Model):
    inspection = models.ForeignKey(
        AcceptanceInspection, on_delete=models.CASCADE, related_name="signatures"
    )
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    passed = models.BooleanField(_("验收合格"))
    reasons = models.TextField(_("意见 / 不合格理由"), max_length=2000, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("验收签字")
        verbose_name_plural = _("验收签字")
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "inspector"], name="inspection_one_signature"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.inspector_id} {self.passed}"


def _check_photo_path(instance: AcceptanceCheck, filename: str) -> str:
    return uploads.stored_name(
        f"acceptance/{instance.signature.inspection_id}", instance.photo, default="bin"
    )


class AcceptanceCheck(models.Model):
    signature = models.ForeignKey(
        AcceptanceSignature, on_delete=models.CASCADE, related_name="checks"
    )
    item = models.ForeignKey(AcceptanceItem, on_delete=models.CASCADE, related_name="checks")
    passed = models.BooleanField()
    note = models.CharField(_("备注"), max_length=500, blank=True)
    photo = models.ImageField(_("照片"), upload_to=_check_photo_path, blank=True)

    class Meta:
        ordering = ["item__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["signature", "item"], name="check_one_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.signature_id}/{self.item_id}: {self.passed}"
