"""Street (街道) → Community (社区) → Grid (网格); people and their per-community roles."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Street(models.Model):
    name = models.CharField(_("名称"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """A community, with the rules of its 三会一评 cycle (DESIGN.md defaults)."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities")
    name = models.CharField(_("名称"), max_length=100)
    slug = models.SlugField(_("代码"), max_length=60, unique=True)

    # co-signing (附议)
    cosign_threshold = models.PositiveIntegerField(
        _("附议人数门槛"), default=10, validators=[MinValueValidator(1)]
    )
    cosign_window_days = models.PositiveIntegerField(
        _("附议期(天)"), default=14, validators=[MinValueValidator(1)]
    )
    # 公示 and evaluation windows
    publicity_days = models.PositiveIntegerField(
        _("公示期(天)"), default=7, validators=[MinValueValidator(1)]
    )
    evaluation_days = models.PositiveIntegerField(
        _("评议期(天)"), default=7, validators=[MinValueValidator(1)]
    )
    pass_rate = models.DecimalField(
        _("评议通过率"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.800"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("满意 + 基本满意 占投票数的比例至少为此值"),
    )
    min_turnout = models.DecimalField(
        _("最低参与率"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.200"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    max_rectification_rounds = models.PositiveIntegerField(_("最多整改轮数"), default=2)
    evaluation_per_household = models.BooleanField(_("评议按户一票"), default=False)
    committee_quorum = models.DecimalField(
        _("党委决策法定出席比例"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.667"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("1"))],
    )
    advance_ratio = models.DecimalField(
        _("预付比例"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.700"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    task_due_days = models.PositiveIntegerField(
        _("待办期限(天)"), default=5, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["street__name", "name"]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="grids")
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="grid_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.community} / {self.name}"


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    COUNCIL = "council", _("居民议事会成员")
    COMMITTEE = "committee", _("社区党委委员")
    CLERK = "clerk", _("社区服务中心")
    SUPERVISOR = "supervisor", _("街道监督")


class Membership(models.Model):
    """One role of one user in one community. A resident membership is the residence
    registration (grid and household) that makes the user eligible to co-sign and vote.
    A supervisor's membership names the street; it covers every community there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    street = models.ForeignKey(
        Street, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    grid = models.ForeignKey(Grid, on_delete=models.SET_NULL, null=True, blank=True)
    household = models.CharField(_("户号"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "community"],
                condition=models.Q(community__isnull=False),
                name="membership_unique_community_role",
            ),
            models.UniqueConstraint(
                fields=["user", "street"],
                condition=models.Q(role="supervisor"),
                name="membership_unique_supervisor",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="supervisor", street__isnull=False, community__isnull=True)
                    | (~models.Q(role="supervisor") & models.Q(community__isnull=False))
                ),
                name="membership_scope_matches_role",
            ),
        ]

    def __str__(self) -> str:
        where = self.community or self.street
        return f"{self.user} · {self.get_role_display()} · {where}"
