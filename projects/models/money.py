"""The money: a Fund per community per fiscal year and its append-only ledger (CNY, Decimal(14,2)).

Balances are derived from entries, never stored twice (see ``projects.ledger``). An entry is
never edited or deleted; a mistake is corrected by a reversing entry that names the one it
reverses. The rule is kept three times over: the services only ever insert, the model and its
queryset refuse updates and deletes, and on PostgreSQL a trigger refuses them in the database.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projects import uploads
from projects.models.events import ChainedQuerySet
from projects.models.lifecycle import Project
from projects.models.places import Community
from projects.models.states import MAX_AMOUNT


class Fund(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="funds")
    year = models.PositiveIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    name = models.CharField(_("名称"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("公益事业经费")
        verbose_name_plural = _("公益事业经费")
        ordering = ["community", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["community", "year"], name="fund_one_per_year"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.community} {self.year}"


class EntryKind(models.TextChoices):
    APPROPRIATION = "appropriation", _("拨入经费")
    CARRY_OVER = "carry_over", _("上年结转")
    CARRY_FORWARD = "carry_forward", _("结转下年")
    ALLOCATION = "allocation", _("项目批准")
    ADVANCE_RELEASE = "advance_release", _("预付款拨付")
    HOLDBACK_RELEASE = "holdback_release", _("尾款拨付")
    EXPENDITURE = "expenditure", _("支出")
    RETURN_UNRELEASED = "return_unreleased", _("未拨付款退回")
    RETURN_UNSPENT = "return_unspent", _("结余退回")
    COFUND_PLEDGE = "cofund_pledge", _("共建认捐")
    COFUND_RECEIPT = "cofund_receipt", _("共建到账")
    REVERSAL = "reversal", _("冲正")


# Entries that belong to the fund as a whole; every other kind names a project.
FUND_KINDS = [EntryKind.APPROPRIATION, EntryKind.CARRY_OVER, EntryKind.CARRY_FORWARD]
COFUND_KINDS = [EntryKind.COFUND_PLEDGE, EntryKind.COFUND_RECEIPT]


class ContributorKind(models.TextChoices):
    UNIT = "unit", _("驻区单位")
    COMPANY = "company", _("企业")
    RESIDENT = "resident", _("居民")


def receipt_path(instance: LedgerEntry, filename: str) -> str:
    """``receipts/<fund>/<yyyymm>/<uuid>.<ext>``: the extension is the checked type's, never the
    uploader's file name."""
    folder = f"receipts/{instance.fund_id}/{timezone.localdate():%Y%m}"
    return uploads.stored_name(folder, instance.receipt, default="bin")


class AppendOnlyError(Exception):
    """A ledger entry was about to be changed or deleted."""


class LedgerEntryQuerySet(ChainedQuerySet):
    chain_field = "fund_id"
    refusal = (AppendOnlyError, "ledger entries are append-only: record a reversing entry")

    def chain_parent(self) -> type[models.Model]:
        return Fund


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
        help_text=_("人民币元；实物共建为估值"),
    )
    # null: the system moved the money (the clock closing an evaluation paid or returned it)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    memo = models.CharField(_("摘要"), max_length=300, blank=True)
    # A memo the system wrote, as a text code and its parameters (``projects/texts.py``), so each
    # reader sees it in their language; ``memo`` keeps it in the site's language.
    # Nullable, no default: SQLite adds the column in place instead of rebuilding the table (a
    # rebuild would drop the append-only triggers on it).
    memo_code = models.CharField(_("摘要类型"), max_length=60, null=True, blank=True)
    memo_params = models.JSONField(_("摘要参数"), null=True, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # expenditure: who was paid, when, and the receipt (image or PDF)
    payee = models.CharField(_("收款方"), max_length=200, blank=True)
    paid_on = models.DateField(_("发生日期"), null=True, blank=True)
    receipt = models.FileField(_("票据"), upload_to=receipt_path, max_length=200, blank=True)
    # An expenditure may belong to one of the project's milestones (限时办结). Nullable, no
    # default: added in place (SQLite keeps the append-only triggers), and rows without it keep
    # their hash (empty columns are left out of the hashed content).
    milestone = models.ForeignKey(
        "projects.Milestone",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expenditures",
        verbose_name=_("实施节点"),
    )
    # co-funding: who gives, of what kind, cash or in kind (then ``amount`` is the valuation)
    contributor = models.CharField(_("共建方"), max_length=200, blank=True)
    contributor_kind = models.CharField(
        _("共建方类型"), max_length=20, choices=ContributorKind.choices, blank=True
    )
    in_kind = models.BooleanField(_("实物"), default=False)
    in_kind_description = models.CharField(_("实物说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("记账时间"), default=timezone.now, db_index=True)
    # the fund's hash chain (projects.audit): set when the entry is saved, under the fund's lock
    prev_hash = models.CharField(max_length=64, editable=False, default="")
    hash = models.CharField(max_length=64, editable=False, default="")

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账分录")
        verbose_name_plural = _("台账分录")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["fund", "created_at"], name="ledger_fund_time"),
            models.Index(fields=["project", "kind"], name="ledger_project_kind"),
            # the fund's chain: its last entry, found at once when the next one is sealed
            models.Index(fields=["fund", "id"], name="ledger_fund_chain"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(kind=EntryKind.REVERSAL, reverses__isnull=False)
                | (~models.Q(kind=EntryKind.REVERSAL) & models.Q(reverses__isnull=True)),
                name="ledger_reversal_names_entry",
            ),
            models.CheckConstraint(
                condition=models.Q(project__isnull=False)
                | models.Q(kind__in=[*FUND_KINDS, EntryKind.REVERSAL]),
                name="ledger_project_entry_names_project",
            ),
            models.CheckConstraint(
                condition=models.Q(project__isnull=True) | ~models.Q(kind__in=FUND_KINDS),
                name="ledger_fund_entry_has_no_project",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=EntryKind.EXPENDITURE)
                | (models.Q(paid_on__isnull=False) & ~models.Q(payee="") & ~models.Q(receipt="")),
                name="ledger_expenditure_documented",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=COFUND_KINDS)
                | (~models.Q(contributor="") & ~models.Q(contributor_kind="")),
                name="ledger_cofunding_names_contributor",
            ),
            models.CheckConstraint(
                condition=models.Q(in_kind=False) | models.Q(kind__in=COFUND_KINDS),
                name="ledger_in_kind_only_cofunding",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("ledger entries are append-only: record a reversing entry")
        from projects import audit

        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(LedgerEntry)):
            audit.seal([self], chain_field="fund_id", parent=Fund)
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("ledger entries are append-only: record a reversing entry")

    @property
    def memo_text(self) -> str:
        """The memo in the active language (a person's words stay as written)."""
        from projects.texts import memo_text

        return memo_text(self.memo_code, self.memo_params, self.memo)
