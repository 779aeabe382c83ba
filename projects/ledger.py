"""Money services: every ledger write goes through here, under a row lock on the fund.

Balances are derived from the entries (see :func:`fund_balances`, :func:`project_balances`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.errors import Conflict, Invalid
from projects.models import EntryKind, Fund, LedgerEntry, Project

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _sum(qs: Any, *kinds: str) -> Decimal:
    """Sum of entries of ``kinds``, net of reversals of such entries."""
    direct = qs.filter(kind__in=kinds).aggregate(s=Sum("amount"))["s"] or ZERO
    reversed_ = (
        qs.filter(kind=EntryKind.REVERSAL, reverses__kind__in=kinds).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    return money(direct - reversed_)


@dataclass(frozen=True)
class FundBalances:
    appropriated: Decimal
    allocated: Decimal  # net of returns of unreleased money
    released: Decimal
    spent: Decimal
    returned: Decimal
    cofunded: Decimal

    @property
    def available(self) -> Decimal:
        return money(self.appropriated - self.allocated)


@dataclass(frozen=True)
class ProjectBalances:
    allocated: Decimal
    released: Decimal
    spent: Decimal
    pledged: Decimal
    cofunded: Decimal

    @property
    def unreleased(self) -> Decimal:
        return money(self.allocated - self.released)

    @property
    def unspent(self) -> Decimal:
        return money(self.released - self.spent)


def _balances(qs: Any) -> dict[str, Decimal]:
    alloc = _sum(qs, EntryKind.ALLOCATION)
    ret_unreleased = _sum(qs, EntryKind.RETURN_UNRELEASED)
    ret_unspent = _sum(qs, EntryKind.RETURN_UNSPENT)
    released = _sum(qs, EntryKind.ADVANCE_RELEASE, EntryKind.HOLDBACK_RELEASE)
    return {
        "allocated": money(alloc - ret_unreleased - ret_unspent),
        "released": money(released - ret_unspent),
        "spent": _sum(qs, EntryKind.EXPENDITURE),
        "returned": money(ret_unreleased + ret_unspent),
        "pledged": _sum(qs, EntryKind.COFUND_PLEDGE),
        "cofunded": _sum(qs, EntryKind.COFUND_RECEIPT),
    }


def fund_balances(fund: Fund) -> FundBalances:
    qs = LedgerEntry.objects.filter(fund=fund)
    b = _balances(qs)
    return FundBalances(
        appropriated=_sum(qs, EntryKind.APPROPRIATION, EntryKind.CARRY_OVER),
        allocated=b["allocated"],
        released=b["released"],
        spent=b["spent"],
        returned=b["returned"],
        cofunded=b["cofunded"],
    )


def project_balances(project: Project) -> ProjectBalances:
    b = _balances(LedgerEntry.objects.filter(project=project))
    return ProjectBalances(
        allocated=b["allocated"],
        released=b["released"],
        spent=b["spent"],
        pledged=b["pledged"],
        cofunded=b["cofunded"],
    )


def current_fund(project: Project) -> Fund | None:
    """The fund that pays for ``project``: the one it was allocated from, else this year's."""
    entry = (
        LedgerEntry.objects.filter(project=project, kind=EntryKind.ALLOCATION)
        .select_related("fund")
        .first()
    )
    if entry is not None:
        return entry.fund
    return Fund.objects.filter(community_id=project.community_id, year=timezone.localdate().year).first()


def _locked_fund(fund_id: int) -> Fund:
    return Fund.objects.select_for_update().get(pk=fund_id)


def _entry(fund: Fund, project: Project | None, kind: str, amount: Decimal, by: Any, memo: str) -> LedgerEntry:
    entry = LedgerEntry(fund=fund, project=project, kind=kind, amount=money(amount), actor=by, memo=memo)
    entry.full_clean()
    entry.save()
    return entry


def allocate(*, project: Project, amount: Decimal, by: Any) -> LedgerEntry:
    """Allocate ``amount`` to ``project`` from this year's fund; never beyond what it holds."""
    fund = current_fund(project)
    if fund is None:
        raise Conflict(_("本社区本年度尚未设立公益事业经费"))
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        available = fund_balances(fund).available
        if amount > available:
            raise Invalid(
                _("金额 %(amount)s 超出经费可用余额 %(available)s")
                % {"amount": money(amount), "available": available},
                errors={"amount": [_("超出经费可用余额")]},
            )
        return _entry(fund, project, EntryKind.ALLOCATION, amount, by, _("项目批准"))


def release_advance(*, project: Project, by: Any) -> LedgerEntry | None:
    fund = current_fund(project)
    if fund is None:
        return None
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        bal = project_balances(project)
        amount = money(bal.allocated * project.community.advance_ratio)
        if amount <= 0:
            return None
        return _entry(fund, project, EntryKind.ADVANCE_RELEASE, amount, by, _("开工拨付预付款"))


def release_holdback(*, project: Project, by: Any) -> LedgerEntry | None:
    fund = current_fund(project)
    if fund is None:
        return None
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        amount = project_balances(project).unreleased
        if amount <= 0:
            return None
        return _entry(fund, project, EntryKind.HOLDBACK_RELEASE, amount, by, _("评议通过拨付尾款"))


def return_unreleased(*, project: Project, by: Any, memo: str) -> LedgerEntry | None:
    fund = current_fund(project)
    if fund is None:
        return None
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        amount = project_balances(project).unreleased
        if amount <= 0:
            return None
        return _entry(fund, project, EntryKind.RETURN_UNRELEASED, amount, by, memo)


def return_unspent(*, project: Project, by: Any, memo: str) -> LedgerEntry | None:
    fund = current_fund(project)
    if fund is None:
        return None
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        amount = project_balances(project).unspent
        if amount <= 0:
            return None
        return _entry(fund, project, EntryKind.RETURN_UNSPENT, amount, by, memo)


def appropriate(*, fund: Fund, amount: Decimal, by: Any, memo: str = "") -> LedgerEntry:
    if amount <= 0:
        raise Invalid(_("金额必须大于零"))
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        return _entry(fund, None, EntryKind.APPROPRIATION, amount, by, memo or _("拨入经费"))


