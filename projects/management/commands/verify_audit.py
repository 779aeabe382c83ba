"""``manage.py verify_audit``: recompute every hash chain (the audit trail per project, the
ledger per fund) and say which row breaks it. Exit status 1 when any chain is broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects import audit
from projects.models import LedgerEntry, ProjectEvent


class Command(BaseCommand):
    help = "Check the hash chains of the audit trail (per project) and the ledger (per fund)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", type=int, help="only this project's audit chain")
        parser.add_argument("--fund", type=int, help="only this fund's ledger chain")

    def handle(self, *args: Any, **options: Any) -> None:
        project, fund = options.get("project"), options.get("fund")
        breaks: list[audit.Break] = []
        events = entries = 0
        if fund is None:
            breaks += audit.verify_events(project)
            qs = ProjectEvent.objects.all()
            events = (qs.filter(project_id=project) if project is not None else qs).count()
        if project is None:
            breaks += audit.verify_ledger(fund)
            qs2 = LedgerEntry.objects.all()
            entries = (qs2.filter(fund_id=fund) if fund is not None else qs2).count()
        for b in breaks:
            self.stderr.write(
                f"BROKEN {b.label} #{b.pk} ({'project' if b.label == 'ProjectEvent' else 'fund'}"
                f" {b.chain}, row {b.position} of its chain): {b.reason}"
            )
        if breaks:
            raise CommandError(f"{len(breaks)} chain(s) broken", returncode=1)
        self.stdout.write(f"OK: {events} audit rows and {entries} ledger entries verified")
