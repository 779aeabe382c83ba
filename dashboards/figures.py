"""The figures of a place for a period: what the dashboards show and the open data reproduces.

``place_figures(place, start, end)`` returns a dict; every key is defined here exactly, so that
anyone can recompute it from the published files (projects, ledger entries, audit events,
evaluation results). Money is ``Decimal`` in CNY with two places; rates are ``Decimal`` with four
places (``ROUND_HALF_UP``), or ``None`` when the denominator is 0.

Common terms
------------
- **below the place**: the communities whose node lies in the place's subtree (the place itself
  if it is a community); a row belongs to the place when its project's, fund's or round's
  community is below it.
- **the period**: the local dates ``start`` … ``end`` inclusive (Asia/Shanghai), i.e. the
  instants ``[start 00:00, end+1 00:00)`` local time. "In the period" means such an instant.
- **the period's projects**: projects below the place whose ``submitted_at`` (first submission
  for co-signing) is in the period and whose current state is public (every state but
  ``draft`` and ``withdrawn``).

Keys
----
- ``place``: ``{"id", "name", "kind"}``; ``period``: ``{"start", "end"}`` (ISO dates).
- ``communities`` (count): communities below the place, whatever the period.
- ``projects`` (count): the period's projects.
- ``projects_by_state`` (state → count): the period's projects by their current state; every
  public state is a key (0 when none).
- ``projects_by_category`` (category → count): the same projects by category; every category
  is a key.
- ``people_served`` (persons): the sum of ``people_served`` (the estimate recorded at the
  feasibility assessment; empty counts 0) over the period's projects whose state is ``closed``.
- ``money`` (name → CNY): the ledger entries below the place whose ``created_at`` is in the
  period, summed by the ledger's own table (``projects.ledger.balances.EFFECTS``; a reversal
  moves the balances of the entry it reverses back by its amount):
  ``appropriated`` (appropriations + carry-over in − carry-forward out), ``allocated``
  (allocations − returns), ``released`` (advance + holdback releases − unspent returns),
  ``spent`` (expenditures), ``returned`` (unreleased + unspent returns), ``pledged``
  (co-funding pledges), ``cofunded`` (co-funding received, cash and in-kind valuation).
  These are the movements of the period, not balances at its end.
- ``cofunding_by_kind`` (contributor kind → ``{"pledged", "received"}`` CNY): the co-funding
  entries of the same set (``cofund_pledge`` / ``cofund_receipt``, and reversals of them,
  counted under the reversed entry's contributor kind), by ``contributor_kind``: ``unit``
  (驻区单位), ``company`` (企业), ``resident`` (居民); an entry without a kind under ``""``.
- ``evaluation``: over the evaluation rounds below the place whose ``closed_at`` is in the
  period: ``rounds`` (count), ``eligible`` (sum of each round's electorate size, persons or
  households as the round counted), ``ballots`` (published ballots of those rounds),
  ``satisfied``, ``basically_satisfied``, ``dissatisfied`` (ballots by choice).
- ``satisfaction_rate``: (``satisfied`` + ``basically_satisfied``) / ``ballots``.
- ``turnout``: ``ballots`` / ``eligible``.
- ``finished`` (count): projects below the place in state ``closed`` whose ``closed_at`` is in
  the period. ``finished_on_time`` (count): those of them with a start of execution (the
  ``created_at`` of their first audit event whose target is ``executing``), a ``duration_days``,
  and ``closed_at`` ≤ start of execution + ``duration_days`` days.
  ``on_time_share``: ``finished_on_time`` / ``finished``.
- ``median_days_by_stage`` (stage → days, ``Decimal`` one place, ``None`` when no stay) and
  ``stays_by_stage`` (stage → count): a *stay* in stage S is a pair of consecutive transition
  events of one project (audit events with a non-empty, different ``source`` and ``target``,
  ordered by ``created_at`` then id) where the first's target and the second's source are S; its
  length is the time between them in days (seconds / 86400). Stays counted are those whose
  second event is in the period and whose project is below the place and public now (the
  audit events published as open data are those of public projects); the median is the usual
  one (mean of the two middle values for an even count). Stages: the open states but
  ``draft``.
- ``children``: one row per place right below this one (ordered by the ranking): ``id``,
  ``name``, ``kind``, ``communities``, ``projects``, ``allocated``, ``spent``, ``ballots``,
  ``satisfaction_rate``, ``turnout``, ``finished``, ``on_time_share`` — each as defined above,
  restricted to that child's subtree. Ranking: ``satisfaction_rate`` descending (``None``
  last), then ``projects`` descending, then ``name``.
- ``overdue_tasks`` (only with ``supervisor=True``; not period-bound): open human tasks of
  projects below the place whose due date has passed, oldest first — ``project_id``,
  ``project``, ``community``, ``task``, ``role``, ``owner`` (a name, or ``""``), ``due_at``,
  ``late_days``.

Cost: a fixed number of queries per call (10, plus 3 for the overdue tasks), whatever the
number of projects, entries or ballots; sums and counts are grouped in the database, only the
stays and the finished projects are read row by row (one query each) for the median and the
date arithmetic.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, Sum, When
from django.utils import timezone

from accounts.privacy import display_name
from dashboards import summary
from dashboards.models import MonthCount, MonthLedger
from deliberation import workflow
from deliberation.models import EvaluationBallot, EvaluationChoice, EvaluationRound
from projects.ledger import Balances, balances_by
from projects.ledger.balances import group_balances
from projects.list_filters import period_bounds
from projects.models import STATE_FLAGS, EntryKind, LedgerEntry, Project, ProjectEvent, State
from projects.models.money import COFUND_KINDS, ContributorKind
from projects.models.places import Place, communities_under, under_q

RATE = Decimal("0.0001")
DAYS = Decimal("0.1")
PUBLIC_STATES = [s for s, f in STATE_FLAGS.items() if f.public]
STAGES = [s for s, f in STATE_FLAGS.items() if f.is_open and s != State.DRAFT]
MONEY_KEYS = ("appropriated", "allocated", "released", "spent", "returned", "pledged", "cofunded")
COFUND_KEYS = [k.value for k in ContributorKind]


def rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


def period_projects(place: Place, start: date, end: date) -> Any:
    """The period's projects (see the module's definition)."""
    lo, hi = period_bounds(start, end)
    return Project.objects.filter(
        under_q(place), submitted_at__gte=lo, submitted_at__lt=hi, state__in=PUBLIC_STATES
    )


class _Acc:
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

    def add(self, other: _Acc) -> None:
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


def place_figures(
    place: Place, start: date, end: date, *, supervisor: bool = False
) -> dict[str, Any]:
    """Every figure of ``place`` for ``start`` … ``end`` (see the module docstring)."""
    lo, hi = period_bounds(start, end)
    # the whole months already summarized are read from the summaries, the rest counted live
    cover = summary.cover(start, end, summary.summarized_before())

    # 1-2. the communities below and the children they fall under
    communities = list(communities_under(place).values_list("pk", "place__path"))
    children = list(place.children.order_by("name").values("pk", "name", "kind"))
    depth = len(place.path)
    child_of: dict[int, int | None] = {}
    for cid, path in communities:
        rest = path[depth:].split("/", 1)[0]
        child_of[cid] = int(rest) if rest else None
    acc: dict[int, _Acc] = defaultdict(_Acc)

    # 3. the period's projects by community, state and category
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

    # 4. money moved in the period, by community (the ledger's own grouped sum)
    entries = LedgerEntry.objects.filter(
        under_q(place, "fund__community"), cover.live("created_at")
    )
    for cid, balances in balances_by(entries, "fund__community_id").items():
        acc[cid].balances = balances
    summed_by_kind: dict[str, Balances] = defaultdict(Balances)
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
                summed_by_kind[kind] = summed_by_kind[kind] + delta

    # 5. co-funding by contributor kind (a reversal under the reversed entry's kind)
    cofunding = entries.filter(
        Q(kind__in=COFUND_KINDS) | Q(kind=EntryKind.REVERSAL, reverses__kind__in=COFUND_KINDS)
    ).annotate(
        contributor_kind_of=Case(
            When(kind=EntryKind.REVERSAL, then=F("reverses__contributor_kind")),
            default=F("contributor_kind"),
            output_field=CharField(),
        )
    )
    by_kind: dict[str, Balances] = defaultdict(Balances, summed_by_kind)
    for k, live in balances_by(cofunding, "contributor_kind_of").items():
        by_kind[k or ""] = by_kind[k or ""] + live
    kinds = COFUND_KEYS + sorted(k for k in by_kind if k not in COFUND_KEYS)
    cofunding_by_kind = {
        k: {
            "pledged": by_kind.get(k, Balances()).pledged,
            "received": by_kind.get(k, Balances()).cofunded,
        }
        for k in kinds
    }

    # 6-7. evaluation rounds closed in the period: electorate and published ballots
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
    for r in (
        EvaluationBallot.objects.filter(round__in=rounds)
        .order_by()
        .values("round__project__community_id", "choice")
        .annotate(n=Count("pk"))
    ):
        acc[r["round__project__community_id"]].choices[r["choice"]] += r["n"]

    # 8. finished in the period, and on time
    finished = summary.finished_rows(
        Project.objects.filter(under_q(place), cover.live("closed_at"), state=State.CLOSED)
    )
    for cid, closed_at, started, days in finished:
        a = acc[cid]
        a.finished += 1
        a.on_time += summary.on_time(closed_at, started, days)

    # 6-8 for the summarized months
    if cover.summarized:
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

    # 9-10. stays in each stage that ended in the period
    moved = (
        ProjectEvent.objects.filter(
            under_q(place, "project__community"),
            project__state__in=PUBLIC_STATES,
            created_at__gte=lo,
            created_at__lt=hi,
        )
        .exclude(source="")
        .exclude(target="")
        .values("project_id")
    )
    events = (
        ProjectEvent.objects.filter(project_id__in=moved)
        .exclude(source="")
        .exclude(target="")
        .exclude(source=F("target"))
        .order_by("project_id", "created_at", "pk")
        .values_list("project_id", "source", "target", "created_at")
    )
    stays: dict[str, list[float]] = {s: [] for s in STAGES}
    previous: tuple[Any, ...] | None = None
    for event in events:
        if previous is not None and previous[0] == event[0] and previous[2] == event[1]:
            stage, ended = event[1], event[3]
            if stage in stays and lo <= ended < hi:
                stays[stage].append((ended - previous[3]).total_seconds() / 86400)
        previous = event

    # fold
    total = _Acc()
    per_child: dict[int, _Acc] = defaultdict(_Acc)
    for cid, a in acc.items():
        total.add(a)
        child = child_of.get(cid)
        if child is not None:
            per_child[child].add(a)
    counts: dict[int, int] = defaultdict(int)
    for cid, _path in communities:
        child = child_of[cid]
        if child is not None:
            counts[child] += 1

    children_rows: list[dict[str, Any]] = [
        {
            "id": c["pk"],
            "name": c["name"],
            "kind": c["kind"],
            "communities": counts[c["pk"]],
            "projects": per_child[c["pk"]].projects,
            "allocated": per_child[c["pk"]].balances.allocated,
            "spent": per_child[c["pk"]].balances.spent,
            "ballots": per_child[c["pk"]].ballots,
            "satisfaction_rate": per_child[c["pk"]].satisfaction_rate,
            "turnout": rate(per_child[c["pk"]].ballots, per_child[c["pk"]].eligible),
            "finished": per_child[c["pk"]].finished,
            "on_time_share": rate(per_child[c["pk"]].on_time, per_child[c["pk"]].finished),
        }
        for c in children
    ]
    children_rows.sort(
        key=lambda r: (
            r["satisfaction_rate"] is None,
            -(r["satisfaction_rate"] or 0),
            -r["projects"],
            r["name"],
        )
    )

    figures: dict[str, Any] = {
        "place": {"id": place.pk, "name": place.name, "kind": place.kind},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "communities": len(communities),
        "projects": total.projects,
        "projects_by_state": {s: total.by_state.get(s, 0) for s in PUBLIC_STATES},
        "projects_by_category": {c: total.by_category.get(c, 0) for c in Project.Category.values},
        "people_served": total.people,
        "money": {k: getattr(total.balances, k) for k in MONEY_KEYS},
        "cofunding_by_kind": cofunding_by_kind,
        "evaluation": {
            "rounds": total.rounds,
            "eligible": total.eligible,
            "ballots": total.ballots,
            **{c: total.choices.get(c, 0) for c in EvaluationChoice.values},
        },
        "satisfaction_rate": total.satisfaction_rate,
        "turnout": rate(total.ballots, total.eligible),
        "finished": total.finished,
        "finished_on_time": total.on_time,
        "on_time_share": rate(total.on_time, total.finished),
        "median_days_by_stage": {
            s: (
                Decimal(str(statistics.median(v))).quantize(DAYS, rounding=ROUND_HALF_UP)
                if v
                else None
            )
            for s, v in stays.items()
        },
        "stays_by_stage": {s: len(v) for s, v in stays.items()},
        "children": children_rows,
    }
    if supervisor:
        figures["overdue_tasks"] = overdue_tasks(place)
    return figures


def overdue_tasks(place: Place) -> list[dict[str, Any]]:
    """Open tasks past due below ``place``, oldest first (names included: supervisors only)."""
    from django.contrib.auth import get_user_model

    from projects.models import Role

    now = timezone.now()
    items = workflow.overdue(place=place)
    owners = get_user_model().objects.in_bulk(
        [i.task.owner_id for i in items if i.task.owner_id is not None]
    )
    rows = []
    for item in items:
        owner = owners.get(item.task.owner_id) if item.task.owner_id else None
        due = item.due_at or now
        rows.append(
            {
                "project_id": item.project.pk,
                "project": item.project.title,
                "community": item.project.community.name,
                "task": item.title,
                "role": str(Role(item.role).label),
                "owner": display_name(owner) if owner else "",
                "due_at": due,
                "late_days": (now - due).days,
            }
        )
    return rows
