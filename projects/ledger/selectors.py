"""Reads: balances in one grouped aggregate query, a project's fund, who supervises a street."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from projects.ledger.balances import BALANCE_NAMES, ZERO, Balances, _add, _balances, _row_effects
from projects.models import (
    EntryKind,
    Fund,
    LedgerEntry,
    Project,
)
from projects.models.membership import supervises
from projects.models.places import Place

# Entries are summed per (kind, in kind?, kind of the reversed entry, in kind?): a handful of
# groups whatever the ledger's size, which Python then maps onto the balances by ``EFFECTS``.
_GROUP = ("kind", "in_kind", "reverses__kind", "reverses__in_kind")


def balances_of(entries: QuerySet[LedgerEntry]) -> Balances:
    """The balance set of ``entries``, in one (grouped) query."""
    totals = dict.fromkeys(BALANCE_NAMES, ZERO)
    for row in entries.order_by().values(*_GROUP).annotate(total=Sum("amount")):
        _add(totals, _row_effects(row, Decimal(row["total"] or 0)))
    return _balances(totals)


def balances_by(entries: QuerySet[LedgerEntry], key: str) -> dict[Any, Balances]:
    """Balance sets of ``entries`` grouped by ``key`` (e.g. ``"project_id"``), in one query."""
    totals: dict[Any, dict[str, Decimal]] = {}
    for row in entries.order_by().values(key, *_GROUP).annotate(total=Sum("amount")):
        acc = totals.setdefault(row[key], dict.fromkeys(BALANCE_NAMES, ZERO))
        _add(acc, _row_effects(row, Decimal(row["total"] or 0)))
    return {k: _balances(v) for k, v in totals.items()}


def fund_balances(fund: Fund) -> Balances:
    return balances_of(LedgerEntry.objects.filter(fund_id=fund.pk))


def project_balances(project: Project) -> Balances:
    return balances_of(LedgerEntry.objects.filter(project_id=project.pk))


def current_fund(project: Project) -> Fund | None:
    """The fund that pays for ``project``: the one it was allocated from, else this year's."""
    entry = (
        LedgerEntry.objects.filter(project_id=project.pk, kind=EntryKind.ALLOCATION)
        .select_related("fund")
        .order_by("created_at", "pk")
        .first()
    )
    if entry is not None:
        return entry.fund
    return Fund.objects.filter(
        community_id=project.community_id, year=timezone.localdate().year
    ).first()


def street_supervisor(user: Any, street: Place) -> bool:
    """Is ``user`` a supervisor of ``street`` (any place: or of a place above it)?"""
    return supervises(user, street)


def is_reversed(entry: LedgerEntry) -> bool:
    try:
        return entry.reversed_by is not None
    except LedgerEntry.DoesNotExist:
        return False
