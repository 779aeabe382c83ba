"""Tamper evidence for the record: hash chains over the audit trail and the ledger, the
append-only triggers that keep both (and the change history) from being rewritten, and the check
that says which row, if any, breaks a chain.

- Each ``ProjectEvent`` carries ``prev_hash`` (the hash of the previous event of the same
  project) and ``hash`` = SHA-256 of ``prev_hash`` and its own content; each ``LedgerEntry`` the
  same per fund. They are sealed by the models' ``save`` (and ``bulk_create``) under the project
  or fund row lock, so the services need no change and two writers never chain onto the same row.
- The content is every stored column but the id and the two hashes, in a canonical JSON form in
  which empty values (``None``, ``""``, ``False``, ``{}``, ``[]``) are left out: a column added
  later with an empty default does not change the hash of the rows written before it.
- The database refuses UPDATE and DELETE of these rows (a trigger on SQLite and PostgreSQL) and
  TRUNCATE of their tables (PostgreSQL). The triggers are put back after every ``migrate``
  (SQLite drops a table's triggers when a migration rebuilds the table).
- ``verify_audit`` (the management command) and the public project page recompute the chains.
  A chain shows a changed row (its content no longer matches its hash) and a removed or inserted
  row (the next row's ``prev_hash`` no longer matches); it cannot show the newest rows removed
  together, which is what the triggers are for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

GENESIS = "0" * 64
# not part of a row's content: the id is given by the database after the row is sealed
UNHASHED = frozenset({"id", "prev_hash", "hash"})

# Tables whose rows are never updated or deleted, and never emptied (PostgreSQL's TRUNCATE).
APPEND_ONLY_TABLES = (
    "projects_projectevent",
    "projects_ledgerentry",
    "projects_historicalproject",
    "projects_historicalcommunity",
    "projects_historicalmembership",
    "projects_historicalfund",
)


# --- the hash ------------------------------------------------------------------------------
def _canonical(field: models.Field[Any, Any], value: Any) -> Any:
    if isinstance(value, FieldFile):
        value = value.name
    if value is None or value is False or value == "" or value == {} or value == []:
        return None
    if isinstance(value, Decimal):
        places = getattr(field, "decimal_places", None)
        if places is not None:
            value = value.quantize(Decimal(1).scaleb(-places))
        return format(value, "f")
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def row_content(row: models.Model) -> dict[str, Any]:
    """The row's stored columns (by column attribute name) in canonical form, empty ones left out."""
    content: dict[str, Any] = {}
    for field in row._meta.concrete_fields:
        if field.attname in UNHASHED:
            continue
        value = _canonical(field, getattr(row, field.attname))
        if value is not None:
            content[field.attname] = value
    return content


