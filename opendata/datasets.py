"""The open datasets: what each holds (its data dictionary) and where its rows come from.

One :class:`Dataset` per table: its columns (name, type, unit, meaning) feed both the writers
(``opendata.streaming``) and the open-data page, so the dictionary cannot drift from the files.
Rows come from ``.iterator(chunk_size=…)`` over ``values_list``: memory stays flat whatever the
size. What is public is decided here, once:

- projects: only states the public project page shows (``Project.objects.public()``): never a
  draft or a withdrawn one; never the proposer, the executor or any person's name.
- ledger entries: every entry of every fund (the fund board is public), the project only when it
  is public; a resident co-funder's name never (their kind is shown); actors by role.
- audit events: of public projects only; actors by role (``resident``, ``clerk``, …, ``system``),
  never by name; what a resident wrote (a withdrawal reason) is left out, a staff member's kept.
- evaluation results: one row per *closed* round, the counts per choice; never a single ballot.
- budget ballots: Pabulib files of counted rounds (``deliberation.ballots.round_to_election``:
  voter ids 1..n over the ballots sorted by content, no identity, no casting order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.functional import Promise
from django.utils.timezone import get_current_timezone, localtime
from django.utils.translation import gettext_lazy as _

from deliberation.ballot_models import BudgetRound
from deliberation.models import EvaluationBallot, EvaluationChoice, EvaluationRound
from projects.models import (
    STATE_FLAGS,
    Community,
    Fund,
    LedgerEntry,
    Membership,
    Project,
    ProjectEvent,
    Role,
)
from projects.models.money import ContributorKind
from projects.models.places import Place

CHUNK = 1000  # rows fetched at a time: what bounds the memory of an export
LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
PUBLIC_STATES = [s for s, f in STATE_FLAGS.items() if f.public]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # integer, decimal, text, datetime, date, boolean
    meaning: Promise | str
    unit: Promise | str = ""


@dataclass(frozen=True)
class Filters:
    community: str | None = None  # a community's slug
    year: int | None = None


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: Promise | str
    description: Promise | str
    columns: tuple[Column, ...]
    rows: Callable[[Filters], Iterator[tuple[Any, ...]]] = field(repr=False)
    # the same rows as one PostgreSQL query whose CSV (COPY … WITH (FORMAT csv, HEADER)) is
    # byte for byte what ``opendata.streaming.csv_chunks`` writes from ``rows``
    sql: Callable[[Filters], tuple[str, list[Any]]] | None = field(default=None, repr=False)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


TYPE_LABELS = {
    "integer": _("整数"),
    "decimal": _("定点小数（两位）"),
    "text": _("文本"),
    "datetime": _("时间（UTC，ISO 8601）"),
    "date": _("日期（ISO 8601）"),
    "boolean": _("是/否（true/false）"),
}
CNY = _("元（人民币）")


DICTIONARY = "dictionary.json"


def dictionary() -> dict[str, Any]:
    """The data dictionary as a file of the snapshot (``dictionary.json``): every dataset's
    columns, and the code lists the figures are defined over, from the one place each is kept
    (``dashboards.figures``, ``projects.models``): what ``opendata.reproduce`` reads instead of
    keeping its own copies."""
    from dashboards import figures  # the figures' own lists (a lower layer: imported late)

    return {
        "licence": LICENCE,
        "datasets": {
            d.slug: {
                "title": str(d.title),
                "columns": [
                    {"name": c.name, "type": c.type, "unit": str(c.unit), "meaning": str(c.meaning)}
                    for c in d.columns
                ],
            }
            for d in DATASETS.values()
        },
        "codes": {
            "public_states": list(figures.PUBLIC_STATES),
            "stages": list(figures.STAGES),
            "categories": list(Project.Category.values),
            "choices": list(EvaluationChoice.values),
            "contributor_kinds": list(figures.COFUND_KEYS),
        },
    }


def iso(value: Any) -> str:
    """A time as ISO 8601 in UTC, a date as YYYY-MM-DD; None as empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _community_slugs() -> dict[int, str]:
    return dict(Community.objects.values_list("pk", "slug"))


def _community_q(filters: Filters, prefix: str) -> Q:
    if filters.community:
        return Q(**{f"{prefix}slug": filters.community})
    return Q()


