"""The statement written out: CSV (the only place the money pages' CSV is
written) and JSON-ready dicts."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from projects.ledger.balances import Balances
from projects.ledger.statements import (
    CSV_COLUMNS,
    Statement,
    StatementLine,
    StreetRow,
    _col,
    next_month,
)

# The statement CSV's leading columns; the balance columns (``CSV_COLUMNS``) follow.
CSV_HEAD = (
    gettext_noop("行"),
    gettext_noop("记账日期"),
    gettext_noop("分录号"),
    gettext_noop("项目编号"),
    gettext_noop("项目"),
    gettext_noop("类型"),
    gettext_noop("金额"),
    gettext_noop("收付方"),
    gettext_noop("摘要"),
)


def statement_csv(statement: Statement) -> str:
    """The statement as CSV: an opening row, one row per entry with how it moved each balance,
    the month's total, and the closing row. Opening + total = closing, column by column."""
    out = io.StringIO()
    writer = csv.writer(out)
    names = [n for n, _label in CSV_COLUMNS]

    def balances(bal: Balances | dict[str, Decimal]) -> list[str]:
        return [str(_col(bal, n)) for n in names]

    blank = [""] * (len(CSV_HEAD) - 2)  # a summary row has a label and a date, no entry
    end = next_month(statement.month)
    writer.writerow([_(head) for head in CSV_HEAD] + [_(label) for _n, label in CSV_COLUMNS])
    writer.writerow(
        [_("期初"), f"{statement.month:%Y-%m-01}", *blank, *balances(statement.opening)]
    )
    for ln in statement.lines:
        e = ln.entry
        writer.writerow(
            [
                _("分录"),
                f"{timezone.localtime(e.created_at):%Y-%m-%d}",
                e.pk,
                e.project_id or "",
                csv_safe(e.project.title) if e.project else "",
                e.get_kind_display(),
                str(e.amount),
                csv_safe(e.payee or e.contributor),
                csv_safe(e.memo_text),
                *balances(ln.effects),
            ]
        )
    writer.writerow([_("本月合计"), "", *blank, *balances(statement.movement)])
    writer.writerow([_("期末"), f"{end:%Y-%m-%d}", *blank, *balances(statement.closing)])
    return out.getvalue()


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def statement_as_dict(statement: Statement) -> dict[str, Any]:
    """JSON-ready statement for the API (amounts as strings)."""

    def bal(b: Balances) -> dict[str, str]:
        return {k: str(v) for k, v in b.as_dict().items()}

    def line(ln: StatementLine) -> dict[str, Any]:
        e = ln.entry
        return {
            "id": e.pk,
            "created_at": e.created_at.isoformat(),
            "kind": e.kind,
            "kind_label": e.get_kind_display(),
            "amount": str(e.amount),
            "project": e.project_id,
            "project_title": e.project.title if e.project else None,
            "payee": e.payee,
            "contributor": e.contributor,
            "contributor_kind": e.contributor_kind,
            "in_kind": e.in_kind,
            "memo": e.memo_text,
            "reverses": e.reverses_id,
            "effects": {k: str(v) for k, v in ln.effects.items()},
        }

    return {
        "community": {
            "id": statement.community.pk,
            "slug": statement.community.slug,
            "name": statement.community.name,
        },
        "month": statement.month_label,
        "opening": bal(statement.opening),
        "movement": bal(statement.movement),
        "closing": bal(statement.closing),
        "entries": [line(ln) for ln in statement.lines],
        "projects": [
            {
                "id": row.project.pk,
                "title": row.project.title,
                "state": row.project.state,
                "moved": bal(row.moved),
                "closing": bal(row.closing),
            }
            for row in statement.projects
        ],
        "cofunding": [line(ln) for ln in statement.cofunding],
    }


def street_statement_csv(rows: list[StreetRow], opening: Balances, closing: Balances) -> str:
    """A street's month as CSV: per community its available balance at the start, the month's
    movements and the closing figures, then the street's total."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            _("社区"),
            _("期初可分配余额"),
            _("本月拨入"),
            _("本月分配"),
            _("本月拨付"),
            _("本月支出"),
            _("本月共建到账"),
            _("期末可分配余额"),
            _("期末已支出"),
        ]
    )
    for name, o, c in [
        *[(r.community.name, r.opening, r.closing) for r in rows],
        (_("合计"), opening, closing),
    ]:
        m = c - o
        w.writerow(
            [
                csv_safe(name),
                o.available,
                m.appropriated,
                m.allocated,
                m.released,
                m.spent,
                m.cofunded,
                c.available,
                c.spent,
            ]
        )
    return out.getvalue()
