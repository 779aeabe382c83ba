"""The monthly summaries (``dashboards.models``): built for the months that are over, read by
``dashboards.figures`` for the whole months a period covers.

``build()`` recounts every month before the current one from the rows, in a few grouped queries,
and replaces the tables in one transaction (``manage.py build_dashboard_summaries``; the clock
runs it when a month has ended, ``seed_city`` at the end of its load). ``cover(start, end)``
splits a period into the months read from the summaries and the instants counted live.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, CharField, Count, F, Min, Q, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dashboards.models import MonthCount, MonthLedger, SummaryState
from deliberation.models import EvaluationBallot, EvaluationRound
from projects.list_filters import period_bounds
from projects.models import EntryKind, LedgerEntry, Project, State

BATCH = 5000


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def summarized_before() -> date | None:
    state = SummaryState.objects.order_by("pk").first()
    return state.before if state else None


@dataclass(frozen=True)
class Cover:
    """The months ``[first, stop)`` read from the summaries (none when ``first == stop``), and
    the live part of the period: the instants ``[lo, live_until)`` and ``[live_from, hi)``."""

    first: date | None
    stop: date | None
    lo: datetime
    live_until: datetime
    live_from: datetime
    hi: datetime

    @property
    def summarized(self) -> bool:
        return self.first is not None

    def live(self, field: str) -> Q:
        """Rows whose ``field`` lies in the live part of the period."""
        return Q(**{f"{field}__gte": self.lo, f"{field}__lt": self.live_until}) | Q(
            **{f"{field}__gte": self.live_from, f"{field}__lt": self.hi}
        )

    def months(self, field: str = "month") -> Q:
        return Q(**{f"{field}__gte": self.first, f"{field}__lt": self.stop})


def cover(start: date, end: date, before: date | None) -> Cover:
    """The whole months of ``start`` … ``end`` that are summarized (all before ``before``)."""
    lo, hi = period_bounds(start, end)
    first = start if start.day == 1 else next_month(start)
    stop = first_of_month(end + timedelta(days=1))  # the month after the last whole one
    if before is not None:
        stop = min(stop, before)
    if before is None or first >= stop:
        return Cover(None, None, lo, hi, hi, hi)
    a, _ = period_bounds(first, first)
    b, _ = period_bounds(stop, stop)
    return Cover(first, stop, lo, a, b, hi)


def _month(value: datetime) -> date:
    return timezone.localtime(value).date().replace(day=1)


def build(today: date | None = None) -> SummaryState:
    """Recount every month before ``today``'s and replace the summaries with the counts."""
    before = first_of_month(today or timezone.localdate())
    until, _ = period_bounds(before, before)
    with transaction.atomic():
        state = SummaryState.objects.select_for_update().order_by("pk").first()
        MonthLedger.objects.all().delete()
        MonthCount.objects.all().delete()
        MonthLedger.objects.bulk_create(_month_ledger(until), batch_size=BATCH)
        MonthCount.objects.bulk_create(
            (
                MonthCount(community_id=c, month=m, name=name, value=v)
                for (c, m, name), v in _month_counts(until).items()
            ),
            batch_size=BATCH,
        )
        if state is None:
            state = SummaryState()
        state.before = before
        state.built_at = timezone.now()
        state.save()
    return state


def _month_ledger(until: datetime) -> Iterator[MonthLedger]:
    """The ledger's entries before ``until`` summed per community, month and kind of entry."""
    entries = (
        LedgerEntry.objects.filter(created_at__lt=until)
        .order_by()
        .annotate(
            m=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()),
            contributor_kind_of=Case(
                When(kind=EntryKind.REVERSAL, then=F("reverses__contributor_kind")),
                default=F("contributor_kind"),
                output_field=CharField(),
            ),
        )
        .values(
            "fund__community_id",
            "m",
            "kind",
            "in_kind",
            "reverses__kind",
            "reverses__in_kind",
            "contributor_kind_of",
        )
        .annotate(total=Sum("amount"))
    )
    for r in entries.iterator(chunk_size=BATCH):
        yield MonthLedger(
            community_id=r["fund__community_id"],
            month=_month(r["m"]),
            kind=r["kind"],
            in_kind=r["in_kind"],
            reverses_kind=r["reverses__kind"] or "",
            reverses_in_kind=r["reverses__in_kind"],
            contributor_kind=r["contributor_kind_of"] or "",
            total=r["total"],
        )


def _month_counts(until: datetime) -> dict[tuple[int, date, str], int]:
    """Rounds, electorate, ballots by choice, finished and on time, per community and month."""
    tz = timezone.get_default_timezone()
    counts: dict[tuple[int, date, str], int] = defaultdict(int)
    for r in (
        EvaluationRound.objects.filter(closed_at__lt=until)
        .order_by()
        .annotate(m=TruncMonth("closed_at", tzinfo=tz))
        .values("project__community_id", "m")
        .annotate(n=Count("pk"), eligible=Sum("eligible"))
    ):
        key = (r["project__community_id"], _month(r["m"]))
        counts[(*key, "rounds")] += r["n"]
        counts[(*key, "eligible")] += r["eligible"] or 0
    for b in (
        EvaluationBallot.objects.filter(round__closed_at__lt=until)
        .order_by()
        .annotate(m=TruncMonth("round__closed_at", tzinfo=tz))
        .values("round__project__community_id", "m", "choice")
        .annotate(n=Count("pk"))
    ):
        key = (b["round__project__community_id"], _month(b["m"]))
        counts[(*key, f"ballots:{b['choice']}")] += b["n"]
    for community_id, closed_at, started, days in finished_rows(
        Project.objects.filter(state=State.CLOSED, closed_at__lt=until)
    ):
        key = (community_id, _month(closed_at))
        counts[(*key, "finished")] += 1
        counts[(*key, "on_time")] += on_time(closed_at, started, days)
    return counts


def finished_rows(projects: Any) -> Any:
    """(community, closed_at, start of execution, duration) of closed projects, one query."""
    return (
        projects.order_by()
        .annotate(started=Min("events__created_at", filter=Q(events__target=State.EXECUTING)))
        .values_list("community_id", "closed_at", "started", "duration_days")
    )


def on_time(closed_at: datetime, started: datetime | None, days: int | None) -> bool:
    """Finished on time: closed no later than ``duration_days`` after execution started."""
    return started is not None and days is not None and closed_at <= started + timedelta(days=days)


def stale(today: date | None = None) -> bool:
    """Has a month ended since the summaries were built?"""
    return summarized_before() != first_of_month(today or timezone.localdate())
