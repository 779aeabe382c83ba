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
stays (paired in the database by ``LAG``, only those ending in the period, each as its length)
and the finished projects are read row by row (one query each) for the median and the date
arithmetic.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import DurationField, ExpressionWrapper, F, Max, Window
from django.db.models.functions import Lag
from django.utils import timezone

from accounts.privacy import display_name
from dashboards import summary
from dashboards.counters import (
    PUBLIC_STATES,
    Acc,
    count_evaluations,
    count_finished,
    count_money,
    count_projects,
    count_summarized,
    rate,
)
from deliberation import workflow
from deliberation.models import EvaluationChoice
from projects.ledger import Balances
from projects.list_filters import period_bounds
from projects.models import STATE_FLAGS, Project, ProjectEvent, State
from projects.models.money import ContributorKind
from projects.models.places import Place, communities_under, under_q

DAYS = Decimal("0.1")
STAGES = [s for s, f in STATE_FLAGS.items() if f.is_open and s != State.DRAFT]
MONEY_KEYS = ("appropriated", "allocated", "released", "spent", "returned", "pledged", "cofunded")
COFUND_KEYS = [k.value for k in ContributorKind]


def place_figures(
    place: Place, start: date, end: date, *, supervisor: bool = False
) -> dict[str, Any]:
    """Every figure of ``place`` for ``start`` … ``end`` (see the module docstring)."""
    # the whole months already summarized are read from the summaries, the rest counted live
    cover = summary.cover(start, end, summary.summarized_before())
    communities = list(communities_under(place).values_list("pk", "place__path"))
    acc: dict[int, Acc] = defaultdict(Acc)
    count_projects(acc, place, start, end)
    by_kind = count_money(acc, place, cover)
    count_evaluations(acc, place, cover)
    count_finished(acc, place, cover)
    if cover.summarized:
        count_summarized(acc, place, cover)
    stays = _stays(place, start, end)

    total = Acc()
    for a in acc.values():
        total.add(a)
    figures: dict[str, Any] = {
        "place": {"id": place.pk, "name": place.name, "kind": place.kind},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "communities": len(communities),
        "projects": total.projects,
        "projects_by_state": {s: total.by_state.get(s, 0) for s in PUBLIC_STATES},
        "projects_by_category": {c: total.by_category.get(c, 0) for c in Project.Category.values},
        "people_served": total.people,
        "money": {k: getattr(total.balances, k) for k in MONEY_KEYS},
        "cofunding_by_kind": _cofunding_by_kind(by_kind),
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
        "median_days_by_stage": {s: _median_days(v) for s, v in stays.items()},
        "stays_by_stage": {s: len(v) for s, v in stays.items()},
        "children": _children_rows(place, communities, acc),
    }
    if supervisor:
        figures["overdue_tasks"] = overdue_tasks(place)
    return figures


def _cofunding_by_kind(by_kind: dict[str, Balances]) -> dict[str, dict[str, Decimal]]:
    """Pledged and received per contributor kind, every known kind a key."""
    kinds = COFUND_KEYS + sorted(k for k in by_kind if k not in COFUND_KEYS)
    return {
        k: {
            "pledged": by_kind.get(k, Balances()).pledged,
            "received": by_kind.get(k, Balances()).cofunded,
        }
        for k in kinds
    }


def _stays(place: Place, start: date, end: date) -> dict[str, list[float]]:
    """The stays in each stage that ended in the period, in days (see the module docstring).

    The database pairs each transition event with the one before it (``LAG`` over the project's
    transition events) and returns only the stays that end in the period."""
    lo, hi = period_bounds(start, end)
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
    by_project, in_order = [F("project_id")], [F("created_at"), F("pk")]
    ended = (
        ProjectEvent.objects.filter(project_id__in=moved)
        .exclude(source="")
        .exclude(target="")
        .exclude(source=F("target"))
        .annotate(
            previous_target=Window(Lag("target"), partition_by=by_project, order_by=in_order),
            previous_at=Window(Lag("created_at"), partition_by=by_project, order_by=in_order),
            # the event's own time, read after the pairing (a window: filtered after it)
            at=Window(Max("created_at"), partition_by=[F("pk")]),
        )
        .filter(previous_target=F("source"), at__gte=lo, at__lt=hi)
        # the stay's length, subtracted by the database: one interval per row comes back
        # instead of two times (reading times is most of the cost over a long period)
        .annotate(length=ExpressionWrapper(F("created_at") - F("previous_at"), DurationField()))
        .values_list("source", "length")
    )
    stays: dict[str, list[float]] = {s: [] for s in STAGES}
    for stage, length in ended:
        if stage in stays:
            stays[stage].append(length.total_seconds() / 86400)
    return stays


def _median_days(stays: list[float]) -> Decimal | None:
    if not stays:
        return None
    return Decimal(str(statistics.median(stays))).quantize(DAYS, rounding=ROUND_HALF_UP)


def _children_rows(
    place: Place, communities: list[tuple[int, str]], acc: dict[int, Acc]
) -> list[dict[str, Any]]:
    """One row per place right below ``place``, its communities' counters folded, ranked."""
    depth = len(place.path)
    per_child: dict[int, Acc] = defaultdict(Acc)
    counts: dict[int, int] = defaultdict(int)
    for cid, path in communities:
        rest = path[depth:].split("/", 1)[0]
        if rest:
            per_child[int(rest)].add(acc.get(cid) or Acc())
            counts[int(rest)] += 1
    rows: list[dict[str, Any]] = []
    for c in place.children.order_by("name").values("pk", "name", "kind"):
        a = per_child[c["pk"]]
        rows.append(
            {
                "id": c["pk"],
                "name": c["name"],
                "kind": c["kind"],
                "communities": counts[c["pk"]],
                "projects": a.projects,
                "allocated": a.balances.allocated,
                "spent": a.balances.spent,
                "ballots": a.ballots,
                "satisfaction_rate": a.satisfaction_rate,
                "turnout": rate(a.ballots, a.eligible),
                "finished": a.finished,
                "on_time_share": rate(a.on_time, a.finished),
            }
        )
    rows.sort(
        key=lambda r: (
            r["satisfaction_rate"] is None,
            -(r["satisfaction_rate"] or 0),
            -r["projects"],
            r["name"],
        )
    )
    return rows


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
