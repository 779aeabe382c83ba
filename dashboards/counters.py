"""The per-community counters behind ``dashboards.figures``: each ``count_*`` adds one kind of
figure (projects, money, evaluations, finished projects, the summarized months) to an ``Acc`` per
community, with one grouped query whatever the number of rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, Sum, When

from dashboards import summary
from dashboards.models import MonthCount, MonthLedger
from deliberation.models import EvaluationBallot, EvaluationChoice, EvaluationRound
from projects.ledger import Balances, balances_by
from projects.ledger.balances import group_balances
from projects.list_filters import period_bounds
from projects.models import STATE_FLAGS, EntryKind, LedgerEntry, Project, State
from projects.models.money import COFUND_KINDS
from projects.models.places import Place, under_q

RATE = Decimal("0.0001")
PUBLIC_STATES = [s for s, f in STATE_FLAGS.items() if f.public]


def rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


class Acc:
    """Per-community counters, folded into the place's totals and its children's."""

    def __init__(self) -> None:
        self.projects = 0
        self.by_state: dict[str, int] = defaultdict(int)
        self.by_category: dict[str, int] = defaultdict(int)
        self.people = 0
        self.balances = Balances()
        self.rounds = 0
        self.eligible = 0
        self.choices: dict[str, int] = defaultdict(int)
        self.finished = 0
        self.on_time = 0

    def add(self, other: Acc) -> None:
        self.projects += other.projects
        for k, v in other.by_state.items():
            self.by_state[k] += v
        for k, v in other.by_category.items():
            self.by_category[k] += v
        self.people += other.people
        self.balances = self.balances + other.balances
        self.rounds += other.rounds
        self.eligible += other.eligible
        for k, v in other.choices.items():
            self.choices[k] += v
        self.finished += other.finished
        self.on_time += other.on_time

    @property
    def ballots(self) -> int:
        return sum(self.choices.values())

    @property
    def satisfaction_rate(self) -> Decimal | None:
        good = self.choices[EvaluationChoice.SATISFIED]
        good += self.choices[EvaluationChoice.BASICALLY_SATISFIED]
        return rate(good, self.ballots)


def count_projects(acc: dict[int, Acc], place: Place, start: date, end: date) -> None:
    """The period's projects by community, state and category (one grouped query)."""
    rows = (
        period_projects(place, start, end)
        .order_by()
        .values("community_id", "state", "category")
        .annotate(n=Count("pk"), people=Sum("people_served", filter=Q(state=State.CLOSED)))
    )
    for r in rows:
        a = acc[r["community_id"]]
        a.projects += r["n"]
        a.by_state[r["state"]] += r["n"]
        a.by_category[r["category"]] += r["n"]
        a.people += r["people"] or 0


def count_money(acc: dict[int, Acc], place: Place, cover: Any) -> dict[str, Balances]:
    """Money moved in the period by community (the ledger's own grouped sum, live and from
    the monthly summaries); returns the co-funding balances by contributor kind."""
    entries = LedgerEntry.objects.filter(
        under_q(place, "fund__community"), cover.live("created_at")
    )
    for cid, balances in balances_by(entries, "fund__community_id").items():
        acc[cid].balances = balances
    by_kind: dict[str, Balances] = defaultdict(Balances)
    if cover.summarized:
        for r in (
            MonthLedger.objects.filter(under_q(place), cover.months())
            .values(
                "community_id",
                "kind",
                "in_kind",
                "reverses_kind",
                "reverses_in_kind",
                "contributor_kind",
            )
            .annotate(sum=Sum("total"))
            .order_by()
        ):
            delta = group_balances(
                r["kind"], r["in_kind"], r["reverses_kind"], r["reverses_in_kind"], r["sum"]
            )
            acc[r["community_id"]].balances = acc[r["community_id"]].balances + delta
            if r["kind"] in COFUND_KINDS or (
                r["kind"] == EntryKind.REVERSAL and r["reverses_kind"] in COFUND_KINDS
            ):
                kind = r["contributor_kind"]
                by_kind[kind] = by_kind[kind] + delta
    # co-funding by contributor kind (a reversal under the reversed entry's kind)
    cofunding = entries.filter(
        Q(kind__in=COFUND_KINDS) | Q(kind=EntryKind.REVERSAL, reverses__kind__in=COFUND_KINDS)
    ).annotate(
        contributor_kind_of=Case(
            When(kind=EntryKind.REVERSAL, then=F("reverses__contributor_kind")),
            default=F("contributor_kind"),
            output_field=CharField(),
        )
    )
    for k, live in balances_by(cofunding, "contributor_kind_of").items():
        by_kind[k or ""] = by_kind[k or ""] + live
    return by_kind


def count_evaluations(acc: dict[int, Acc], place: Place, cover: Any) -> None:
    """Evaluation rounds closed in the period (live part): electorate and published ballots."""
    rounds = EvaluationRound.objects.filter(
        under_q(place, "project__community"), cover.live("closed_at")
    )
    for r in (
        rounds.order_by()
        .values("project__community_id")
        .annotate(n=Count("pk"), eligible=Sum("eligible"))
    ):
        a = acc[r["project__community_id"]]
        a.rounds += r["n"]
        a.eligible += r["eligible"] or 0
    for b in (
        EvaluationBallot.objects.filter(round__in=rounds)
        .order_by()
        .values("round__project__community_id", "choice")
        .annotate(n=Count("pk"))
    ):
        acc[b["round__project__community_id"]].choices[b["choice"]] += b["n"]


def count_finished(acc: dict[int, Acc], place: Place, cover: Any) -> None:
    """Projects finished in the period (live part), and how many of them on time."""
    finished = summary.finished_rows(
        Project.objects.filter(under_q(place), cover.live("closed_at"), state=State.CLOSED)
    )
    for cid, closed_at, started, days in finished:
        a = acc[cid]
        a.finished += 1
        a.on_time += summary.on_time(closed_at, started, days)


def count_summarized(acc: dict[int, Acc], place: Place, cover: Any) -> None:
    """Rounds, electorate, ballots, finished and on time of the months already summarized."""
    for r in (
        MonthCount.objects.filter(under_q(place), cover.months())
        .values("community_id", "name")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        a, name, n = acc[r["community_id"]], r["name"], r["n"]
        if name.startswith("ballots:"):
            a.choices[name.removeprefix("ballots:")] += n
        elif name in ("rounds", "eligible", "finished", "on_time"):
            setattr(a, name, getattr(a, name) + n)


def period_projects(place: Place, start: date, end: date) -> Any:
    """The period's projects (see the module's definition)."""
    lo, hi = period_bounds(start, end)
    return Project.objects.filter(
        under_q(place), submitted_at__gte=lo, submitted_at__lt=hi, state__in=PUBLIC_STATES
    )
