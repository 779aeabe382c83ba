"""Every dashboard figure recomputed from the open-data files alone: the ``csv`` module and the
definitions written in ``dashboards/figures.py`` (its docstring), no database, no ORM.

``figures(folder, place_id, start, end)`` reads ``places.csv``, ``communities.csv``,
``projects.csv``, ``ledger.csv``, ``audit.csv`` and ``evaluations.csv`` from ``folder`` (a
downloaded snapshot), and the code lists (public states, stages, categories, choices,
contributor kinds) from its data dictionary ``dictionary.json``; it returns the same keys as
``place_figures`` (but ``overdue_tasks``, which is not open data, and ``place``/``period``, which are the question). ``differences``
compares two such dicts and lists every figure that is not equal.
"""

from __future__ import annotations

import csv
import itertools
import json
import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
RATE = Decimal("0.0001")
DAYS = Decimal("0.1")
ZERO = Decimal("0.00")
# The ledger's table (DESIGN.md, Money): how each kind of entry moves each balance.
EFFECTS: dict[str, dict[str, int]] = {
    "appropriation": {"appropriated": 1},
    "carry_over": {"appropriated": 1},
    "carry_forward": {"appropriated": -1},
    "allocation": {"allocated": 1},
    "advance_release": {"released": 1},
    "holdback_release": {"released": 1},
    "expenditure": {"spent": 1},
    "return_unreleased": {"allocated": -1, "returned": 1},
    "return_unspent": {"allocated": -1, "released": -1, "returned": 1},
    "cofund_pledge": {"pledged": 1},
    "cofund_receipt": {"cofunded": 1},
}
MONEY_KEYS = ("appropriated", "allocated", "released", "spent", "returned", "pledged", "cofunded")
COFUND_KINDS = ("cofund_pledge", "cofund_receipt")


def codes(folder: Path) -> dict[str, list[str]]:
    """The code lists of the snapshot's data dictionary (``dictionary.json``): the public
    states, the stages, the categories, the evaluation choices and the contributor kinds."""
    words = json.loads((folder / "dictionary.json").read_text(encoding="utf-8"))
    return {k: list(v) for k, v in words["codes"].items()}


