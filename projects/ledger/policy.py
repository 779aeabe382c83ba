"""What may happen to a project's money in which state, and who may do it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from projects.errors import Forbidden
from projects.ledger.balances import Balances
from projects.ledger.selectors import project_balances
from projects.models import (
    Community,
    EntryKind,
    Project,
    Role,
    State,
)
from projects.selectors import user_has_role

# What may happen to a project's money in which state.
SPENDING_STATES = frozenset({State.EXECUTING, State.ACCEPTING, State.EVALUATING, State.RECTIFYING})
# Payments are recorded while the work runs, and after a passing evaluation closes the project:
# the holdback the vote released is then paid on to the contractor (the final invoice, 尾款),
# within what was released and not yet spent.
EXPENDITURE_STATES = SPENDING_STATES | {State.CLOSED}
NO_COFUNDING_STATES = frozenset(
    {State.DRAFT, State.REJECTED, State.WITHDRAWN, State.LAPSED, State.FAILED}
)
SETTLED_STATES = frozenset({State.CLOSED, State.FAILED})
# Who may reverse an entry of each kind; entries the lifecycle writes are not reversed by hand.
REVERSIBLE_BY: dict[str, str] = {
    EntryKind.EXPENDITURE: Role.CLERK,
    EntryKind.COFUND_PLEDGE: Role.CLERK,
    EntryKind.COFUND_RECEIPT: Role.CLERK,
    EntryKind.APPROPRIATION: Role.SUPERVISOR,
}


def clerk_money_actions(state: str, balances: Balances | None = None) -> list[str]:
    """The money actions the community's clerk may take on a project in ``state`` (what the
    project page's money panel offers, and what a refusal lists as allowed).

    On a settled project (closed, failed) only what is still owed is offered: paying on money
    released and not yet spent (the holdback a passing vote released), and receiving a pledge
    not yet received. ``balances`` (the project's) decides that; without them the state alone
    answers, as the services' state check does."""
    owed = balances if state in SETTLED_STATES else None
    actions: list[str] = []
    if state in EXPENDITURE_STATES and (owed is None or owed.unspent > 0):
        actions.append("expenditure")
    if state not in NO_COFUNDING_STATES:
        if owed is None:
            actions += ["cofund_pledge", "cofund_receipt"]
        elif owed.pledged > owed.cofunded:
            actions.append("cofund_receipt")
    return actions


def _money_allowed(project: Project, by: Any) -> list[str]:
    """The money actions ``by`` may take on ``project`` in its state now."""
    if not user_has_role(by, project.community, Role.CLERK):
        return []
    return clerk_money_actions(project.state, project_balances(project))


def _require_supervisor(by: Any, community: Community) -> None:
    if not user_has_role(by, community, Role.SUPERVISOR):
        raise Forbidden(_("只有街道监督人员可以管理公益事业经费"))


def _require_clerk(by: Any, community: Community) -> None:
    if not user_has_role(by, community, Role.CLERK):
        raise Forbidden(_("只有社区服务中心工作人员可以记账"))
