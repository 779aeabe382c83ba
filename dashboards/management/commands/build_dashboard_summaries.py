"""``manage.py build_dashboard_summaries [--if-stale]``: recount the monthly summaries of the
dashboards (``dashboards.summary.build``) for every month before the current one. With
``--if-stale`` (the clock), only when a month has ended since they were last built."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboards import summary


class Command(BaseCommand):
    help = "Recount the dashboards' monthly summaries (every month before the current one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-stale", action="store_true", help="only when a month ended since the last build"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_stale"] and not summary.stale():
            return
        started = time.perf_counter()
        state = summary.build()
        self.stdout.write(
            f"dashboard summaries: months before {state.before} in"
            f" {time.perf_counter() - started:.1f} s"
        )
