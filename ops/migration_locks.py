"""Migrations that cannot deadlock with the requests the old code is serving.

``manage.py migrate`` runs while the previous release still serves (deploy/UPGRADING.md). A
migration's DDL takes an exclusive lock on each table it alters, one statement at a time, and
keeps each lock to the end of its transaction. A request that holds one of those tables and
waits for another the migration already holds closes a cycle, and PostgreSQL aborts one side:
when that side is the request, a resident's vote answers 500.

So each migration first takes the locks of every existing table it alters, all in one
``LOCK TABLE … NOWAIT`` inside a savepoint. If any is held, the savepoint is rolled back (which
releases what it took) and it tries again a moment later. Once it holds them all it waits for
nothing a request holds, so it cannot be part of a cycle; requests queue behind it for the
migration's few seconds and then go on.

The tables come from the migration's operations and the state before it: the model each model or
field operation names (also inside ``SeparateDatabaseAndState``) and, in ``SHARE ROW EXCLUSIVE``
mode, the tables that a new foreign key points at. ``RunPython`` and ``RunSQL`` name no tables;
what they touch is locked as they touch it."""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.operations.fields import FieldOperation
from django.db.migrations.operations.models import ModelOperation, RenameModel
from django.db.migrations.operations.special import SeparateDatabaseAndState
from django.db.migrations.state import ProjectState
from django.db.utils import OperationalError

LOCK_WAIT_SECONDS = 120.0  # give up (and say which tables) after this long
RETRY_PAUSE = 0.05


def _table(state: ProjectState, app_label: str, model_name: str) -> str | None:
    model = state.models.get((app_label, model_name.lower()))
    if model is None:
        return None
    return str(model.options.get("db_table") or f"{app_label}_{model.name_lower}")


def _referenced(state: ProjectState, app_label: str, field: Any) -> str | None:
    target = getattr(getattr(field, "remote_field", None), "model", None)
    if not isinstance(target, str):
        return None
    label, _, name = target.rpartition(".")
    return _table(state, label or app_label, name)


def _operation_tables(
    op: Operation, app_label: str, state: ProjectState
) -> tuple[set[str], set[str]]:
    """(tables altered, tables referenced by a new foreign key) of one operation."""
    altered: set[str] = set()
    referenced: set[str] = set()
    if isinstance(op, SeparateDatabaseAndState):
        for inner in op.database_operations:
            a, r = _operation_tables(inner, app_label, state)
            altered |= a
            referenced |= r
        return altered, referenced
    if isinstance(op, RenameModel):
        name: str | None = op.old_name
    elif isinstance(op, ModelOperation):
        name = op.name
    elif isinstance(op, FieldOperation):
        name = op.model_name
    else:  # index, constraint and trigger operations name their model as model_name
        name = getattr(op, "model_name", None)
    if name:
        table = _table(state, app_label, name)
        if table:
            altered.add(table)
    fields = [op.field] if hasattr(op, "field") else [f for _, f in getattr(op, "fields", [])]
    for field in fields:
        target = _referenced(state, app_label, field)
        if target:
            referenced.add(target)
    return altered, referenced


def tables_of(migration: Migration, state: ProjectState) -> tuple[list[str], list[str]]:
    altered: set[str] = set()
    referenced: set[str] = set()
    for op in migration.operations:
        a, r = _operation_tables(op, migration.app_label, state)
        altered |= a
        referenced |= r
    return sorted(altered), sorted(referenced - altered)


class LockFirstExecutor(MigrationExecutor):
    """Applies each atomic migration on PostgreSQL inside a transaction that first holds all its
    tables (see the module's docstring)."""

    def apply_migration(
        self,
        state: ProjectState,
        migration: Migration,
        fake: bool = False,
        fake_initial: bool = False,
    ) -> ProjectState:
        if fake or not migration.atomic or self.connection.vendor != "postgresql":
            return super().apply_migration(state, migration, fake, fake_initial)
        existing = set(self.connection.introspection.table_names())
        altered, referenced = tables_of(migration, state)
        altered = [t for t in altered if t in existing]
        referenced = [t for t in referenced if t in existing]
        with transaction.atomic(using=self.connection.alias):
            if altered or referenced:
                self._lock(migration, altered, referenced)
            return super().apply_migration(state, migration, fake, fake_initial)

    def _lock(self, migration: Migration, altered: list[str], referenced: list[str]) -> None:
        quote = self.connection.ops.quote_name
        statements = [
            f"LOCK TABLE {', '.join(map(quote, tables))} IN {mode} MODE NOWAIT"
            for tables, mode in ((altered, "ACCESS EXCLUSIVE"), (referenced, "SHARE ROW EXCLUSIVE"))
            if tables
        ]
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        pause = RETRY_PAUSE
        while True:
            try:
                with transaction.atomic(using=self.connection.alias), self.connection.cursor() as c:
                    for sql in statements:
                        c.execute(sql)
                return
            except OperationalError as e:  # lock_not_available: someone holds one of them
                if getattr(getattr(e, "__cause__", None), "sqlstate", None) != "55P03":
                    raise
                if time.monotonic() > deadline:
                    raise OperationalError(
                        f"{migration.app_label}.{migration.name}: the tables "
                        f"{', '.join(altered + referenced)} stayed busy for "
                        f"{LOCK_WAIT_SECONDS:.0f} s; run migrate again when traffic is lighter"
                    ) from e
                time.sleep(pause)
                pause = min(pause * 1.5, 0.5)
