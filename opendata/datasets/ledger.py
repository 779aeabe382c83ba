"""The ledger entries dataset (streamed rows, and the same in SQL for COPY)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from opendata.datasets.base import (
    CHUNK,
    CNY,
    PUBLIC_STATES,
    Column,
    Dataset,
    Filters,
    _community_q,
    _community_slugs,
)
from opendata.datasets.roles import (
    _ROLE_CTES,
    ACTOR_MEANING,
    RoleOf,
    _sql_role,
    _sql_role_joins,
    _sql_states,
    _sql_text,
    _sql_time,
)
from projects.models import (
    Community,
    Fund,
    LedgerEntry,
    Project,
)
from projects.models.money import ContributorKind
from projects.models.places import Place


# --- ledger --------------------------------------------------------------------------------
def _ledger_values(filters: Filters) -> QuerySet[LedgerEntry, tuple[Any, ...]]:
    """The entries the filters select, in order, as the tuples ``ledger_rows`` reads."""
    qs = LedgerEntry.objects.filter(_community_q(filters, "fund__community__"))
    if filters.year:
        qs = qs.filter(fund__year=filters.year)
    return qs.order_by("pk").values_list(
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


def ledger_rows(filters: Filters) -> Iterator[tuple[Any, ...]]:
    slugs = _community_slugs()
    role_of = RoleOf()
    public = set(Project.objects.filter(state__in=PUBLIC_STATES).values_list("pk", flat=True))
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
    ) in _ledger_values(filters).iterator(chunk_size=CHUNK):
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
