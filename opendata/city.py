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

import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from dashboards import summary
from dashboards.models import MonthCount, MonthLedger
from deliberation.models import EvaluationBallot, EvaluationParticipation, EvaluationRound
from projects.audit import GENESIS, row_hash
from projects.ledger.balances import money
from projects.models import (
    Community,
    Fund,
    LedgerEntry,
    Membership,
    Project,
    ProjectEvent,
    Role,
    State,
)
from projects.models.money import ContributorKind, EntryKind
from projects.models.places import Place, PlaceKind

TZ = ZoneInfo("Asia/Shanghai")
CITY = "筑城市"
DISTRICTS = [
    "云岩区",
    "南明区",
    "花溪区",
    "乌当区",
    "白云区",
    "观山湖区",
    "清镇区",
    "修文区",
    "开阳区",
    "息烽区",
]
CATEGORIES = [c for c, _label in Project.Category.choices]
TITLES = {
    "lighting": "楼道声控灯更换",
    "roads": "小区道路修补",
    "elderly": "老年食堂助餐",
    "fitness": "健身器材更新",
    "drainage": "雨污管网疏通",
    "greening": "楼间绿地改造",
    "safety": "消防通道整治",
    "children": "儿童活动室",
    "other": "公共空间改造",
}
# Where a project ends (past years) and where it may stand (the current year), with weights.
FINAL: list[tuple[str, int]] = [
    (State.CLOSED, 70),
    (State.FAILED, 3),
    (State.REJECTED, 10),
    (State.LAPSED, 10),
    (State.WITHDRAWN, 7),
]
ANY: list[tuple[str, int]] = [
    *FINAL,
    *[(s, 6) for s in State.values if s not in {f for f, _w in FINAL}],
]
# The happy path: (action, source, target), up to evaluation (after acceptance).
PATH = [
    ("create", "", State.DRAFT),
    ("submit", State.DRAFT, State.COLLECTING),
    ("reach_threshold", State.COLLECTING, State.SCREENING),
    ("accept", State.SCREENING, State.ASSESSING),
    ("assess", State.ASSESSING, State.DELIBERATING),
    ("recommend", State.DELIBERATING, State.DECIDING),
    ("approve", State.DECIDING, State.PUBLICIZING),
    ("start_execution", State.PUBLICIZING, State.EXECUTING),
    ("deliver", State.EXECUTING, State.ACCEPTING),
    ("accepted", State.ACCEPTING, State.EVALUATING),
]
ORDER = [target for _a, _s, target in PATH]
ACTOR = {
    "create": Role.RESIDENT,
    "submit": Role.RESIDENT,
    "withdraw": Role.RESIDENT,
    "reach_threshold": None,
    "expire": None,
    "accept": Role.CLERK,
    "reject": Role.CLERK,
    "assess": Role.CLERK,
    "recommend": Role.COUNCIL,
    "approve": Role.COMMITTEE,
    "start_execution": Role.CLERK,
    "deliver": Role.CLERK,
    "accepted": None,
    "pass_evaluation": None,
    "fail_evaluation": None,
    "fail_final": None,
    "finish_rectification": Role.CLERK,
}
STAFF: dict[str, int] = {Role.COUNCIL: 5, Role.COMMITTEE: 7, Role.CLERK: 2}
PAYEES = [
    "筑城建设工程有限公司",
    "黔中市政维修队",
    "安居物业服务中心",
    "绿源园林公司",
    "康乐养老服务社",
]
UNITS = [
    ("驻区单位：市第二人民医院", ContributorKind.UNIT),
    ("黔南电力公司", ContributorKind.COMPANY),
]
UNUSABLE = "!"  # no password: seeded people cannot log in
CHOICES = ["satisfied", "basically_satisfied", "dissatisfied"]
# The city's communities ask 10 % of their residents to evaluate (the default is 20 %): with
# ~3,200 residents a community, a round needs ~330 ballots, and the ~2,900 closed rounds of
# three years hold about a million ballots (at 20 % they held 1.95 M).
MIN_TURNOUT = Decimal("0.100")