def rows(folder: Path, name: str) -> Iterator[dict[str, str]]:
    with (folder / name).open(newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def when(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


class Acc:
    def __init__(self) -> None:
        self.projects = 0
        self.by_state: dict[str, int] = defaultdict(int)
        self.by_category: dict[str, int] = defaultdict(int)
        self.people = 0
        self.money: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.rounds = 0
        self.eligible = 0
        self.choices: dict[str, int] = defaultdict(int)
        self.finished = 0
        self.on_time = 0

    @property
    def ballots(self) -> int:
        return sum(self.choices.values())

    @property
    def satisfaction(self) -> Decimal | None:
        return rate(self.choices["satisfied"] + self.choices["basically_satisfied"], self.ballots)

    def add(self, a: Acc) -> None:
        """Add another accumulator's counts and sums to this one."""
        self.projects += a.projects
        for k, v in a.by_state.items():
            self.by_state[k] += v
        for k, v in a.by_category.items():
            self.by_category[k] += v
        self.people += a.people
        for k, m in a.money.items():
            self.money[k] += m
        self.rounds += a.rounds
        self.eligible += a.eligible
        for k, v in a.choices.items():
            self.choices[k] += v
        self.finished += a.finished
        self.on_time += a.on_time


class _Period:
    """The days ``start`` to ``end`` (both included) as a half-open interval of Beijing times."""

    def __init__(self, start: date, end: date) -> None:
        self.lo = datetime.combine(start, time.min, TZ)
        self.hi = datetime.combine(end + timedelta(days=1), time.min, TZ)

    def inside(self, t: datetime | None) -> bool:
        return t is not None and self.lo <= t < self.hi


# A project's (closed_at, duration_days, state), for the share finished on time.
_Duration = tuple[datetime | None, int | None, str]
# An audit event that changes the state: (created_at, event_id, source, target).
_Step = tuple[datetime, int, str, str]


class _Read:
    """What ``figures`` reads from the files of one place: its communities, the accumulators of
    each, and what the later steps need of the earlier ones."""

    def __init__(self, folder: Path, place_id: int, period: _Period) -> None:
        self.folder = folder
        self.period = period
        self.children, self.communities = _communities(folder, place_id)
        self.acc: dict[str, Acc] = defaultdict(Acc)
        self.community_of_project: dict[str, str] = {}
        self.duration: dict[str, _Duration] = {}
        self.started: dict[str, datetime] = {}


def _communities(folder: Path, place_id: int) -> tuple[list[dict[str, str]], dict[str, int | None]]:
    """The place's children (by name), and its communities: slug -> the child they are under
    (``None`` for a community that is the place itself)."""
    places = {int(r["place_id"]): r for r in rows(folder, "places.csv")}
    root = places[place_id]["path"]
    children = sorted(
        (p for p in places.values() if p["parent_id"] == str(place_id)), key=lambda p: p["name"]
    )
    communities: dict[str, int | None] = {}  # slug -> child place id
    for c in rows(folder, "communities.csv"):
        path = c["place_path"]
        if path.startswith(root):
            rest = path[len(root) :].split("/", 1)[0]
            communities[c["community"]] = int(rest) if rest else None
    return children, communities


def _read_projects(r: _Read, public_states: list[str]) -> None:
    """Projects submitted in the period, by state and category; people served by closed ones."""
    for p in rows(r.folder, "projects.csv"):
        slug = p["community"]
        r.community_of_project[p["project_id"]] = slug
        if slug not in r.communities:
            continue
        r.duration[p["project_id"]] = (
            when(p["closed_at"]),
            int(p["duration_days"]) if p["duration_days"] else None,
            p["state"],
        )
        if p["state"] in public_states and r.period.inside(when(p["submitted_at"])):
            a = r.acc[slug]
            a.projects += 1
            a.by_state[p["state"]] += 1
            a.by_category[p["category"]] += 1
            if p["state"] == "closed" and p.get("people_served"):
                a.people += int(p["people_served"])


def _read_ledger(r: _Read) -> dict[str, dict[str, Decimal]]:
    """Money moved in the period; co-funding by contributor kind (returned)."""
    by_id: dict[str, tuple[str, str]] = {}  # entry -> (kind, contributor_kind)
    cofunding: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for e in rows(r.folder, "ledger.csv"):
        by_id[e["entry_id"]] = (e["kind"], e["contributor_kind"])
        if e["community"] not in r.communities or not r.period.inside(when(e["created_at"])):
            continue
        kind, contributor_kind, sign = e["kind"], e["contributor_kind"], 1
        if kind == "reversal":
            kind, contributor_kind = by_id[e["reverses"]]
            sign = -1
        amount = Decimal(e["amount"])
        for balance, effect in EFFECTS[kind].items():
            r.acc[e["community"]].money[balance] += sign * effect * amount
        if kind in COFUND_KINDS:
            key = "pledged" if kind == "cofund_pledge" else "received"
            cofunding[contributor_kind][key] += sign * amount
    return cofunding


def _read_evaluations(r: _Read, choice_codes: list[str]) -> None:
    """Evaluation rounds closed in the period: eligible voters and ballots per choice."""
    for row in rows(r.folder, "evaluations.csv"):
        if row["community"] not in r.communities or not r.period.inside(when(row["closed_at"])):
            continue
        a = r.acc[row["community"]]
        a.rounds += 1
        a.eligible += int(row["eligible"])
        for choice in choice_codes:
            a.choices[choice] += int(row[choice])


def _read_audit(r: _Read) -> dict[str, list[_Step]]:
    """Audit events: the start of execution (kept in ``r.started``), and each project's changes
    of state (returned), to measure the stays in each stage."""
    trail: dict[str, list[_Step]] = defaultdict(list)
    for ev in rows(r.folder, "audit.csv"):
        pid = ev["project_id"]
        if r.community_of_project.get(pid) not in r.communities:
            continue
        at = when(ev["created_at"])
        assert at is not None
        if ev["target"] == "executing" and (pid not in r.started or at < r.started[pid]):
            r.started[pid] = at
        if ev["source"] and ev["target"] and ev["source"] != ev["target"]:
            trail[pid].append((at, int(ev["event_id"]), ev["source"], ev["target"]))
    return trail


def _stays(
    trail: dict[str, list[_Step]], stages: list[str], period: _Period
) -> dict[str, list[float]]:
    """The stays (in days) in each stage that ended in the period."""
    stays: dict[str, list[float]] = {s: [] for s in stages}
    for events in trail.values():
        events.sort()
        if not any(period.inside(e[0]) for e in events):
            continue
        for before, after in itertools.pairwise(events):
            if before[3] == after[2] and after[2] in stays and period.inside(after[0]):
                stays[after[2]].append((after[0] - before[0]).total_seconds() / 86400)
    return stays


def _count_finished(r: _Read) -> None:
    """Projects closed in the period, and those finished within their duration from the start
    of execution."""
    for pid, (closed_at, days, state) in r.duration.items():
        if state != "closed" or not r.period.inside(closed_at):
            continue
        a = r.acc[r.community_of_project[pid]]
        a.finished += 1
        start_at = r.started.get(pid)
        if start_at is not None and days is not None and closed_at is not None:
            a.on_time += closed_at <= start_at + timedelta(days=days)


def _totals(r: _Read) -> tuple[Acc, dict[int, Acc]]:
    """The communities' accumulators summed for the whole place and for each child."""
    total = Acc()
    per_child: dict[int, Acc] = defaultdict(Acc)
    for slug, a in r.acc.items():
        targets = [total]
        if r.communities.get(slug) is not None:
            targets.append(per_child[r.communities[slug]])  # type: ignore[index]
        for t in targets:
            t.add(a)
    return total, per_child


def _children_rows(r: _Read, per_child: dict[int, Acc]) -> list[dict[str, Any]]:
    """One row per child place, the most satisfied first."""
    counts: dict[int, int] = defaultdict(int)
    for child in r.communities.values():
        if child is not None:
            counts[child] += 1
    children_rows: list[dict[str, Any]] = []
    for c in r.children:
        a = per_child[int(c["place_id"])]
        children_rows.append(
            {
                "id": int(c["place_id"]),
                "name": c["name"],
                "kind": c["kind"],
                "communities": counts[int(c["place_id"])],
                "projects": a.projects,
                "allocated": a.money["allocated"],
                "spent": a.money["spent"],
                "ballots": a.ballots,
                "satisfaction_rate": a.satisfaction,
                "turnout": rate(a.ballots, a.eligible),
                "finished": a.finished,
                "on_time_share": rate(a.on_time, a.finished),
            }
        )
    children_rows.sort(
        key=lambda row: (
            row["satisfaction_rate"] is None,
            -(row["satisfaction_rate"] or 0),
            -row["projects"],
            row["name"],
        )
    )
    return children_rows


def _cofunding_by_kind(
    cofunding: dict[str, dict[str, Decimal]], contributor_kinds: list[str]
) -> dict[str, dict[str, Decimal]]:
    """Pledged and received per contributor kind: the dictionary's kinds, then any other."""
    kinds = contributor_kinds + sorted(k for k in cofunding if k not in contributor_kinds)
    return {
        k: {"pledged": cofunding[k]["pledged"], "received": cofunding[k]["received"]} for k in kinds
    }


def _medians(stays: dict[str, list[float]]) -> dict[str, Decimal | None]:
    """The median stay in each stage, in days to a tenth."""
    return {
        s: Decimal(str(statistics.median(v))).quantize(DAYS, rounding=ROUND_HALF_UP) if v else None
        for s, v in stays.items()
    }


def figures(folder: Path, place_id: int, start: date, end: date) -> dict[str, Any]:
    code = codes(folder)
    public_states, choice_codes = code["public_states"], code["choices"]
    r = _Read(folder, place_id, _Period(start, end))
    _read_projects(r, public_states)
    cofunding = _read_ledger(r)
    _read_evaluations(r, choice_codes)
    stays = _stays(_read_audit(r), code["stages"], r.period)
    _count_finished(r)
    total, per_child = _totals(r)
    return {
        "communities": len(r.communities),
        "projects": total.projects,
        "projects_by_state": {s: total.by_state.get(s, 0) for s in public_states},
        "projects_by_category": {c: total.by_category.get(c, 0) for c in code["categories"]},
        "people_served": total.people,
        "money": {k: total.money[k] for k in MONEY_KEYS},
        "cofunding_by_kind": _cofunding_by_kind(cofunding, code["contributor_kinds"]),
        "evaluation": {
            "rounds": total.rounds,
            "eligible": total.eligible,
            "ballots": total.ballots,
            **{c: total.choices.get(c, 0) for c in choice_codes},
        },
        "satisfaction_rate": total.satisfaction,
        "turnout": rate(total.ballots, total.eligible),
        "finished": total.finished,
        "finished_on_time": total.on_time,
        "on_time_share": rate(total.on_time, total.finished),
        "median_days_by_stage": _medians(stays),
        "stays_by_stage": {s: len(v) for s, v in stays.items()},
        "children": _children_rows(r, per_child),
    }


def differences(published: Any, recomputed: Any, where: str = "") -> list[str]:
    """Every figure that differs, as ``path: published != recomputed``."""
    if isinstance(published, dict) and isinstance(recomputed, dict):
        out: list[str] = []
        for key in sorted(set(published) | set(recomputed), key=str):
            if key in ("place", "period", "overdue_tasks"):
                continue
            if key not in recomputed or key not in published:
                out.append(f"{where}{key}: only on one side")
                continue
            out += differences(published[key], recomputed[key], f"{where}{key}.")
        return out
    if isinstance(published, list) and isinstance(recomputed, list):
        if len(published) != len(recomputed):
            return [f"{where.rstrip('.')}: {len(published)} rows != {len(recomputed)} rows"]
        out = []
        for i, (a, b) in enumerate(zip(published, recomputed, strict=True)):
            out += differences(a, b, f"{where}{i}.")
        return out
    if _same(published, recomputed):
        return []
    return [f"{where.rstrip('.')}: published {published} != recomputed {recomputed}"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)):
        return Decimal(a) == Decimal(b)
    return bool(a == b)
