"""The balance set and how each kind of entry moves it: pure arithmetic, no queries.

Balances are derived from the entries, never stored: each balance is the signed sum of the
entries that move it (``EFFECTS``), a reversal moving it back by the amount of the entry it
reverses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from projects.models import (
    EntryKind,
    LedgerEntry,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The balances, and how each kind of entry moves them (+1 / -1 times its amount).
BALANCE_NAMES = (
    "appropriated",  # appropriations and carry-over in, minus carry-forward out
    "allocated",  # approved for projects, net of what returned
    "released",  # paid out to projects in tranches, net of unspent money returned
    "spent",  # expenditures
    "returned",  # returned to the fund (unreleased and unspent)
    "pledged",  # co-funding pledged
    "cofunded",  # co-funding received (cash and in-kind valuation)
    "cofunded_in_kind",  # of which in kind
)
EFFECTS: dict[str, dict[str, int]] = {
    EntryKind.APPROPRIATION: {"appropriated": 1},
    EntryKind.CARRY_OVER: {"appropriated": 1},
    EntryKind.CARRY_FORWARD: {"appropriated": -1},
    EntryKind.ALLOCATION: {"allocated": 1},
    EntryKind.ADVANCE_RELEASE: {"released": 1},
    EntryKind.HOLDBACK_RELEASE: {"released": 1},
    EntryKind.EXPENDITURE: {"spent": 1},
    EntryKind.RETURN_UNRELEASED: {"allocated": -1, "returned": 1},
    EntryKind.RETURN_UNSPENT: {"allocated": -1, "released": -1, "returned": 1},
    EntryKind.COFUND_PLEDGE: {"pledged": 1},
    EntryKind.COFUND_RECEIPT: {"cofunded": 1},
}
IN_KIND_BALANCE = "cofunded_in_kind"  # moved by in-kind co-funding receipts only


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- balances ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Balances:
    """A balance set, derived from entries. ``available`` is what may still be allocated."""

    appropriated: Decimal = ZERO
    allocated: Decimal = ZERO
    released: Decimal = ZERO
    spent: Decimal = ZERO
    returned: Decimal = ZERO
    pledged: Decimal = ZERO
    cofunded: Decimal = ZERO
    cofunded_in_kind: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return money(self.appropriated - self.allocated)

    @property
    def unreleased(self) -> Decimal:
        return money(self.allocated - self.released)

    @property
    def unspent(self) -> Decimal:
        return money(self.released - self.spent)

    @property
    def held(self) -> Decimal:
        """Money the fund still holds: everything in, less everything spent."""
        return money(self.appropriated - self.spent)

    @property
    def cofunded_cash(self) -> Decimal:
        return money(self.cofunded - self.cofunded_in_kind)

    def as_dict(self) -> dict[str, Decimal]:
        names = [*BALANCE_NAMES, "available", "unreleased", "unspent", "held", "cofunded_cash"]
        return {n: getattr(self, n) for n in names}

    def __add__(self, other: Balances) -> Balances:
        return Balances(**{n: money(getattr(self, n) + getattr(other, n)) for n in BALANCE_NAMES})

    def __sub__(self, other: Balances) -> Balances:
        return Balances(**{n: money(getattr(self, n) - getattr(other, n)) for n in BALANCE_NAMES})


# Names kept for callers written against the first version of this module.
FundBalances = Balances
ProjectBalances = Balances


# Entries are summed per (kind, in kind?, kind of the reversed entry, in kind?): a handful of
_GROUP = ("kind", "in_kind", "reverses__kind", "reverses__in_kind")


def _effects(kind: str, in_kind: bool, amount: Decimal, sign: int = 1) -> dict[str, Decimal]:
    effects = dict.fromkeys(BALANCE_NAMES, ZERO)
    for name, s in EFFECTS.get(kind, {}).items():
        effects[name] = money(amount * s * sign)
    if kind == EntryKind.COFUND_RECEIPT and in_kind:
        effects[IN_KIND_BALANCE] = money(amount * sign)
    return effects


def _row_effects(row: Mapping[str, Any], amount: Decimal) -> dict[str, Decimal]:
    if row["kind"] == EntryKind.REVERSAL:
        return _effects(row["reverses__kind"], bool(row["reverses__in_kind"]), amount, -1)
    return _effects(row["kind"], bool(row["in_kind"]), amount)


def group_balances(
    kind: str,
    in_kind: bool,
    reverses_kind: str | None,
    reverses_in_kind: bool | None,
    total: Decimal,
) -> Balances:
    """What the entries of one group of ``balances_by`` (summing to ``total``) move: for sums
    kept elsewhere in the same grouping (the dashboards' monthly summaries)."""
    row = {
        "kind": kind,
        "in_kind": in_kind,
        "reverses__kind": reverses_kind,
        "reverses__in_kind": reverses_in_kind,
    }
    return Balances(**_row_effects(row, total))


def _add(totals: dict[str, Decimal], effects: Mapping[str, Decimal]) -> None:
    for name, value in effects.items():
        totals[name] += value


def _balances(totals: Mapping[str, Decimal]) -> Balances:
    return Balances(**{n: money(totals[n]) for n in BALANCE_NAMES})


def entry_effects(entry: LedgerEntry) -> dict[str, Decimal]:
    """How ``entry`` moves each balance (signed), by the same table as the sums.

    A reversal needs its ``reverses`` loaded (``select_related("reverses")``)."""
    if entry.kind == EntryKind.REVERSAL:
        original = entry.reverses
        assert original is not None  # the database constraint guarantees it
        return _effects(original.kind, original.in_kind, entry.amount, -1)
    return _effects(entry.kind, entry.in_kind, entry.amount)


def sum_effects(entries: Iterable[LedgerEntry]) -> Balances:
    """The balance set of ``entries`` summed row by row in Python (a cross-check of the SQL)."""
    totals = dict.fromkeys(BALANCE_NAMES, ZERO)
    for entry in entries:
        _add(totals, entry_effects(entry))
    return _balances(totals)
