"""``manage.py migrate``, with each migration taking its tables' locks first on PostgreSQL, so
that it cannot deadlock with the requests of the code still serving (ops/migration_locks.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import migrate

from ops.migration_locks import LockFirstExecutor


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        # Django's command builds its executor from the module's name ``MigrationExecutor``;
        # the lock-first one stands in for it while this command runs.
        stock = migrate.MigrationExecutor  # type: ignore[attr-defined]
        migrate.MigrationExecutor = LockFirstExecutor  # type: ignore[attr-defined]
        try:
            super().handle(*args, **options)
        finally:
            migrate.MigrationExecutor = stock  # type: ignore[attr-defined]
