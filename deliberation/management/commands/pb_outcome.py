"""``manage.py pb_outcome FILE.pb --rule RULE [--json]``: the winners of a Pabulib election.

The same as the ``yishi-pb`` console script (:mod:`deliberation.pb_cli`), which does not start
Django and so starts much faster; this command stays for those used to ``manage.py``. Prints the
selected project ids, one per line in selection order, or with ``--json`` the object
``{"selected": [...], "cost": "..."}``. Without ``--rule`` the file's META ``rule`` is used when it
is one this project implements. Lines the reader accepted with a warning (a vote naming a project
twice, counted once) are reported on standard error. A malformed file is refused with a
:class:`~django.core.management.base.CommandError` naming the line.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deliberation import pb_cli, rules


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
            result, warnings = pb_cli.compute(path, options["rule"])
        except pb_cli.PbError as exc:
            raise CommandError(str(exc)) from None
        for warning in warnings:
            self.stderr.write(f"{path}: {warning}")
        for line in pb_cli.render(result, as_json=options["json"]):
            self.stdout.write(line)
