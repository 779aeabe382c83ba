"""The projects dataset: public projects only, with their money and dates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.timezone import localtime
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
from projects.models import (
    Project,
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