# --- places and communities ----------------------------------------------------------------
def place_rows(filters: Filters) -> Iterator[tuple[Any, ...]]:
    qs = Place.objects.order_by("path").values_list("pk", "kind", "name", "parent_id", "path")
    yield from qs.iterator(chunk_size=CHUNK)


PLACES = Dataset(
    slug="places",
    title=_("地区"),
    description=_(
        "地区树的每个节点一行（市、区、街道、社区、网格，某一级可以没有）。"
        "用 path 可以找出某地区以下的全部社区。"
    ),
    columns=(
        Column("place_id", "integer", _("地区编号")),
        Column(
            "kind", "text", _("类别：city 市、district 区、street 街道、community 社区、grid 网格")
        ),
        Column("name", "text", _("名称")),
        Column("parent_id", "integer", _("上级地区编号（空：树根）")),
        Column(
            "path",
            "text",
            _("从树根到本节点的编号链，如 /1/5/12/：以某节点的 path 开头的都在它以下"),
        ),
    ),
    rows=place_rows,
)


def community_rows(filters: Filters) -> Iterator[tuple[Any, ...]]:
    qs = Community.objects.filter(_community_q(filters, "")).order_by("pk")
    yield from qs.values_list("slug", "name", "place_id", "place__path").iterator(chunk_size=CHUNK)


COMMUNITIES = Dataset(
    slug="communities",
    title=_("社区"),
    description=_("每个社区一行：其他数据集里的社区代码在这里查名称和在地区树中的位置。"),
    columns=(
        Column("community", "text", _("社区代码")),
        Column("name", "text", _("社区名称")),
        Column("place_id", "integer", _("社区在地区树中的节点编号")),
        Column("place_path", "text", _("社区节点的 path（见“地区”数据集）")),
    ),
    rows=community_rows,
)


# --- projects ------------------------------------------------------------------------------
PROJECT_FIELDS: tuple[str, ...] = (
    "pk",
    "community_id",
    "title",
    "category",
    "state",
    "estimated_cost",
    "assessed_cost",
    "approved_amount",
    "duration_days",
    "cosign_count",
    "rectification_count",
    "created_at",
    "submitted_at",
    "decided_at",
    "delivered_at",
    "closed_at",
)
# the estimate of people served, recorded at the assessment (where the model has it)
HAS_PEOPLE = any(f.name == "people_served" for f in Project._meta.get_fields())
if HAS_PEOPLE:
    PROJECT_FIELDS = (*PROJECT_FIELDS, "people_served")


def public_projects(filters: Filters) -> Any:
    qs = Project.objects.filter(state__in=PUBLIC_STATES).filter(
        _community_q(filters, "community__")
    )
    if filters.year:
        qs = qs.filter(created_at__year=filters.year)
    return qs


def project_rows(filters: Filters) -> Iterator[tuple[Any, ...]]:
    slugs = _community_slugs()
    qs = public_projects(filters).order_by("pk").values_list(*PROJECT_FIELDS)
    for row in qs.iterator(chunk_size=CHUNK):
        yield (row[0], slugs[row[1]], *row[2:11], localtime(row[11]).year, *row[11:])


PROJECTS = Dataset(
    slug="projects",
    title=_("项目"),
    description=_(
        "每个公开项目一行（草稿和已撤回的项目不公开）。不含提议人、执行人等任何个人信息。"
    ),
    columns=(
        Column("project_id", "integer", _("项目编号，与项目页 /projects/<编号>/ 相同")),
        Column("community", "text", _("社区代码")),
        Column("title", "text", _("标题")),
        Column("category", "text", _("类别代码（lighting、roads、elderly……）")),
        Column("state", "text", _("当前状态代码（collecting、executing、closed……）")),
        Column("estimated_cost", "decimal", _("居民估算费用"), CNY),
        Column("assessed_cost", "decimal", _("可行性评估成本"), CNY),
        Column("approved_amount", "decimal", _("党委批准金额"), CNY),
        Column("duration_days", "integer", _("评估工期"), _("天")),
        Column("cosign_count", "integer", _("附议人数"), _("人")),
        Column("rectification_count", "integer", _("整改轮次"), _("轮")),
        Column("year", "integer", _("提出年度（创建时间按北京时间所在的年）")),
        Column("created_at", "datetime", _("创建时间")),
        Column("submitted_at", "datetime", _("提交附议时间")),
        Column("decided_at", "datetime", _("党委决定时间")),
        Column("delivered_at", "datetime", _("申请验收时间")),
        Column("closed_at", "datetime", _("结束时间（结项、未通过、附议未达）")),
        *(
            [Column("people_served", "integer", _("受益人数（可行性评估时的估计）"), _("人"))]
            if HAS_PEOPLE
            else []
        ),
    ),
    rows=project_rows,
)