def row_hash(row: models.Model, prev_hash: str) -> str:
    body = json.dumps(
        row_content(row), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


# --- sealing new rows ----------------------------------------------------------------------
def _last_hash(model: type[models.Model], chain_field: str, key: Any) -> str:
    last = (
        model._default_manager.filter(**{chain_field: key})
        .order_by("-pk")
        .values_list("hash", flat=True)
        .first()
    )
    return last or GENESIS


def _store_files(row: models.Model) -> None:
    """Store the row's uploaded files now, as saving the row would: the storage may change a
    file's name (a unique suffix, the upload path), and the hash must cover the name stored."""
    for field in row._meta.concrete_fields:
        if isinstance(field, models.FileField):
            field.pre_save(row, add=True)  # saving the row later finds the file committed


def seal(rows: Sequence[models.Model], *, chain_field: str, parent: type[models.Model]) -> None:
    """Give each new row of ``rows`` (in the order they will be inserted) its ``prev_hash`` and
    ``hash``. Must run inside the transaction that inserts them: it locks each chain's parent row
    (the project or the fund; already held when called from a service) so that no other writer
    chains onto the same last row."""
    if not rows:
        return
    model = type(rows[0])
    keys = sorted({getattr(r, chain_field) for r in rows})
    locked = parent._default_manager.select_for_update().filter(pk__in=keys)
    list(locked.order_by("pk").values_list("pk"))  # no default ordering: it may join (outer)
    last = {key: _last_hash(model, chain_field, key) for key in keys}
    for row in rows:
        _store_files(row)
        key = getattr(row, chain_field)
        row.prev_hash = last[key]  # type: ignore[attr-defined]
        row.hash = row_hash(row, row.prev_hash)  # type: ignore[attr-defined]
        last[key] = row.hash  # type: ignore[attr-defined]


# --- checking ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Break:
    """The first row of one chain that does not hold."""

    label: str  # "ProjectEvent" or "LedgerEntry"
    pk: int
    chain: int  # the project's or the fund's id
    position: int  # 1-based, within the chain
    reason: str

    def __str__(self) -> str:
        if self.label == "ProjectEvent":
            label, owner = _("审计记录"), _("项目 %(id)s") % {"id": self.chain}
        else:
            label, owner = _("台账分录"), _("经费 %(id)s") % {"id": self.chain}
        return _("%(label)s #%(pk)s（%(owner)s 的第 %(n)s 条）：%(reason)s") % {
            "label": label,
            "pk": self.pk,
            "owner": owner,
            "n": self.position,
            "reason": self.reason,
        }


def _check(rows: Iterable[models.Model], *, chain_field: str, label: str) -> Iterator[Break]:
    """Walk rows ordered by (chain, pk); yield the first break of each chain."""
    current: Any = object()
    expected = GENESIS
    position = 0
    broken = False
    for row in rows:
        key = getattr(row, chain_field)
        if key != current:
            current, expected, position, broken = key, GENESIS, 0, False
        position += 1
        if broken:
            continue
        stored_prev: str = getattr(row, "prev_hash", "")
        stored: str = getattr(row, "hash", "")
        reason = None
        if stored_prev != expected:
            reason = _("与上一条记录不衔接（其间的记录被删除、插入或改动）")
        elif stored != row_hash(row, stored_prev):
            reason = _("内容与其哈希不符（记录被改动）")
        if reason is not None:
            broken = True
            yield Break(label, int(row.pk), int(key), position, reason)
        expected = stored


def verify_events(project_id: int | None = None) -> list[Break]:
    from projects.models import ProjectEvent

    qs = ProjectEvent.objects.order_by("project_id", "pk")
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return list(
        _check(qs.iterator(chunk_size=2000), chain_field="project_id", label="ProjectEvent")
    )


def verify_ledger(fund_id: int | None = None) -> list[Break]:
    from projects.models import LedgerEntry

    qs = LedgerEntry.objects.order_by("fund_id", "pk")
    if fund_id is not None:
        qs = qs.filter(fund_id=fund_id)
    return list(_check(qs.iterator(chunk_size=2000), chain_field="fund_id", label="LedgerEntry"))


@dataclass(frozen=True)
class ProjectCheck:
    events: int
    entries: int
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify_project(project_id: int) -> ProjectCheck:
    """What the project page shows: the project's whole audit chain, and each of its ledger
    entries against its own hash and against the entry before it in the fund's chain."""
    from django.db.models import OuterRef, Subquery

    from projects.models import LedgerEntry

    breaks = verify_events(project_id)
    events = _count_events(project_id)
    before = LedgerEntry.objects.filter(fund_id=OuterRef("fund_id"), pk__lt=OuterRef("pk"))
    entries = list(
        LedgerEntry.objects.filter(project_id=project_id)
        .annotate(before_hash=Subquery(before.order_by("-pk").values("hash")[:1]))
        .order_by("pk")
    )
    for entry in entries:
        expected = getattr(entry, "before_hash", None) or GENESIS
        reason = None
        if entry.prev_hash != expected:
            reason = _("与上一条记录不衔接（其间的记录被删除、插入或改动）")
        elif entry.hash != row_hash(entry, entry.prev_hash):
            reason = _("内容与其哈希不符（记录被改动）")
        if reason is not None:
            position = LedgerEntry.objects.filter(fund_id=entry.fund_id, pk__lte=entry.pk).count()
            breaks.append(Break("LedgerEntry", entry.pk, entry.fund_id, position, reason))
    return ProjectCheck(events=events, entries=len(entries), breaks=breaks)


def _count_events(project_id: int) -> int:
    from projects.models import ProjectEvent

    return ProjectEvent.objects.filter(project_id=project_id).count()


# --- the append-only triggers --------------------------------------------------------------
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION yishi_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (%)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""


def trigger_sql(vendor: str, table: str) -> list[str]:
    """Statements that (re)install the append-only triggers of ``table``."""
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION yishi_append_only()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION yishi_append_only()",
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only ({op})'); END"
            for op in ("UPDATE", "DELETE")
        ]
    return []


def drop_trigger_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{op}" for op in ("update", "delete")]
    return []


def install_triggers(
    connection: BaseDatabaseWrapper, tables: Iterable[str] = APPEND_ONLY_TABLES
) -> None:
    """Install (or put back) the triggers on those of ``tables`` that exist."""
    existing = set(connection.introspection.table_names())
    statements: list[str] = []
    if connection.vendor == "postgresql":
        statements.append(PG_FUNCTION)
    for table in tables:
        if table in existing:
            statements += trigger_sql(connection.vendor, table)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


TRIGGERS_MIGRATION = ("projects", "0009_audit_history_chains")


def reinstall_triggers_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: a later migration may have rebuilt a table (SQLite) and with it
    lost its triggers. Not when the database was migrated back before the triggers' migration."""
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if TRIGGERS_MIGRATION in MigrationRecorder(connection).applied_migrations():
        install_triggers(connection)


def flush_keeping_triggers(connection: BaseDatabaseWrapper, statements: list[str]) -> list[str]:
    """The statements of a whole-database flush (the test runner's, between transactional
    tests), with the append-only triggers lifted for the flush and put back after it. The
    application never flushes; this is installed by the test suite only."""
    if not statements:
        return statements
    drop: list[str] = []
    create: list[str] = []
    for table in APPEND_ONLY_TABLES:
        drop += drop_trigger_sql(connection.vendor, table)
        create += trigger_sql(connection.vendor, table)
    return [*drop, *statements, *create]


def allow_flush_in_tests() -> None:
    """Let the test runner's flush empty the append-only tables (see ``flush_keeping_triggers``)."""
    for connection in connections.all():
        ops_class = type(connection.ops)
        if getattr(ops_class, "_yishi_flush_keeps_triggers", False):
            continue
        original = ops_class.sql_flush

        def sql_flush(
            self: Any, style: Any, tables: Any, *args: Any, __orig: Any = original, **kw: Any
        ) -> list[str]:
            return flush_keeping_triggers(
                self.connection, list(__orig(self, style, tables, *args, **kw))
            )

        ops_class.sql_flush = sql_flush  # type: ignore[method-assign]
        ops_class._yishi_flush_keeps_triggers = True  # type: ignore[attr-defined]
