"""Bulk loading: PostgreSQL's COPY (``bulk_create`` elsewhere), the seeded times kept, the
foreign keys checked in one pass at the end."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models.fields.files import FieldFile

from deliberation.models import EvaluationBallot, EvaluationParticipation, EvaluationRound
from projects.audit import GENESIS, row_hash
from projects.models import (
    LedgerEntry,
    Membership,
    Project,
    ProjectEvent,
)


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
