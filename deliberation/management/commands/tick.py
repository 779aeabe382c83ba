"""The clock: fire due viewflow timers (reminders, escalations) and lapse expired co-signing.

``manage.py tick`` runs once (for cron); ``manage.py tick --loop 30`` runs every 30 s (``make run``).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from deliberation.ballots import rounds_close_due
from deliberation.services import cosign_expire_due


class Command(BaseCommand):
    help = "Fire due workflow timers, lapse expired co-signing windows, count budget rounds whose window ended."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            call_command("workflow_timers", stdout=self.stdout)
            lapsed = cosign_expire_due()
            closed = rounds_close_due()
            self.stdout.write(f"{lapsed} proposal(s) lapsed, {closed} budget round(s) counted")
            if not options["loop"]:
                return
            time.sleep(options["loop"])
