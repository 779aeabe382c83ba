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

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from deliberation.ballot_models import BudgetRound
from deliberation.models import EvaluationBallot, EvaluationChoice, EvaluationRound
from opendata.datasets.audit import (
    AUDIT,
)
from opendata.datasets.base import (
    CHUNK,
    DICTIONARY,
    LICENCE,
    LICENCE_URL,
    PUBLIC_STATES,
    TYPE_LABELS,
    Column,
    Dataset,
    Filters,
    _community_q,
    _community_slugs,
    iso,
)
from opendata.datasets.ledger import (
    LEDGER,
)
from opendata.datasets.projects import (
    PROJECTS,
)
from projects.models import (
    Community,
    Project,
)
from projects.models.places import Place


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


# --- evaluation results --------------------------------------------------------------------
def _evaluation_values(filters: Filters) -> QuerySet[EvaluationRound, tuple[Any, ...]]:
    """The public closed rounds the filters select, with their ballots counted per choice."""
    rounds = EvaluationRound.objects.filter(
        closed_at__isnull=False, project__state__in=PUBLIC_STATES
    ).filter(_community_q(filters, "project__community__"))
    if filters.year:
        rounds = rounds.filter(closed_at__year=filters.year)
    return (
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


def evaluation_rows(filters: Filters) -> Iterator[tuple[Any, ...]]:
    slugs = _community_slugs()
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
    ) in _evaluation_values(filters).iterator(chunk_size=CHUNK):
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


__all__ = [
    "AUDIT",
    "COMMUNITIES",
    "DATASETS",
    "DICTIONARY",
    "EVALUATIONS",
    "LEDGER",
    "LICENCE",
    "LICENCE_URL",
    "PLACES",
    "PROJECTS",
    "TYPE_LABELS",
    "Column",
    "Dataset",
    "Filters",
    "counted_rounds",
    "dictionary",
    "iso",
    "to_decimal",
]
