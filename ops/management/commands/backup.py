"""``manage.py backup DIR``: the database (pg_dump), the media files and a manifest with checksums
and the public figures (ops/backup.py). PostgreSQL only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ops import backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump) and media into a new folder, with a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="a new (or empty) folder")

    def handle(self, *args: Any, **options: Any) -> None:
        target: Path = options["directory"]
        manifest = backup.backup(target, self.stdout.write)
        c = manifest["figures"]["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: backup in {target}: {c['projects']} projects, {c['ledger_entries']} ledger"
                f" entries, {c['audit_events']} audit events,"
                f" {c['evaluation_ballots'] + c['budget_ballots'] + c['decision_votes']} votes"
            )
        )
