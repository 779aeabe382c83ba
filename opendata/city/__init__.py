"""A whole city at the scale of the source reports, bulk-loaded (``manage.py seed_city``).

Guiyang 2013: 93 communities in 10 districts, 1,241 projects a year, about 2亿 CNY. At
``scale=1``: 3 years of 1,241 projects each (the two past years finished, the current one in
every state), about 100,000 ledger entries a year, 300,000 residents and a million evaluation
ballots. The data is consistent as the services would have left it:

- every project's audit trail is the path of transitions that brought it to its state, hash-
  chained per project (``projects.audit.row_hash``, computed here in bulk, in insertion order);
- every fund's ledger respects the invariants (nothing allocated beyond the appropriation,
  nothing released beyond the allocation, nothing spent beyond what was released) and is hash-
  chained per fund; the audit and ledger tables are only ever inserted into;
- every closed evaluation round holds as many sealed ballots as participations, and its
  ``passed`` follows its counts and rules.

Not seeded: viewflow tasks, budget rounds, evaluation rolls of past rounds (``eligible`` holds
the count), change history. Big tables go in with PostgreSQL's COPY; elsewhere (a small
``--scale`` on SQLite) with ``bulk_create``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from dashboards import summary
from dashboards.models import MonthCount, MonthLedger
from opendata.city.bulk import (
    _skip_row_checks,
    chained,
    check_foreign_keys,
    keep_times,
    load,
    load_tuples,
)
from opendata.city.money import (
    ledger,
)
from opendata.city.rounds import (
    evaluations,
)
from opendata.city.shape import (
    ANY,
    CATEGORIES,
    CITY,
    DISTRICTS,
    FINAL,
    MIN_TURNOUT,
    ORDER,
    PATH,
    STAFF,
    TITLES,
    TZ,
    UNUSABLE,
    Ctx,
    Report,
    Sizes,
    _actor,
)
from projects.ledger.balances import money
from projects.models import (
    Community,
    Membership,
    Project,
    ProjectEvent,
    Role,
    State,
)
from projects.models.places import Place, PlaceKind


def places(ctx: Ctx) -> int:
    """The city, its districts and their communities (no streets: as in Guiyang since 2012)."""
    root = Place.objects.create(kind=PlaceKind.CITY, name=CITY)
    districts = [
        Place.objects.create(
            kind=PlaceKind.DISTRICT,
            name=f"{DISTRICTS[i % len(DISTRICTS)]}{i // len(DISTRICTS) or ''}",
            parent=root,
        )
        for i in range(ctx.sizes.districts)
    ]
    for i in range(ctx.sizes.communities):
        ctx.communities.append(
            Community.objects.create_under(
                districts[i % len(districts)],
                name=f"第{i + 1}社区",
                slug=f"city-{i + 1}",
                min_turnout=MIN_TURNOUT,
            )
        )
    return 1 + len(districts) + len(ctx.communities)


def people(ctx: Ctx) -> int:
    User = get_user_model()
    joined = ctx.now - timedelta(days=3 * 365)
    users: list[tuple[Any, ...]] = []
    plan: list[tuple[int, str]] = []
    per = ctx.sizes.residents // len(ctx.communities)
    for c in ctx.communities:
        for i in range(per):
            users.append((f"{c.slug}-r{i}", UNUSABLE, joined))
            plan.append((c.pk, Role.RESIDENT))
        for role, count in STAFF.items():
            for i in range(count):
                users.append((f"{c.slug}-{role}{i}", UNUSABLE, joined))
                plan.append((c.pk, role))
    n = load_tuples(User, ["username", "password", "date_joined"], users)
    ids = dict(User.objects.filter(username__startswith="city-").values_list("username", "pk"))
    memberships: list[tuple[Any, ...]] = []
    for user, (community_id, role) in zip(users, plan, strict=True):
        uid = ids[user[0]]
        if role == Role.RESIDENT:
            ctx.residents.setdefault(community_id, []).append(uid)
        else:
            ctx.staff.setdefault((community_id, role), []).append(uid)
        household = f"H{uid}" if role == Role.RESIDENT else ""
        memberships.append((uid, role, community_id, household, joined))
    names = ["user_id", "role", "community_id", "household", "created_at"]
    return n + load_tuples(Membership, names, memberships)


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([s for s, _w in table], weights=[w for _s, w in table])[0]


def _story(state: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """The transitions that brought a project to ``state``: (action, source, target)."""
    if state in ORDER:
        return list(PATH[: ORDER.index(State(state)) + 1])
    if state == State.WITHDRAWN:
        at = rng.choice([State.COLLECTING, State.SCREENING, State.ASSESSING])
        return [*PATH[: ORDER.index(at) + 1], ("withdraw", at, State.WITHDRAWN)]
    if state == State.LAPSED:
        return [*PATH[:2], ("expire", State.COLLECTING, State.LAPSED)]
    if state == State.REJECTED:
        return [*PATH[:3], ("reject", State.SCREENING, State.REJECTED)]
    steps = list(PATH)
    if state == State.CLOSED:
        if rng.random() < 0.1:
            steps += [
                ("fail_evaluation", State.EVALUATING, State.RECTIFYING),
                ("finish_rectification", State.RECTIFYING, State.EVALUATING),
            ]
        return [*steps, ("pass_evaluation", State.EVALUATING, State.CLOSED)]
    if state == State.RECTIFYING:
        return [*steps, ("fail_evaluation", State.EVALUATING, State.RECTIFYING)]
    # failed: every rectification round used
    for _ in range(2):
        steps += [
            ("fail_evaluation", State.EVALUATING, State.RECTIFYING),
            ("finish_rectification", State.RECTIFYING, State.EVALUATING),
        ]
    return [*steps, ("fail_final", State.EVALUATING, State.FAILED)]


class _Drawn(NamedTuple):
    """What is drawn at random for one project, in the order it is drawn."""

    state: str
    community: Community
    category: str
    story: list[tuple[str, str, str]]
    start: datetime
    amount: Decimal
    times: list[datetime]  # of each step of the story


def projects(ctx: Ctx) -> int:
    rows: list[Project] = []
    stories: list[list[tuple[str, str, str, datetime]]] = []
    for year in ctx.years:
        table = ANY if year == ctx.years[-1] else FINAL
        for i in range(ctx.sizes.projects_per_year):
            drawn = _draw(ctx, year, table, i)
            rows.append(_project(ctx, drawn))
            stories.append(list(zip(*zip(*drawn.story, strict=True), drawn.times, strict=True)))
    with keep_times(Project):
        n = load(Project, rows)
    ids = list(Project.objects.filter(community__slug__startswith="city-").order_by("pk"))
    for project, story in zip(ids, stories, strict=True):
        ctx.projects.append(project)
        ctx.stories[project.pk] = story
    return n


def _draw(ctx: Ctx, year: int, table: Sequence[tuple[str, int]], i: int) -> _Drawn:
    """The ``i``-th project of ``year``: its state, community, category, story, start, amount
    and the time of each step."""
    rng = ctx.rng
    # each state at least once, then as the weights say
    state = table[i][0] if i < len(table) else _weighted(rng, table)
    community = ctx.communities[rng.randrange(len(ctx.communities))]
    category = rng.choice(CATEGORIES)
    story = _story(state, rng)
    # a year's projects start between January and (for the current year) a month ago
    last_day = (ctx.now - timedelta(days=30 + 6 * len(story))).timetuple().tm_yday
    span = 330 if year != ctx.years[-1] else max(1, min(330, last_day))
    start = datetime(year, 1, 1, 9, tzinfo=TZ) + timedelta(
        days=rng.randrange(span), minutes=rng.randrange(600)
    )
    amount = money(Decimal(rng.randrange(20_000, 400_000)))
    times: list[datetime] = []
    t = start
    for _step in story:
        times.append(t)
        t += timedelta(days=rng.randint(3, 6), hours=rng.randrange(8))
    return _Drawn(state, community, category, story, start, amount, times)


def _project(ctx: Ctx, drawn: _Drawn) -> Project:
    """The project as its story left it (the rest of what it holds drawn here)."""
    rng = ctx.rng
    state, community, category, story, start, amount, times = drawn
    funded = any(a == "approve" for a, _s, _t in story)
    rectifications = sum(1 for a, _s, _t in story if a == "fail_evaluation")
    when = dict(zip([a for a, _s, _t in story], times, strict=False))
    return Project(
        community_id=community.pk,
        proposer_id=rng.choice(ctx.residents[community.pk]),
        title=f"{community.name}{TITLES[category]}",
        summary=f"{TITLES[category]}：居民提议，改善社区公共生活。",
        category=category,
        estimated_cost=amount,
        state=state,
        cosign_count=10 if "reach_threshold" in when else rng.randrange(10),
        submitted_at=when.get("submit"),
        # a window still open ends in the future: the clock does not lapse seeded data
        cosign_deadline=(
            ctx.now + timedelta(days=7)
            if state == State.COLLECTING
            else when["submit"] + timedelta(days=14)
            if "submit" in when
            else None
        ),
        assessed_cost=amount if "assess" in when else None,
        plan="按评估方案实施" if "assess" in when else "",
        duration_days=rng.choice([20, 30, 45, 60]) if "assess" in when else None,
        people_served=rng.randrange(200, 5000) if "assess" in when else None,
        approved_amount=amount if funded else None,
        decided_at=when.get("approve"),
        publicity_ends_at=when["approve"] + timedelta(days=7) if funded else None,
        executor_id=ctx.staff[(community.pk, Role.CLERK)][0] if funded else None,
        delivered_at=when.get("deliver"),
        delivery_report="已完工" if "deliver" in when else "",
        rectification_count=rectifications,
        closed_at=times[-1] if state in {s for s, _w in FINAL} else None,
        created_at=start,
        updated_at=times[-1],
    )


def events(ctx: Ctx) -> int:
    rows: list[ProjectEvent] = []
    for project in ctx.projects:
        for action, source, target, at in ctx.stories[project.pk]:
            rows.append(
                ProjectEvent(
                    project_id=project.pk,
                    actor_id=_actor(ctx, project, action),
                    action=action,
                    source=source,
                    target=target,
                    amount=project.approved_amount if action == "approve" else None,
                    created_at=at,
                )
            )
    return load(ProjectEvent, chained(rows, "project_id"))


def _summaries() -> int:
    """The dashboards' monthly summaries of the months that are over, recounted in SQL."""
    summary.build()
    return MonthLedger.objects.count() + MonthCount.objects.count()


def seed(scale: float, *, out: Callable[[str], None], seed: int = 2013) -> Report:
    sizes = Sizes.at(scale)
    now = timezone.now()
    this_year = timezone.localdate().year
    ctx = Ctx(
        sizes=sizes,
        rng=random.Random(seed),
        now=now,
        years=[this_year - 2, this_year - 1, this_year],
    )
    report = Report()
    with transaction.atomic():
        unchecked = _skip_row_checks()
        report.timed("places", lambda: places(ctx), out)
        report.timed("residents and staff", lambda: people(ctx), out)
        report.timed("projects", lambda: projects(ctx), out)
        report.timed("audit events", lambda: events(ctx), out)
        report.timed("ledger", lambda: ledger(ctx), out)
        report.timed("evaluations", lambda: evaluations(ctx), out)
        if unchecked:
            report.timed("foreign keys checked", check_foreign_keys, out)
    report.timed("dashboard summaries", _summaries, out)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute("ANALYZE")
            out(f"{'analyze':<24} {'':>10}      {time.perf_counter() - started:7.1f} s")
    return report
