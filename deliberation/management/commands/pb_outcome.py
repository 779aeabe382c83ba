"""``manage.py pb_outcome FILE.pb --rule RULE [--json]``: the winners of a Pabulib election.

Prints the selected project ids, one per line in selection order, or with ``--json`` the object
``{"selected": [...], "cost": "..."}`` (total cost as an exact decimal string). Without ``--rule``
the file's META ``rule`` is used when it is one this project implements. Uses only the pure
modules :mod:`deliberation.pabulib` and :mod:`deliberation.rules` (no database). A malformed file
is refused with a :class:`~django.core.management.base.CommandError` naming the line.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deliberation import pabulib, rules


class Command(BaseCommand):
    help = "Compute the winning projects of a Pabulib .pb file under a budget rule."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=".pb file")
        parser.add_argument(
            "--rule",
            choices=rules.RULES,
            default=None,
            help="rule to apply (default: the file's META rule)",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help='print {"selected": [...], "cost": "..."} instead of one id per line',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        try:
            election = pabulib.read(path)
        except pabulib.PabulibError as exc:
            raise CommandError(f"{path}: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        try:
            result = rules.outcome(election, options["rule"])
        except (rules.RuleError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from None
        if options["json"]:
            payload = {
                "selected": list(result.selected),
                "cost": rules.decimal_string(result.total_cost),
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            for project_id in result.selected:
                self.stdout.write(project_id)
