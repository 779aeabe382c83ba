"""``{% load money %}``: the project page's money panel and money formatting.

``{% money_panel project %}`` renders ``money/_panel.html`` with the project's derived balances,
its entries and what the viewer may do (record an expenditure or co-funding, reverse an entry).
``{{ value|yuan }}`` formats an amount as ``12,345.60``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from projects import ledger
from projects.models import LedgerEntry, Project, Role
from projects.selectors import user_has_role

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{ledger.money(amount):,.2f}"


@register.filter
def percent_of(part: Any, whole: Any) -> int:
    """``{{ spent|percent_of:allocated }}`` → an integer percentage in 0..100 for a bar."""
    try:
        whole_d = Decimal(str(whole))
        if whole_d <= 0:
            return 0
        return max(0, min(100, int(Decimal(str(part)) * 100 / whole_d)))
    except (InvalidOperation, ValueError, TypeError):
        return 0


@register.inclusion_tag("money/_panel.html", takes_context=True)
def money_panel(context: Any, project: Project) -> dict[str, Any]:
    request = context.get("request")
    user = context.get("user") or (request.user if request is not None else None)
    balances = ledger.project_balances(project)
    entries = list(
        LedgerEntry.objects.filter(project_id=project.pk)
        .select_related("actor", "reversed_by", "reverses")
        .order_by("created_at", "pk")
    )
    clerk = user is not None and user_has_role(user, project.community, Role.CLERK)
    actions = ledger.clerk_money_actions(project.state, balances) if clerk else []
    rows = [
        {
            "entry": e,
            "reversed": ledger.is_reversed(e),
            "can_reverse": clerk
            and ledger.REVERSIBLE_BY.get(e.kind) == Role.CLERK
            and not ledger.is_reversed(e),
        }
        for e in entries
    ]
    return {
        "project": project,
        "b": balances,
        "rows": rows,
        "can_spend": "expenditure" in actions,
        "can_cofund": "cofund_pledge" in actions or "cofund_receipt" in actions,
        "spending": project.state in ledger.SPENDING_STATES,
        "holdback_held": balances.unreleased > 0 and project.state in ledger.SPENDING_STATES,
        "request": request,
    }
