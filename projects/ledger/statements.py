"""The monthly public statement (公示栏) of a community, and a street's summary of its communities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from projects.ledger.balances import (
    BALANCE_NAMES,
    ZERO,
    Balances,
    entry_effects,
    money,
    sum_effects,
)
from projects.ledger.selectors import balances_by, balances_of
from projects.models import (
    Community,
    EntryKind,
    LedgerEntry,
    Project,
)
from projects.models.places import Place, communities_under, under_q


def next_month(month: date) -> date:
    return date(month.year + (month.month // 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month in the local time zone, as aware datetimes [start, end)."""
    tz = timezone.get_current_timezone()
    after = next_month(month)
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(after.year, after.month, 1, tzinfo=tz)
    return start, end


@dataclass
class StatementLine:
    entry: LedgerEntry
    effects: dict[str, Decimal]

    @property
    def delta_available(self) -> Decimal:
        return money(self.effects["appropriated"] - self.effects["allocated"])


@dataclass
class ProjectMonth:
    """A project's movements in the month, and its cumulative balances at the month's end."""

    project: Project
    moved: Balances
    closing: Balances


@dataclass
class Statement:
    community: Community
    month: date
    opening: Balances
    closing: Balances
    lines: list[StatementLine]
    projects: list[ProjectMonth] = field(default_factory=list)

    @property
    def movement(self) -> Balances:
        return self.closing - self.opening

    @property
    def cofunding(self) -> list[StatementLine]:
        return [
            ln
            for ln in self.lines
            if ln.entry.kind == EntryKind.COFUND_RECEIPT
            or (ln.entry.kind == EntryKind.REVERSAL and ln.effects["cofunded"] != 0)
        ]

    @property
    def month_label(self) -> str:
        return f"{self.month:%Y-%m}"

    def summary(self) -> list[dict[str, Any]]:
        """One row per balance: opening, the month's movement, closing (as on the CSV)."""
        movement = self.movement
        return [
            {
                "name": name,
                "label": _(label),
                "opening": _col(self.opening, name),
                "movement": _col(movement, name),
                "closing": _col(self.closing, name),
            }
            for name, label in CSV_COLUMNS
        ]


def statement_months(community: Community) -> list[date]:
    """Every month from the community's first entry to this month (or its last entry, if later),
    newest first: each month has its statement, movements or none. One indexed query."""
    span = LedgerEntry.objects.filter(fund__community=community).aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    if span["first"] is None:
        return []
    first = timezone.localdate(span["first"]).replace(day=1)
    last = max(timezone.localdate(span["last"]), timezone.localdate()).replace(day=1)
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    return months[::-1]


def statement_build(*, community: Community, month: date) -> Statement:
    """The 公示栏 for ``community`` and ``month``: opening balances, every movement with its
    project, closing balances, co-funding received. Three queries whatever the ledger's size:
    the opening balances (one grouped aggregate over the history), the month's entries, and the
    month's projects' balances to the month's end; closing = opening + the month's entries."""
    start, end = month_bounds(month)
    entries = LedgerEntry.objects.filter(fund__community=community)
    opening = balances_of(entries.filter(created_at__lt=start))
    month_entries = list(
        entries.filter(created_at__gte=start, created_at__lt=end)
        .select_related("project", "actor", "reverses", "fund")
        .order_by("created_at", "pk")
    )
    lines = [StatementLine(entry=e, effects=entry_effects(e)) for e in month_entries]
    closing = opening + sum_effects(month_entries)
    projects: dict[int, Project] = {}
    moved: dict[int, dict[str, Decimal]] = {}
    for ln in lines:
        p = ln.entry.project
        if p is None:
            continue
        projects.setdefault(p.pk, p)
        acc = moved.setdefault(p.pk, dict.fromkeys(BALANCE_NAMES, ZERO))
        for name, value in ln.effects.items():
            acc[name] += value
    cumulative = (
        balances_by(
            LedgerEntry.objects.filter(project_id__in=list(projects), created_at__lt=end),
            "project_id",
        )
        if projects
        else {}
    )
    rows = [
        ProjectMonth(
            project=projects[pk],
            moved=Balances(**{n: money(v) for n, v in moved[pk].items()}),
            closing=cumulative.get(pk, Balances()),
        )
        for pk in projects
    ]
    return Statement(
        community=community,
        month=month,
        opening=opening,
        closing=closing,
        lines=lines,
        projects=rows,
    )


@dataclass
class StreetRow:
    community: Community
    opening: Balances
    closing: Balances

    @property
    def movement(self) -> Balances:
        return self.closing - self.opening


def street_statement(*, street: Place, month: date) -> list[StreetRow]:
    """Every community below ``street`` (any place) for ``month``: three queries whatever the
    ledger's size."""
    start, end = month_bounds(month)
    communities = list(communities_under(street).order_by("name"))
    entries = LedgerEntry.objects.filter(under_q(street, "fund__community"))
    opening = balances_by(entries.filter(created_at__lt=start), "fund__community_id")
    moved = balances_by(
        entries.filter(created_at__gte=start, created_at__lt=end), "fund__community_id"
    )
    rows = []
    for c in communities:
        before = opening.get(c.pk, Balances())
        rows.append(
            StreetRow(community=c, opening=before, closing=before + moved.get(c.pk, Balances()))
        )
    return rows


# The statement's balance columns (CSV) and rows (page), in this order.
CSV_COLUMNS = [
    ("appropriated", gettext_noop("经费总额")),
    ("allocated", gettext_noop("已分配")),
    ("released", gettext_noop("已拨付")),
    ("spent", gettext_noop("已支出")),
    ("available", gettext_noop("可分配余额")),
    ("cofunded", gettext_noop("共建到账")),
    ("pledged", gettext_noop("共建认捐")),
]


def _col(bal: Balances | dict[str, Decimal], name: str) -> Decimal:
    if isinstance(bal, Balances):
        return Decimal(getattr(bal, name))
    if name == "available":
        return money(bal["appropriated"] - bal["allocated"])
    return bal[name]
