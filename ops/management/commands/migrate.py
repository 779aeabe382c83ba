"""``manage.py migrate``, with each migration taking its tables' locks first on PostgreSQL, so
that it cannot deadlock with the requests of the code still serving (ops/migration_locks.py)."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.core.management.commands import migrate

from ops.migration_locks import LockFirstExecutor


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        with mock.patch.object(migrate, "MigrationExecutor", LockFirstExecutor):
            super().handle(*args, **options)
