"""Every figure of ``dashboards.figures.place_figures`` equals a recount written differently
(Python loops over plain rows, its own table of what each entry kind moves), on generated data;
the query count does not grow with the data."""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dashboards import summary
from dashboards.figures import place_figures
from dashboards.models import MonthCount, MonthLedger
from deliberation.models import EvaluationBallot, EvaluationRound
from projects.models import Community, Fund, LedgerEntry, Project, ProjectEvent, Street
from projects.models.places import Place, PlaceKind

pytestmark = pytest.mark.django_db

START, END = date(2025, 1, 1), date(2025, 12, 31)
PATH = [
    "draft",
    "collecting",
    "screening",
    "assessing",
    "deliberating",
    "deciding",
    "publicizing",
    "executing",
    "evaluating",
    "closed",
]
ENDS = {"lapsed": 1, "rejected": 2, "failed": 8, "withdrawn": 3}
TZ = timezone.get_default_timezone()


def _at(rng: random.Random) -> datetime:
    day = date(2024, 10, 1) + timedelta(days=rng.randrange(540))
    return datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=TZ)


def build(seed: int, per_community: int) -> dict[str, Any]:
    rng = random.Random(seed)
    users = get_user_model().objects
    who = users.create_user(username=f"gen{seed}-{per_community}")
    city = Place.objects.create(kind=PlaceKind.CITY, name=f"市{seed}")
    d1 = Place.objects.create(kind=PlaceKind.DISTRICT, name="一区", parent=city)
    d2 = Place.objects.create(kind=PlaceKind.DISTRICT, name="二区", parent=city)
    s1 = Street.objects.create(name=f"东街道{seed}", parent=d1)
    s2 = Street.objects.create(name=f"西街道{seed}", parent=d1)
    parents = [s1, s1, s2, s2, d2]
    communities = [
        Community.objects.create_under(
            p, name=f"社区{seed}-{i}", slug=f"g{seed}-{per_community}-{i}"
        )
        for i, p in enumerate(parents)
    ]
    kinds = ["unit", "company", "resident"]
    for c in communities:
        fund = Fund.objects.create(community=c, year=2025)
        for n in range(per_community):
            final = rng.choice(PATH[1:] + list(ENDS))
            submitted = _at(rng)
            p = Project.objects.create(
                community=c,
                proposer=who,
                title=f"项目{n}号测试",
                summary="生成的测试项目内容",
                category=rng.choice(Project.Category.values),
                people_served=rng.choice([None, rng.randrange(10, 5000)]),
                duration_days=rng.choice([None, rng.randrange(5, 90)]),
            )
            steps = (
                PATH[: PATH.index(final) + 1]
                if final in PATH
                else [*PATH[: ENDS[final] + 1], final]
            )
            t = submitted
            events = []
            for a, b in itertools.pairwise(steps):
                events.append(
                    ProjectEvent(project=p, actor=who, action=b, source=a, target=b, created_at=t)
                )
                if rng.random() < 0.3:  # a comment: no transition
                    events.append(
                        ProjectEvent(
                            project=p,
                            actor=who,
                            action="comment",
                            source=b,
                            target=b,
                            created_at=t + timedelta(hours=1),
                        )
                    )
                t = t + timedelta(days=rng.randrange(0, 40), hours=rng.randrange(24))
            ProjectEvent.objects.bulk_create(events)
            closed_at = (
                events[-1].created_at + timedelta(hours=2)
                if final in ("closed", "failed")
                else None
            )
            Project.objects.filter(pk=p.pk).update(
                state=final, submitted_at=submitted, closed_at=closed_at
            )
            if final in ("closed", "failed"):
                r = EvaluationRound.objects.create(
                    project=p,
                    number=1,
                    opens_at=closed_at - timedelta(days=7),
                    closes_at=closed_at,
                    closed_at=closed_at,
                    eligible=rng.randrange(20, 60),
                    passed=final == "closed",
                )
                EvaluationBallot.objects.bulk_create(
                    EvaluationBallot(
                        round=r,
                        choice=rng.choice(["satisfied", "basically_satisfied", "dissatisfied"]),
                    )
                    for _ in range(rng.randrange(0, 20))
                )
            for _ in range(rng.randrange(0, 4)):
                kind = rng.choice(
                    [
                        "allocation",
                        "advance_release",
                        "expenditure",
                        "return_unspent",
                        "cofund_pledge",
                        "cofund_receipt",
                        "return_unreleased",
                    ]
                )
                extra: dict[str, Any] = {}
                if kind == "expenditure":
                    extra = {"payee": "甲", "paid_on": START, "receipt": "r.pdf"}
                if kind.startswith("cofund"):
                    extra = {
                        "contributor": "乙",
                        "contributor_kind": rng.choice(kinds),
                        "in_kind": kind == "cofund_receipt" and rng.random() < 0.3,
                    }
                e = LedgerEntry.objects.create(
                    fund=fund,
                    project=p,
                    kind=kind,
                    actor=who,
                    amount=Decimal(rng.randrange(100, 99999)) / 100,
                    created_at=_at(rng),
                    **extra,
                )
                if rng.random() < 0.2:
                    LedgerEntry.objects.create(
                        fund=fund,
                        kind="reversal",
                        reverses=e,
                        actor=who,
                        amount=e.amount,
                        created_at=_at(rng),
                    )
        for _ in range(2):
            LedgerEntry.objects.create(
                fund=fund,
                kind="appropriation",
                actor=who,
                amount=Decimal(rng.randrange(10**5, 10**7)) / 100,
                created_at=_at(rng),
            )
    return {"city": city, "d1": d1, "d2": d2, "s1": s1, "s2": s2, "communities": communities}