# --- who acted, by role --------------------------------------------------------------------
ROLE_ORDER = [Role.COMMITTEE, Role.CLERK, Role.COUNCIL, Role.SUPERVISOR]


class RoleOf:
    """The role an actor held in a community, without loading residents: staff and supervisor
    memberships are few; anyone else who acted in a community is a resident there."""

    def __init__(self) -> None:
        self.staff: dict[tuple[int, int], str] = {}
        self.supervised: dict[int, list[str]] = {}  # user -> paths of the places supervised
        staff = Membership.objects.exclude(role=Role.RESIDENT).values_list(
            "user_id", "community_id", "place__path", "role"
        )
        rank = {r: i for i, r in enumerate(ROLE_ORDER)}
        for user_id, community_id, place_path, role in staff.iterator(chunk_size=CHUNK):
            if community_id is not None:
                held = self.staff.get((user_id, community_id))
                if held is None or rank[Role(role)] < rank[Role(held)]:
                    self.staff[(user_id, community_id)] = role
            if place_path:
                self.supervised.setdefault(user_id, []).append(place_path)
        self.path_of = dict(Community.objects.values_list("pk", "place__path"))

    def __call__(self, user_id: int | None, community_id: int) -> str:
        if user_id is None:
            return "system"
        role = self.staff.get((user_id, community_id))
        if role is not None:
            return role
        path = self.path_of.get(community_id) or ""
        if any(path.startswith(p) for p in self.supervised.get(user_id, ())):
            return Role.SUPERVISOR
        return Role.RESIDENT


# --- the same in SQL (PostgreSQL's COPY): each cell formatted as ``csv_chunks`` writes it --------
def _sql_text(expr: str) -> str:
    """A text cell: empty as NULL, which COPY writes as an empty cell (an empty string would be
    written quoted)."""
    return f"NULLIF({expr}, '')"


def _sql_time(expr: str) -> str:
    return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def _sql_states(states: list[str]) -> str:
    return ", ".join("'" + s.replace("'", "''") + "'" for s in states)


def _sql_role(actor: str) -> str:
    """``RoleOf`` in SQL: needs the ``staff`` and ``supervised`` CTEs of ``_ROLE_CTES`` joined
    as ``s`` and ``v`` (``_sql_role_joins``: hash joins, not a scan per row)."""
    return (
        f"CASE WHEN {actor} IS NULL THEN 'system' ELSE COALESCE("
        f"s.role, v.role, '{Role.RESIDENT}') END"
    )


def _sql_role_joins(actor: str, community_id: str) -> str:
    return (
        f"LEFT JOIN staff s ON s.user_id = {actor} AND s.community_id = {community_id}"
        f" LEFT JOIN supervised v ON v.user_id = {actor} AND v.community_id = {community_id}"
    )


_RANK = " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(ROLE_ORDER))
_ROLE_CTES = f"""
WITH staff AS (
    SELECT DISTINCT ON (m.user_id, m.community_id) m.user_id, m.community_id, m.role
    FROM {Membership._meta.db_table} m
    WHERE m.role <> '{Role.RESIDENT}' AND m.community_id IS NOT NULL
    ORDER BY m.user_id, m.community_id, CASE m.role {_RANK} END
), supervised AS (
    SELECT DISTINCT m.user_id, c.id AS community_id, '{Role.SUPERVISOR}' AS role
    FROM {Membership._meta.db_table} m
    JOIN {Place._meta.db_table} pl ON pl.id = m.place_id
    JOIN {Place._meta.db_table} cp ON left(cp.path, length(pl.path)) = pl.path
    JOIN {Community._meta.db_table} c ON c.place_id = cp.id
    WHERE m.role <> '{Role.RESIDENT}' AND pl.path <> ''
)"""  # noqa: S608 - code's own names, no input


ACTOR_MEANING = _(
    "经办人的角色：resident（居民）、council（议事会）、committee（党委）、clerk（服务中心）、"
    "supervisor（街道监督）、system（系统自动）；从不公开姓名"
)


