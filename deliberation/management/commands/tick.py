"""The clock: fire due viewflow timers (reminders, escalations), lapse expired co-signing, and
count the evaluation and budget rounds whose window is over (nobody else closes them early),
and write the day's open-data snapshot once a day.

``manage.py tick`` runs once (for cron); ``manage.py tick --loop 30`` runs every 30 s (``make run``).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from deliberation.ballots import rounds_close_due
from deliberation.execution import execution_late_due
from deliberation.services import cosign_expire_due, evaluation_close_due
from ops.heartbeat import clock_beat


class Command(BaseCommand):
    help = "Fire due workflow timers, lapse expired co-signing windows, count evaluation and budget rounds whose window ended."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            clock_beat()  # /readyz: the clock and the worker are alive (ops/heartbeat.py)
            call_command("workflow_timers", stdout=self.stdout)
            lapsed = cosign_expire_due()
            counted = evaluation_close_due()
            closed = rounds_close_due()
            warned, escalated = execution_late_due()
            call_command("build_open_data", "--daily", stdout=self.stdout)  # once a day
            # once a month has ended
            call_command("build_dashboard_summaries", "--if-stale", stdout=self.stdout)
            self.stdout.write(
                f"{lapsed} proposal(s) lapsed, {counted} evaluation round(s) counted,"
                f" {closed} budget round(s) counted, {warned} late milestone(s) warned,"
                f" {escalated} overdue project(s) escalated"
            )
            if not options["loop"]:
                return
            time.sleep(options["loop"])