# --- the recount: plain rows, loops, its own table ----------------------------------------------
MOVES = {  # what each kind does to (appropriated, allocated, released, spent, returned, pledged, cofunded)
    "appropriation": (1, 0, 0, 0, 0, 0, 0),
    "carry_over": (1, 0, 0, 0, 0, 0, 0),
    "carry_forward": (-1, 0, 0, 0, 0, 0, 0),
    "allocation": (0, 1, 0, 0, 0, 0, 0),
    "advance_release": (0, 0, 1, 0, 0, 0, 0),
    "holdback_release": (0, 0, 1, 0, 0, 0, 0),
    "expenditure": (0, 0, 0, 1, 0, 0, 0),
    "return_unreleased": (0, -1, 0, 0, 1, 0, 0),
    "return_unspent": (0, -1, -1, 0, 1, 0, 0),
    "cofund_pledge": (0, 0, 0, 0, 0, 1, 0),
    "cofund_receipt": (0, 0, 0, 0, 0, 0, 1),
}
NAMES = ("appropriated", "allocated", "released", "spent", "returned", "pledged", "cofunded")


def within(when: datetime | None, start: date = START, end: date = END) -> bool:
    return when is not None and start <= timezone.localtime(when, TZ).date() <= end


def rate(a: int, b: int) -> Decimal | None:
    return None if b == 0 else (Decimal(a) / Decimal(b)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def recount(place: Place, start: date = START, end: date = END) -> dict[str, Any]:
    def in_period(when: datetime | None) -> bool:
        return within(when, start, end)

    mine = set()
    for c in Community.objects.select_related("place"):
        node: Place | None = c.place
        while node is not None:
            if node.pk == place.pk:
                mine.add(c.pk)
            node = node.parent
    projects = [p for p in Project.objects.all() if p.community_id in mine]
    period = [
        p for p in projects if in_period(p.submitted_at) and p.state not in ("draft", "withdrawn")
    ]
    by_state: dict[str, int] = {}
    for p in period:
        by_state[p.state] = by_state.get(p.state, 0) + 1
    money = dict.fromkeys(NAMES, Decimal("0.00"))
    cof: dict[str, dict[str, Decimal]] = {}
    for e in LedgerEntry.objects.select_related("fund", "reverses"):
        if e.fund.community_id not in mine or not in_period(e.created_at):
            continue
        orig, sign = (e.reverses, -1) if e.kind == "reversal" else (e, 1)
        for name, m in zip(NAMES, MOVES[orig.kind], strict=True):
            money[name] += sign * m * e.amount
        if orig.kind.startswith("cofund"):
            slot = cof.setdefault(
                orig.contributor_kind, {"pledged": Decimal("0.00"), "received": Decimal("0.00")}
            )
            slot["pledged" if orig.kind == "cofund_pledge" else "received"] += sign * e.amount
    ballots = choices = eligible = 0
    good = 0
    for r in EvaluationRound.objects.all():
        if r.project.community_id in mine and in_period(r.closed_at):
            eligible += r.eligible
            for b in EvaluationBallot.objects.filter(round=r):
                ballots += 1
                good += b.choice in ("satisfied", "basically_satisfied")
    finished = on_time = 0
    for p in projects:
        if p.state == "closed" and in_period(p.closed_at):
            finished += 1
            starts = [e.created_at for e in p.events.all() if e.target == "executing"]
            if (
                starts
                and p.duration_days is not None
                and p.closed_at <= min(starts) + timedelta(days=p.duration_days)
            ):
                on_time += 1
    stays: dict[str, list[float]] = {}
    for p in projects:
        if p.state in ("draft", "withdrawn"):  # not public: their audit events are not open data
            continue
        moves = sorted(
            (e for e in p.events.all() if e.source and e.target and e.source != e.target),
            key=lambda e: (e.created_at, e.pk),
        )
        for a, b in itertools.pairwise(moves):
            if a.target == b.source and in_period(b.created_at) and b.source != "draft":
                stays.setdefault(b.source, []).append(
                    (b.created_at - a.created_at).total_seconds() / 86400
                )
    del choices
    return {
        "communities": len(mine),
        "projects": len(period),
        "by_state": by_state,
        "people_served": sum(p.people_served or 0 for p in period if p.state == "closed"),
        "money": money,
        "cofunding": cof,
        "ballots": ballots,
        "eligible": eligible,
        "satisfaction_rate": rate(good, ballots),
        "turnout": rate(ballots, eligible),
        "finished": finished,
        "on_time": on_time,
        "medians": {
            s: Decimal(str(statistics.median(v))).quantize(Decimal("0.1"), ROUND_HALF_UP)
            for s, v in stays.items()
        },
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_every_figure_equals_a_recount(seed: int) -> None:
    tree = build(seed, per_community=8)
    for key in ("city", "d1", "d2", "s1", "s2"):
        place = tree[key]
        assert_same(place_figures(place, START, END), recount(place), key)
    city = place_figures(tree["city"], START, END)
    # the ranking: one row per district, which add up to the city
    assert {r["name"] for r in city["children"]} == {"一区", "二区"}
    assert sum(r["projects"] for r in city["children"]) == city["projects"]
    assert sum(r["spent"] for r in city["children"]) == city["money"]["spent"]
    assert city["projects"] > 0 and city["evaluation"]["ballots"] > 0 and city["finished"] > 0
    assert recount(tree["city"])["medians"] and city["money"]["spent"] > 0
    assert city["cofunding_by_kind"]["company"]["received"] != 0 or any(
        v["pledged"] for v in city["cofunding_by_kind"].values()
    )


def assert_same(got: dict[str, Any], want: dict[str, Any], key: str) -> None:
    if True:
        assert got["communities"] == want["communities"], key
        assert got["projects"] == want["projects"], key
        assert {s: n for s, n in got["projects_by_state"].items() if n} == want["by_state"], key
        assert sum(got["projects_by_category"].values()) == want["projects"], key
        assert got["people_served"] == want["people_served"], key
        assert got["money"] == want["money"], key
        for kind, slot in want["cofunding"].items():
            assert got["cofunding_by_kind"][kind] == slot, (key, kind)
        assert got["evaluation"]["ballots"] == want["ballots"], key
        assert got["evaluation"]["eligible"] == want["eligible"], key
        assert got["satisfaction_rate"] == want["satisfaction_rate"], key
        assert got["turnout"] == want["turnout"], key
        assert (got["finished"], got["finished_on_time"]) == (want["finished"], want["on_time"]), (
            key
        )
        assert {s: d for s, d in got["median_days_by_stage"].items() if d is not None} == want[
            "medians"
        ], key


def operate(tree: dict[str, Any], rng: random.Random) -> None:
    """Random writes stamped in the current month (after the summaries were built): new and
    closed projects with their trail, a counted round, ledger entries and reversals."""
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    elapsed = max(1, int((now - month_start).total_seconds()))

    def at() -> datetime:
        return now - timedelta(seconds=rng.randrange(min(elapsed, 3 * 86400)))

    who = get_user_model().objects.create_user(username=f"op{rng.random()}")
    for c in tree["communities"]:
        fund = Fund.objects.get_or_create(community=c, year=timezone.localdate().year)[0]
        for n in range(3):
            final = rng.choice(["collecting", "executing", "closed"])
            p = Project.objects.create(
                community=c,
                proposer=who,
                title=f"本月项目{n}号",
                summary="本月生成的测试项目",
                category=rng.choice(Project.Category.values),
                people_served=rng.randrange(10, 500),
                duration_days=rng.choice([None, 1, 30]),
            )
            steps = PATH[: PATH.index(final) + 1]
            times = sorted(at() for _ in steps)
            ProjectEvent.objects.bulk_create(
                ProjectEvent(project=p, actor=who, action=b, source=a, target=b, created_at=t)
                for (a, b), t in zip(itertools.pairwise(steps), times, strict=False)
            )
            closed_at = times[-1] if final == "closed" else None
            Project.objects.filter(pk=p.pk).update(
                state=final, submitted_at=times[0], closed_at=closed_at
            )
            if closed_at is not None:
                r = EvaluationRound.objects.create(
                    project=p,
                    number=1,
                    opens_at=closed_at,
                    closes_at=closed_at,
                    closed_at=closed_at,
                    eligible=rng.randrange(20, 60),
                    passed=True,
                )
                EvaluationBallot.objects.bulk_create(
                    EvaluationBallot(round=r, choice=rng.choice(["satisfied", "dissatisfied"]))
                    for _ in range(rng.randrange(1, 15))
                )
        for kind in ("appropriation", "cofund_pledge", "cofund_receipt", "expenditure"):
            extra: dict[str, Any] = {}
            if kind == "expenditure":
                extra = {"payee": "甲", "paid_on": START, "receipt": "r.pdf", "project": p}
            if kind.startswith("cofund"):
                extra = {"contributor": "乙", "contributor_kind": "unit", "project": p}
            e = LedgerEntry.objects.create(
                fund=fund,
                kind=kind,
                actor=who,
                amount=Decimal(rng.randrange(100, 99999)) / 100,
                created_at=at(),
                **extra,
            )
            if rng.random() < 0.5:
                LedgerEntry.objects.create(
                    fund=fund, kind="reversal", reverses=e, actor=who, amount=e.amount
                )


def test_figures_through_the_monthly_summaries_equal_a_recount() -> None:
    """The whole months of a period come from the summaries, the rest is counted live: every
    figure still equals the recount, for whole years and for periods cut mid-month, with the
    summaries built at two dates, and after writes in the current month."""
    tree = build(5, per_community=8)
    today = timezone.localdate()
    periods = [
        (START, END),
        (date(2025, 2, 14), date(2025, 11, 20)),
        (date(2024, 10, 1), today),
    ]
    for built_on in (date(2025, 7, 10), today):
        summary.build(today=built_on)
        assert MonthLedger.objects.exists() and MonthCount.objects.exists()
        for start, end in periods:
            assert summary.cover(start, end, summary.summarized_before()).summarized
            for key in ("city", "d1", "s2"):
                got = place_figures(tree[key], start, end)
                assert_same(got, recount(tree[key], start, end), f"{key} {start} {end}")
    operate(tree, random.Random(6))
    this_year = (date(today.year, 1, 1), date(today.year, 12, 31))
    this_month = (today.replace(day=1), today)
    for start, end in [*periods, this_year, this_month]:
        for key in ("city", "d2", "s1"):
            got = place_figures(tree[key], start, end)
            assert_same(got, recount(tree[key], start, end), f"{key} {start} {end}")
    city = place_figures(tree["city"], *this_month)
    assert city["money"]["appropriated"] > 0 and city["evaluation"]["ballots"] > 0
    # the summaries alone are what the month figures read: emptied, the past changes, the
    # current month does not
    summarized = place_figures(tree["city"], START, END)
    MonthLedger.objects.all().delete()
    assert place_figures(tree["city"], START, END)["money"] != summarized["money"]
    assert place_figures(tree["city"], *this_month)["money"] == city["money"]


def test_query_count_does_not_grow_with_the_data(django_assert_max_num_queries: Any) -> None:
    small = build(3, per_community=2)
    with django_assert_max_num_queries(15) as small_ctx:
        place_figures(small["city"], START, END)
    big = build(4, per_community=12)
    with django_assert_max_num_queries(len(small_ctx.captured_queries)):
        figures = place_figures(big["city"], START, END)
    assert figures["projects"] > 0