# --- ledger --------------------------------------------------------------------------------
def ledger_rows(filters: Filters) -> Iterator[tuple[Any, ...]]:
    slugs = _community_slugs()
    role_of = RoleOf()
    public = set(Project.objects.filter(state__in=PUBLIC_STATES).values_list("pk", flat=True))
    qs = LedgerEntry.objects.filter(_community_q(filters, "fund__community__"))
    if filters.year:
        qs = qs.filter(fund__year=filters.year)
    values = qs.order_by("pk").values_list(
        "pk",
        "fund_id",
        "fund__community_id",
        "fund__year",
        "created_at",
        "kind",
        "project_id",
        "amount",
        "reverses_id",
        "contributor_kind",
        "contributor",
        "in_kind",
        "payee",
        "paid_on",
        "actor_id",
        "prev_hash",
        "hash",
    )
    for (
        pk,
        fund_id,
        community_id,
        year,
        created_at,
        kind,
        project_id,
        amount,
        reverses_id,
        contributor_kind,
        contributor,
        in_kind,
        payee,
        paid_on,
        actor_id,
        prev_hash,
        hash_,
    ) in values.iterator(chunk_size=CHUNK):
        yield (
            pk,
            fund_id,
            slugs[community_id],
            year,
            created_at,
            kind,
            project_id if project_id in public else None,
            amount,
            reverses_id,
            contributor_kind,
            "" if contributor_kind == ContributorKind.RESIDENT else contributor,
            in_kind,
            payee,
            paid_on,
            role_of(actor_id, community_id),
            prev_hash,
            hash_,
        )


def ledger_sql(filters: Filters) -> tuple[str, list[Any]]:
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if filters.community:
        where.append("c.slug = %s")
        params.append(filters.community)
    if filters.year:
        where.append("f.year = %s")
        params.append(filters.year)
    sql = f"""{_ROLE_CTES}
SELECT e.id AS entry_id, e.fund_id, c.slug AS community, f.year,
    {_sql_time("e.created_at")} AS created_at, e.kind,
    CASE WHEN p.state IN ({_sql_states(PUBLIC_STATES)}) THEN e.project_id END AS project_id,
    e.amount, e.reverses_id AS reverses,
    {_sql_text("e.contributor_kind")} AS contributor_kind,
    CASE WHEN e.contributor_kind = '{ContributorKind.RESIDENT}' THEN NULL
        ELSE {_sql_text("e.contributor")} END AS contributor,
    CASE WHEN e.in_kind THEN 'true' ELSE 'false' END AS in_kind,
    {_sql_text("e.payee")} AS payee, to_char(e.paid_on, 'YYYY-MM-DD') AS paid_on,
    {_sql_role("e.actor_id")} AS actor_role,
    {_sql_text("e.prev_hash")} AS prev_hash, {_sql_text("e.hash")} AS hash
FROM {LedgerEntry._meta.db_table} e
JOIN {Fund._meta.db_table} f ON f.id = e.fund_id
JOIN {Community._meta.db_table} c ON c.id = f.community_id
JOIN {Place._meta.db_table} cp ON cp.id = c.place_id
LEFT JOIN {Project._meta.db_table} p ON p.id = e.project_id
{_sql_role_joins("e.actor_id", "f.community_id")}
WHERE {" AND ".join(where)}
ORDER BY e.id"""  # noqa: S608 - input only as parameters
    return sql, params


LEDGER = Dataset(
    slug="ledger",
    title=_("台账分录"),
    description=_(
        "每个社区公益事业经费的每一笔分录（只增不改，冲正另记一笔）。"
        "按分录号排序；同一经费的分录以哈希链相连。居民共建者不公开姓名。"
    ),
    columns=(
        Column("entry_id", "integer", _("分录号")),
        Column("fund_id", "integer", _("经费编号（一个社区一个年度一个）")),
        Column("community", "text", _("社区代码")),
        Column("year", "integer", _("经费年度")),
        Column("created_at", "datetime", _("记账时间")),
        Column(
            "kind",
            "text",
            _(
                "类型：appropriation 拨入、carry_over 上年结转、carry_forward 结转下年、"
                "allocation 项目批准、advance_release 预付款、holdback_release 尾款、"
                "expenditure 支出、return_unreleased 未拨付款退回、return_unspent 结余退回、"
                "cofund_pledge 共建认捐、cofund_receipt 共建到账、reversal 冲正"
            ),
        ),
        Column("project_id", "integer", _("项目编号（空：经费整体的分录，或项目未公开）")),
        Column("amount", "decimal", _("金额，总为正数；方向由类型决定"), CNY),
        Column("reverses", "integer", _("冲正所冲的分录号")),
        Column(
            "contributor_kind", "text", _("共建方类型：unit 驻区单位、company 企业、resident 居民")
        ),
        Column("contributor", "text", _("共建方名称（居民不公开）")),
        Column("in_kind", "boolean", _("实物共建（金额为估值）")),
        Column("payee", "text", _("支出的收款方")),
        Column("paid_on", "date", _("支出发生日期")),
        Column("actor_role", "text", ACTOR_MEANING),
        Column("prev_hash", "text", _("同一经费上一条分录的哈希（SHA-256，十六进制）")),
        Column("hash", "text", _("本分录的哈希")),
    ),
    rows=ledger_rows,
    sql=ledger_sql,
)


