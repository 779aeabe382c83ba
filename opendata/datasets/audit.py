"""The audit events dataset (streamed rows, and the same in SQL for COPY)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils.timezone import get_current_timezone
from django.utils.translation import gettext_lazy as _

from opendata.datasets.base import (
    CHUNK,
    CNY,
    PUBLIC_STATES,
    Column,
    Dataset,
    Filters,
    _community_q,
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
    Project,
    ProjectEvent,
    Role,
)
from projects.models.places import Place


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
