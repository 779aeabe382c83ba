"""``manage.py build_open_data [--daily]``: write today's open-data snapshot (every dataset in
CSV and JSON, the counted budget rounds as Pabulib files, ``manifest.json`` with each file's
SHA-256) to ``MEDIA_ROOT/open-data/<date>/``. ``--daily`` does nothing when today's exists (the
clock runs it so)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opendata import snapshot


class Command(BaseCommand):
    help = "Write today's open-data snapshot with SHA-256 of every file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--daily", action="store_true", help="only if today's snapshot is not there yet"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["daily"] and snapshot.built_today():
            return
        started = time.perf_counter()
        manifest = snapshot.build()
        total = sum(f["bytes"] for f in manifest["files"])
        self.stdout.write(
            f"open data {manifest['snapshot']}: {len(manifest['files'])} files,"
            f" {total / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s"
        )