# --- audit events --------------------------------------------------------------------------
def audit_rows(filters: Filters) -> Iterator[tuple[Any, ...]]:
    role_of = RoleOf()
    qs = ProjectEvent.objects.filter(project__state__in=PUBLIC_STATES).filter(
        _community_q(filters, "project__community__")
    )
    if filters.year:
        qs = qs.filter(created_at__year=filters.year)
    values = qs.order_by("pk").values_list(
        "pk",
        "project_id",
        "project__community_id",
        "created_at",
        "action",
        "source",
        "target",
        "actor_id",
        "amount",
        "kind",
        "reason",
        "prev_hash",
        "hash",
    )
    for (
        pk,
        project_id,
        community_id,
        created_at,
        action,
        source,
        target,
        actor_id,
        amount,
        kind,
        reason,
        prev_hash,
        hash_,
    ) in values.iterator(chunk_size=CHUNK):
        role = role_of(actor_id, community_id)
        yield (
            pk,
            project_id,
            created_at,
            action,
            source,
            target,
            role,
            amount,
            kind or "",
            "" if role == Role.RESIDENT else reason,
            prev_hash,
            hash_,
        )


def audit_sql(filters: Filters) -> tuple[str, list[Any]]:
    where = [f"p.state IN ({_sql_states(PUBLIC_STATES)})"]
    params: list[Any] = []
    if filters.community:
        where.append("c.slug = %s")
        params.append(filters.community)
    if filters.year:  # as Django's __year: the local calendar year
        lo, hi = (
            datetime(filters.year, 1, 1, tzinfo=get_current_timezone()),
            datetime(filters.year + 1, 1, 1, tzinfo=get_current_timezone()),
        )
        where.append("e.created_at >= %s AND e.created_at < %s")
        params += [lo, hi]
    role = _sql_role("e.actor_id")
    sql = f"""{_ROLE_CTES}
SELECT event_id, project_id, created_at, action, source, target, actor_role, amount, note_kind,
    CASE WHEN actor_role = '{Role.RESIDENT}' THEN NULL ELSE reason END AS reason, prev_hash, hash
FROM (
    SELECT e.id AS event_id, e.project_id, {_sql_time("e.created_at")} AS created_at,
        {_sql_text("e.action")} AS action, {_sql_text("e.source")} AS source,
        {_sql_text("e.target")} AS target, {role} AS actor_role, e.amount,
        {_sql_text("e.kind")} AS note_kind, {_sql_text("e.reason")} AS reason,
        {_sql_text("e.prev_hash")} AS prev_hash, {_sql_text("e.hash")} AS hash
    FROM {ProjectEvent._meta.db_table} e
    JOIN {Project._meta.db_table} p ON p.id = e.project_id
    JOIN {Community._meta.db_table} c ON c.id = p.community_id
    JOIN {Place._meta.db_table} cp ON cp.id = c.place_id
    {_sql_role_joins("e.actor_id", "p.community_id")}
    WHERE {" AND ".join(where)}
) AS rows
ORDER BY event_id"""  # noqa: S608 - input only as parameters
    return sql, params


