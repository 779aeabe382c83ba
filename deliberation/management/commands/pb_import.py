"""``manage.py pb_import FILE.pb --community SLUG``: a Pabulib election becomes a budget round.

Approval (and choose-1) elections only. The projects become external entries of the round (no
Project rows), the ballots anonymous ballots; the round is counted at once with the file's rule
(META ``rule``, or ``--rule``) unless ``--keep-open``. A malformed file is refused with a message
naming the line; nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from deliberation import ballots, pabulib
from deliberation.ballot_models import BudgetRule
from projects.errors import YishiError
from projects.models import Community


class Command(BaseCommand):
    help = "Import a Pabulib .pb file (approval / choose-1) as a budget round of a community."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=".pb file")
        parser.add_argument("--community", required=True, help="community slug")
        parser.add_argument("--title", default="", help="round title (default: META description)")
        parser.add_argument(
            "--rule",
            choices=BudgetRule.values,
            default=None,
            help="rule to count with (default: the file's META rule)",
        )
        parser.add_argument("--keep-open", action="store_true", help="import without counting")

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(_("社区不存在：%(slug)s") % {"slug": options["community"]})
        path = Path(options["path"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(
                _("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": exc}
            ) from None
        except UnicodeDecodeError as exc:
            raise CommandError(_("文件不是 UTF-8 文本：%(error)s") % {"error": exc}) from None
        try:
            election = pabulib.loads(text)
        except pabulib.PabulibError as exc:
            raise CommandError(
                _("%(path)s 第 %(line)d 行：%(message)s")
                % {"path": path.name, "line": exc.line, "message": exc.message}
            ) from None
        for warning in election.warnings:  # e.g. a vote naming a project twice, counted once
            self.stderr.write(
                _("%(path)s 第 %(line)d 行：%(message)s")
                % {"path": path.name, "line": warning.line, "message": warning.message}
            )
        try:
            with transaction.atomic():
                rnd = ballots.round_import(
                    community=community,
                    election=election,
                    text=text,
                    title=options["title"],
                    rule=options["rule"],
                )
                result = None if options["keep_open"] else ballots.round_close(round=rnd, by=None)
        except YishiError as exc:
            raise CommandError(f"{path.name}: {exc.message}") from None
        self.stdout.write(
            _("已导入预算投票 #%(id)d “%(title)s”：%(p)d 个项目，%(v)d 张选票，规则 %(rule)s")
            % {
                "id": rnd.pk,
                "title": rnd.title,
                "p": len(election.projects),
                "v": len(election.votes),
                "rule": rnd.rule,
            }
        )
        if result is not None:
            winners = [
                e.external_id for e in rnd.entries.filter(selected=True).order_by("position")
            ]
            self.stdout.write(
                _("入选 %(n)d 项，总成本 %(cost)s：%(ids)s")
                % {"n": len(winners), "cost": result.total_cost, "ids": ", ".join(winners)}
            )
