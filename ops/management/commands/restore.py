"""``manage.py restore DIR``: into an EMPTY PostgreSQL database, after checking the checksums;
then the audit and ledger chains must verify and the public figures match the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops import backup


class Command(BaseCommand):
    help = "Restore a backup (manage.py backup) into an empty database, then verify it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="a folder written by manage.py backup")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["directory"]
        manifest = backup.restore(source, self.stdout.write)
        problems = backup.verify_restored(manifest)
        for problem in problems:
            self.stderr.write(f"DIFFERS {problem}")
        if problems:
            raise CommandError(f"restored, but {len(problems)} check(s) failed", returncode=1)
        c = manifest["figures"]["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: restored the backup of {manifest['created_at']}; audit and ledger chains"
                f" verify; {c['projects']} projects, {c['ledger_entries']} ledger entries,"
                f" {c['audit_events']} audit events, every vote count, table digest and fund"
                f" balance as in the manifest"
            )
        )