AUDIT = Dataset(
    slug="audit",
    title=_("审计记录"),
    description=_(
        "公开项目的每一步（提交、附议达标、决定、拨款、验收、评议……），只增不改，"
        "同一项目的记录以哈希链相连。经办人只公开角色；居民写的理由不公开。"
    ),
    columns=(
        Column("event_id", "integer", _("记录号")),
        Column("project_id", "integer", _("项目编号")),
        Column("created_at", "datetime", _("时间")),
        Column("action", "text", _("动作代码（submit、approve、pass……）")),
        Column("source", "text", _("原状态代码")),
        Column("target", "text", _("新状态代码")),
        Column("actor_role", "text", ACTOR_MEANING),
        Column("amount", "decimal", _("涉及金额"), CNY),
        Column("note_kind", "text", _("系统说明的类型代码")),
        Column("reason", "text", _("工作人员写的理由")),
        Column("prev_hash", "text", _("同一项目上一条记录的哈希（SHA-256）")),
        Column("hash", "text", _("本记录的哈希")),
    ),
    rows=audit_rows,
    sql=audit_sql,
)


# --- evaluation results --------------------------------------------------------------------
def evaluation_rows(filters: Filters) -> Iterator[tuple[Any, ...]]:
    slugs = _community_slugs()
    rounds = EvaluationRound.objects.filter(
        closed_at__isnull=False, project__state__in=PUBLIC_STATES
    ).filter(_community_q(filters, "project__community__"))
    if filters.year:
        rounds = rounds.filter(closed_at__year=filters.year)
    values = (
        rounds.order_by("pk")
        .annotate(
            satisfied=Count("ballots", filter=Q(ballots__choice=EvaluationBallot.Choice.SATISFIED)),
            basically=Count(
                "ballots", filter=Q(ballots__choice=EvaluationBallot.Choice.BASICALLY_SATISFIED)
            ),
            dissatisfied=Count(
                "ballots", filter=Q(ballots__choice=EvaluationBallot.Choice.DISSATISFIED)
            ),
        )
        .values_list(
            "pk",
            "project_id",
            "project__community_id",
            "number",
            "opens_at",
            "closes_at",
            "closed_at",
            "eligible",
            "satisfied",
            "basically",
            "dissatisfied",
            "pass_rate",
            "min_turnout",
            "passed",
        )
    )
    for (
        pk,
        project_id,
        community_id,
        number,
        opens,
        closes,
        closed,
        eligible,
        s,
        b,
        d,
        rate,
        mt,
        ok,
    ) in values.iterator(chunk_size=CHUNK):
        yield (
            pk,
            project_id,
            slugs[community_id],
            number,
            opens,
            closes,
            closed,
            localtime(closed).year,
            eligible,
            s + b + d,
            s,
            b,
            d,
            rate,
            mt,
            ok,
        )


EVALUATIONS = Dataset(
    slug="evaluations",
    title=_("群众评议结果"),
    description=_("每个已结束的评议轮次一行：各选项的票数合计。只公开合计，从不公开单张选票。"),
    columns=(
        Column("round_id", "integer", _("评议轮次编号")),
        Column("project_id", "integer", _("项目编号")),
        Column("community", "text", _("社区代码")),
        Column("number", "integer", _("第几轮（整改后再评议为第 2 轮起）")),
        Column("opens_at", "datetime", _("开始时间")),
        Column("closes_at", "datetime", _("截止时间")),
        Column("closed_at", "datetime", _("计票时间")),
        Column("year", "integer", _("计票时间按北京时间所在的年")),
        Column("eligible", "integer", _("有投票资格人数（开始时冻结）"), _("人")),
        Column("ballots", "integer", _("投票数"), _("票")),
        Column("satisfied", "integer", _("满意票"), _("票")),
        Column("basically_satisfied", "integer", _("基本满意票"), _("票")),
        Column("dissatisfied", "integer", _("不满意票"), _("票")),
        Column("pass_rate", "decimal", _("通过所需的满意率（满意＋基本满意占投票数）")),
        Column("min_turnout", "decimal", _("所需的最低参与率（投票数占有资格人数）")),
        Column("passed", "boolean", _("是否通过")),
    ),
    rows=evaluation_rows,
)


DATASETS: dict[str, Dataset] = {
    d.slug: d for d in (PROJECTS, LEDGER, AUDIT, EVALUATIONS, COMMUNITIES, PLACES)
}


def counted_rounds(filters: Filters) -> Any:
    """Budget rounds published as Pabulib files: counted ones."""
    qs = BudgetRound.objects.filter(status=BudgetRound.Status.CLOSED).select_related("community")
    qs = qs.filter(_community_q(filters, "community__"))
    if filters.year:
        qs = qs.filter(closes_at__year=filters.year)
    return qs.order_by("pk")


def to_decimal(value: str) -> Decimal:
    return Decimal(value) if value else Decimal(0)