@dataclass
class Sizes:
    communities: int
    districts: int
    projects_per_year: int
    residents: int
    ledger_per_year: int
    ballots: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        return cls(
            communities=max(4, round(93 * scale)),
            districts=max(2, round(10 * scale)),
            projects_per_year=max(2 * len(State.values), round(1241 * scale)),
            residents=max(200, round(300_000 * scale)),
            ledger_per_year=max(200, round(100_000 * scale)),
            ballots=max(500, round(1_000_000 * scale)),
        )


@dataclass
class Report:
    phases: list[tuple[str, float, int]] = field(default_factory=list)

    def timed(self, name: str, fn: Callable[[], int], out: Callable[[str], None]) -> None:
        started = time.perf_counter()
        n = fn()
        elapsed = time.perf_counter() - started
        self.phases.append((name, elapsed, n))
        out(f"{name:<24} {n:>10,} rows {elapsed:7.1f} s")


# --- loading ---------------------------------------------------------------------------------
def load(model: type[models.Model], objs: Iterable[models.Model], batch: int = 20_000) -> int:
    """Insert ``objs`` as they are (ids from the database, nothing else changed): COPY on
    PostgreSQL, ``bulk_create`` (the plain queryset's: rows are already sealed) elsewhere."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    n = 0
    if connection.vendor == "postgresql":
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        table = connection.ops.quote_name(str(model._meta.db_table))
        names = [f.attname for f in fields]
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            lines: list[str] = []
            for obj in objs:
                lines.append("\t".join([_copy_text(getattr(obj, name)) for name in names]))
                n += 1
                if len(lines) >= 5000:
                    copy.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                copy.write("\n".join(lines) + "\n")
        return n
    chunk: list[models.Model] = []
    plain: models.QuerySet[Any] = models.QuerySet(model)
    for obj in objs:
        if not isinstance(obj, models.Model):  # a bare row (``entry_row``)
            obj = model(**obj.__dict__)
        chunk.append(obj)
        if len(chunk) >= batch:
            plain.bulk_create(chunk)
            n += len(chunk)
            chunk = []
    if chunk:
        plain.bulk_create(chunk)
        n += len(chunk)
    return n


def load_tuples(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert plain tuples (values in the order of ``names``, attnames) without building model
    instances: what the million-row tables need. COPY on PostgreSQL, ``bulk_create`` elsewhere."""
    if connection.vendor != "postgresql":
        return load(model, (model(**dict(zip(names, row, strict=True))) for row in rows))
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    # the other columns take their field's default, computed once
    rest = [
        f
        for f in model._meta.concrete_fields
        if f.attname not in names and not isinstance(f, models.AutoField)
    ]
    tail = [_copy_text(f.get_default()) for f in rest]
    names = [*names, *(f.attname for f in rest)]
    columns = ", ".join(connection.ops.quote_name(str(by_name[n].column)) for n in names)
    table = connection.ops.quote_name(str(model._meta.db_table))
    n = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        lines: list[str] = []
        for row in rows:
            lines.append("\t".join([*(_copy_text(v) for v in row), *tail]))
            n += 1
            if len(lines) >= 20_000:
                copy.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            copy.write("\n".join(lines) + "\n")
    return n


