"""``manage.py pb_export ROUND_ID [-o FILE.pb]``: a counted budget round as a Pabulib file.

Approval vote type; voter ids are 1..n over the ballots sorted by content, so the file carries no
voter identity and no casting order. ``pb_outcome`` recomputes the result from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from deliberation import ballots, pabulib
from deliberation.ballot_models import BudgetRound
from projects.errors import YishiError


class Command(BaseCommand):
    help = "Export a closed budget round as a Pabulib .pb file (approval)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round", type=int, help="round id")
        parser.add_argument("-o", "--output", default="-", help="output file (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        rnd = BudgetRound.objects.select_related("community").filter(pk=options["round"]).first()
        if rnd is None:
            raise CommandError(_("预算投票 #%(id)d 不存在") % {"id": options["round"]})
        try:
            text = pabulib.dumps(ballots.round_to_election(rnd))
        except YishiError as exc:
            raise CommandError(exc.message) from None
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(_("已写入 %(path)s") % {"path": options["output"]})
