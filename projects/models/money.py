"""The money: a Fund per community per fiscal year and its append-only ledger (CNY, Decimal(14,2)).

Balances are derived from entries, never stored twice. An entry is never edited or deleted; a
mistake is corrected by a reversing entry that names the one it reverses.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models.lifecycle import MAX_AMOUNT, Project
from projects.models.places import Community


class Fund(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="funds")
    year = models.PositiveIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    name = models.CharField(_("名称"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("公益事业经费")
        verbose_name_plural = _("公益事业经费")
        ordering = ["community", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["community", "year"], name="fund_one_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.year}"


class EntryKind(models.TextChoices):
    APPROPRIATION = "appropriation", _("拨入经费")
    CARRY_OVER = "carry_over", _("上年结转")
    ALLOCATION = "allocation", _("项目批准")
    ADVANCE_RELEASE = "advance_release", _("预付款拨付")
    HOLDBACK_RELEASE = "holdback_release", _("尾款拨付")
    EXPENDITURE = "expenditure", _("支出")
    RETURN_UNRELEASED = "return_unreleased", _("未拨付款退回")
    RETURN_UNSPENT = "return_unspent", _("结余退回")
    COFUND_PLEDGE = "cofund_pledge", _("共建认捐")
    COFUND_RECEIPT = "cofund_receipt", _("共建到账")
    REVERSAL = "reversal", _("冲正")


class LedgerEntry(models.Model):
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="entries")
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=EntryKind.choices)
    amount = models.DecimalField(
        _("金额"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)],
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    memo = models.CharField(_("摘要"), max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("台账分录")
        verbose_name_plural = _("台账分录")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="ledger_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
