"""The public monthly statement (公示栏) pages: per community, per street (and the same as CSV)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from projects import ledger
from projects.errors import Forbidden
from projects.models import (
    Community,
    Fund,
    LedgerEntry,
    Role,
)
from projects.models.places import Place
from projects.money_views import _csv_response, _error, _month, _this_month, _wants_csv
from projects.selectors import user_has_role


# --- the public statement (公示栏) --------------------------------------------------------------
def statement_index(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_object_or_404(Community.objects.select_related("place__parent"), slug=slug)
    funds = list(Fund.objects.filter(community=community).order_by("-year"))
    balances = ledger.balances_by(LedgerEntry.objects.filter(fund__community=community), "fund_id")
    rows = [(f, balances.get(f.pk, ledger.Balances())) for f in funds]
    months = ledger.statement_months(community)
    return render(
        request,
        "money/statement_index.html",
        {"community": community, "funds": rows, "months": months, "this_month": _this_month()},
    )


def statement_month(
    request: HttpRequest, slug: str, month: str, fmt: str | None = None
) -> HttpResponse:
    community = get_object_or_404(Community.objects.select_related("place__parent"), slug=slug)
    when = _month(month)
    statement = ledger.statement_build(community=community, month=when)
    if _wants_csv(request, fmt):
        return _csv_response(ledger.statement_csv(statement), f"statement-{slug}-{when:%Y-%m}.csv")
    return render(
        request,
        "money/statement.html",
        {
            "community": community,
            "s": statement,
            "previous": ledger.previous_month(when),
            "next": ledger.next_month(when) if when < _this_month() else None,
            "is_supervisor": user_has_role(request.user, community, Role.SUPERVISOR),
        },
    )


@login_required
def street_statement(
    request: HttpRequest, pk: int, month: str | None = None, fmt: str | None = None
) -> HttpResponse:
    street = get_object_or_404(Place, pk=pk)
    if not ledger.street_supervisor(request.user, street):
        return _error(request, Forbidden(_("只有本街道监督人员可以查看街道汇总")), "/")
    if month is None:
        return redirect("money-street-statement", pk=street.pk, month=f"{_this_month():%Y-%m}")
    when = _month(month)
    rows = ledger.street_statement(street=street, month=when)
    total_open = sum((r.opening for r in rows), ledger.Balances())
    total_close = sum((r.closing for r in rows), ledger.Balances())
    if _wants_csv(request, fmt):
        return _csv_response(
            ledger.street_statement_csv(rows, total_open, total_close),
            f"street-{street.pk}-{when:%Y-%m}.csv",
        )
    return render(
        request,
        "money/street_statement.html",
        {
            "street": street,
            "month": when,
            "rows": rows,
            "total_opening": total_open,
            "total_closing": total_close,
            "total_movement": total_close - total_open,
            "previous": ledger.previous_month(when),
            "next": ledger.next_month(when) if when < _this_month() else None,
        },
    )