def _copy_text(value: Any) -> str:
    """A value in COPY's text format (the model's constructor has already applied defaults)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, FieldFile):
        value = value.name or ""
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def chained(rows: Sequence[Any], key: str) -> Sequence[Any]:
    """Seal ``rows`` (in insertion order) into their chains, all starting from genesis."""
    last: dict[int, str] = {}
    for row in rows:
        k = getattr(row, key)
        row.prev_hash = last.get(k, GENESIS)
        row.hash = row_hash(row, row.prev_hash)
        last[k] = row.hash
    return rows


# --- the city --------------------------------------------------------------------------------
@dataclass
class Ctx:
    sizes: Sizes
    rng: random.Random
    now: datetime
    years: list[int]
    communities: list[Community] = field(default_factory=list)
    residents: dict[int, list[int]] = field(default_factory=dict)  # community -> user ids
    staff: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    funds: dict[tuple[int, int], Fund] = field(default_factory=dict)
    projects: list[Project] = field(default_factory=list)
    stories: dict[int, list[tuple[str, str, str, datetime]]] = field(default_factory=dict)


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


def projects(ctx: Ctx) -> int:
    rng = ctx.rng
    current = ctx.years[-1]
    rows: list[Project] = []
    stories: list[list[tuple[str, str, str]]] = []
    for year in ctx.years:
        table = ANY if year == current else FINAL
        for i in range(ctx.sizes.projects_per_year):
            # each state at least once, then as the weights say
            state = table[i][0] if i < len(table) else _weighted(rng, table)
            community = ctx.communities[rng.randrange(len(ctx.communities))]
            category = rng.choice(CATEGORIES)
            story = _story(state, rng)
            # a year's projects start between January and (for the current year) a month ago
            last_day = (ctx.now - timedelta(days=30 + 6 * len(story))).timetuple().tm_yday
            span = 330 if year != current else max(1, min(330, last_day))
            start = datetime(year, 1, 1, 9, tzinfo=TZ) + timedelta(
                days=rng.randrange(span), minutes=rng.randrange(600)
            )
            amount = money(Decimal(rng.randrange(20_000, 400_000)))
            funded = any(a == "approve" for a, _s, _t in story)
            rectifications = sum(1 for a, _s, _t in story if a == "fail_evaluation")
            times: list[datetime] = []
            t = start
            for _step in story:
                times.append(t)
                t += timedelta(days=rng.randint(3, 6), hours=rng.randrange(8))
            when = dict(zip([a for a, _s, _t in story], times, strict=False))
            project = Project(
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
            rows.append(project)
            stories.append(list(zip(*zip(*story, strict=True), times, strict=True)))
    with keep_times(Project):
        n = load(Project, rows)
    ids = list(Project.objects.filter(community__slug__startswith="city-").order_by("pk"))
    for project, story in zip(ids, stories, strict=True):
        ctx.projects.append(project)
        ctx.stories[project.pk] = story  # type: ignore[assignment]
    return n


@contextmanager
def keep_times(model: type[models.Model]) -> Iterator[None]:
    """Rows keep the seeded times of their ``auto_now``/``auto_now_add`` fields while loaded."""
    fields = [f for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add


def _actor(ctx: Ctx, project: Project, action: str) -> int | None:
    role = ACTOR[action]
    if role is None:
        return None
    if role == Role.RESIDENT:
        return project.proposer_id
    return ctx.rng.choice(ctx.staff[(project.community_id, role)])


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


def evaluations(ctx: Ctx) -> int:
    """Closed rounds for every evaluation a project went through, with sealed ballots whose
    counts decide ``passed`` as the rules would; the open ones have no ballots yet."""
    rng = ctx.rng
    rounds: list[EvaluationRound] = []
    for project in ctx.projects:
        story = ctx.stories[project.pk]
        number = 0
        for i, (_action, _source, target, at) in enumerate(story):
            if target != State.EVALUATING:
                continue
            number += 1
            outcome = story[i + 1][0] if i + 1 < len(story) else None
            eligible = len(ctx.residents[project.community_id])
            rnd = EvaluationRound(
                project_id=project.pk,
                number=number,
                opens_at=at,
                closes_at=at + timedelta(days=7) if outcome else ctx.now + timedelta(days=5),
                eligible=eligible,
                min_turnout=MIN_TURNOUT,
                closed_at=(at + timedelta(days=7)) if outcome else None,
                passed=None if outcome is None else outcome == "pass_evaluation",
            )
            rounds.append(rnd)
    closed = [r for r in rounds if r.closed_at is not None]
    per_round = max(10, ctx.sizes.ballots // max(1, len(closed)))
    counts: list[tuple[int, int, int]] = []
    for rnd in closed:
        eligible = rnd.eligible
        enough = int(eligible * MIN_TURNOUT) + 1  # a turnout above the minimum
        n = min(eligible, max(enough, per_round + rng.randrange(-5, 6)))
        if rnd.passed:
            s = int(n * rng.uniform(0.55, 0.75))
            b = int(n * 0.86) - s + rng.randrange(0, max(1, n // 20))
            d = n - s - b
        else:
            s = int(n * rng.uniform(0.3, 0.5))
            b = int(n * 0.2)
            d = n - s - b
        counts.append((s, b, d))
    n_rounds = load(EvaluationRound, rounds)
    saved = {
        (project_id, number): pk
        for pk, project_id, number in EvaluationRound.objects.filter(
            project__community__slug__startswith="city-"
        ).values_list("pk", "project_id", "number")
    }
    project_community = {p.pk: p.community_id for p in ctx.projects}

    def ballots() -> Iterable[tuple[Any, ...]]:
        for rnd, (s, b, d) in zip(closed, counts, strict=True):
            pk = saved[(rnd.project_id, rnd.number)]
            choices = ["satisfied"] * s + ["basically_satisfied"] * b + ["dissatisfied"] * d
            rng.shuffle(choices)
            for choice in choices:
                yield (uuid.UUID(int=rng.getrandbits(128), version=4), pk, choice, "")

    def participations() -> Iterable[tuple[Any, ...]]:
        for rnd, (s, b, d) in zip(closed, counts, strict=True):
            pk = saved[(rnd.project_id, rnd.number)]
            voters = rng.sample(ctx.residents[project_community[rnd.project_id]], s + b + d)
            for uid in voters:
                yield (pk, uid, f"u:{uid}", True)

    return (
        n_rounds
        + load_tuples(EvaluationBallot, ["id", "round_id", "choice", "comment"], ballots())
        + load_tuples(
            EvaluationParticipation,
            ["round_id", "voter_id", "voter_key", "sealed"],
            participations(),
        )
    )


class _Row:
    """A ledger row without a model instance (building 300,000 of those is most of the load's
    time): the model's attributes with their defaults, and its ``_meta``, which is all that
    ``projects.audit.row_hash`` (the same hash as a saved entry's) and ``load`` read."""

    _meta = LedgerEntry._meta


_ENTRY_DEFAULTS = {
    f.attname: f.get_default() for f in LedgerEntry._meta.concrete_fields if f.attname != "id"
}


def entry_row(**values: Any) -> Any:
    row = _Row()
    row.__dict__.update(_ENTRY_DEFAULTS, id=None, **values)
    return row


def ledger(ctx: Ctx) -> int:
    """Per fund: the appropriation first, then each project's money in the order it moved."""
    rng = ctx.rng
    total = 0
    for year in ctx.years:
        funded = [
            p for p in ctx.projects if p.approved_amount is not None and p.created_at.year == year
        ]
        fixed = 4 * len(funded) + len(ctx.communities)
        spend_each = max(1, (ctx.sizes.ledger_per_year - fixed) // max(1, len(funded)))
        moves: list[tuple[datetime, int, LedgerEntry]] = []
        need: dict[int, Decimal] = {}
        for p in funded:
            need[p.community_id] = need.get(p.community_id, Decimal(0)) + (p.approved_amount or 0)
        for c in ctx.communities:
            fund = Fund.objects.create(
                community=c, year=year, name=f"{c.name} {year} 年公益事业经费"
            )
            ctx.funds[(c.pk, year)] = fund
            base = max(Decimal("1000000.00"), money(need.get(c.pk, Decimal(0)) * Decimal("1.1")))
            moves.append(
                (
                    datetime(year, 1, 1, 8, tzinfo=TZ),
                    0,
                    entry_row(
                        fund_id=fund.pk,
                        kind=EntryKind.APPROPRIATION,
                        amount=base,
                        actor_id=None,
                        memo=f"{year} 年度公益事业经费拨入",
                        created_at=datetime(year, 1, 1, 8, tzinfo=TZ),
                    ),
                )
            )
        for p in funded:
            fund = ctx.funds[(p.community_id, year)]
            when = {a: at for a, _s, _t, at in ctx.stories[p.pk]}
            clerk = ctx.staff[(p.community_id, Role.CLERK)][0]
            a = p.approved_amount
            assert a is not None
            advance = money(a * Decimal("0.7"))
            holdback = a - advance

            def entry(
                kind: str,
                amount: Decimal,
                at: datetime,
                *,
                moves: list[tuple[datetime, int, LedgerEntry]] = moves,
                fund: Fund = fund,
                p: Project = p,
                **kw: Any,
            ) -> None:
                moves.append(
                    (
                        at,
                        len(moves),
                        entry_row(
                            fund_id=fund.pk,
                            project_id=p.pk,
                            kind=kind,
                            amount=amount,
                            created_at=at,
                            **kw,
                        ),
                    )
                )

            entry(EntryKind.ALLOCATION, a, when["approve"], actor_id=_actor(ctx, p, "approve"))
            if "start_execution" not in when:
                continue
            start = when["start_execution"]
            entry(EntryKind.ADVANCE_RELEASE, advance, start, actor_id=clerk)
            if rng.random() < 0.25:
                name, kind = rng.choice(UNITS)
                gift = money(a * Decimal("0.05"))
                entry(
                    EntryKind.COFUND_PLEDGE,
                    gift,
                    start,
                    contributor=name,
                    contributor_kind=kind,
                    actor_id=clerk,
                )
                entry(
                    EntryKind.COFUND_RECEIPT,
                    gift,
                    start + timedelta(days=2),
                    contributor=name,
                    contributor_kind=kind,
                    actor_id=clerk,
                )
            closed = p.state == State.CLOSED
            # during execution: part of the advance, in many payments; a closed project spends
            # (nearly) all its advance, then, once the holdback is paid, (nearly) all of it
            spend = money(
                advance * Decimal(rng.uniform(0.95, 1.0) if closed else rng.uniform(0.3, 0.9))
            )
            end = when.get("deliver", start + timedelta(days=20))
            span = max(1, int((end - start).total_seconds()))
            k = spend_each
            piece = money(spend / k)
            spent = Decimal(0)
            for j in range(k):
                amount = piece if j < k - 1 else spend - spent
                if amount <= 0:
                    break
                spent += amount
                at = start + timedelta(seconds=span * (j + 1) // (k + 1))
                entry(
                    EntryKind.EXPENDITURE,
                    amount,
                    at,
                    payee=rng.choice(PAYEES),
                    paid_on=timezone.localtime(at).date(),
                    receipt=f"receipts/seed/{p.pk}-{j}.pdf",
                    actor_id=clerk,
                )
            if closed:
                at = when["pass_evaluation"]
                entry(EntryKind.HOLDBACK_RELEASE, holdback, at, actor_id=None)
                last = money(holdback * Decimal(rng.uniform(0.9, 1.0)))
                entry(
                    EntryKind.EXPENDITURE,
                    last,
                    at + timedelta(days=1),
                    payee=rng.choice(PAYEES),
                    paid_on=timezone.localtime(at + timedelta(days=1)).date(),
                    receipt=f"receipts/seed/{p.pk}-final.pdf",
                    actor_id=clerk,
                )
                spent += last
                if a - spent > 0:
                    entry(
                        EntryKind.RETURN_UNSPENT, a - spent, at + timedelta(days=3), actor_id=clerk
                    )
            elif p.state == State.FAILED:
                entry(EntryKind.RETURN_UNRELEASED, holdback, when["fail_final"], actor_id=None)
        moves.sort(key=lambda m: (m[2].fund_id, m[0], m[1]))
        rows = [m[2] for m in moves]
        total += load(LedgerEntry, chained(rows, "fund_id"))
    return total


LOADED: list[type[models.Model]] = [
    Membership,
    Project,
    ProjectEvent,
    LedgerEntry,
    EvaluationRound,
    EvaluationBallot,
    EvaluationParticipation,
]


def _skip_row_checks() -> bool:
    """On PostgreSQL as a superuser, skip the per-row foreign-key triggers for this transaction
    (``session_replication_role = replica``; the append-only triggers guard updates and deletes
    only, never inserts): ``check_foreign_keys`` checks every reference in one pass at the end
    instead, as adding the constraints back would."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if not row or not row[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def check_foreign_keys() -> int:
    """Every foreign key of the bulk-loaded tables points at a row (one anti-join per key);
    raises if one does not. Returns the number of keys checked."""
    n = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")
        for model in LOADED:
            table = connection.ops.quote_name(model._meta.db_table)
            for f in model._meta.concrete_fields:
                if not isinstance(f, models.ForeignKey):
                    continue
                target = f.target_field
                ref = connection.ops.quote_name(target.model._meta.db_table)
                col = connection.ops.quote_name(f.column)
                key = connection.ops.quote_name(str(target.column))
                # quoted names of the models' own tables and columns
                sql = "SELECT count(*) FROM {} t WHERE t.{} IS NOT NULL AND NOT EXISTS"
                sql += " (SELECT 1 FROM {} r WHERE r.{} = t.{})"
                cursor.execute(sql.format(table, col, ref, key, col))
                missing = cursor.fetchone()[0]
                if missing:
                    raise RuntimeError(f"{missing} rows of {table}.{col} point nowhere")
                n += 1
    return n


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
