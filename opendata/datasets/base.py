"""What every dataset shares: its description (columns, filters, licence), ISO times, the
community filter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from projects.models import (
    STATE_FLAGS,
    Community,
)

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
