"""The conditions (guards) of the transitions: each reads only the project and rows it owns; the
words that explain an unmet one, and the moment from which it will hold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass


# --- Conditions (guards). Each reads only the project and rows it owns. ------------------------
def cosign_threshold_met(p: Any) -> bool:
    return p.cosign_count >= p.community.cosign_threshold


def cosign_window_over(p: Any) -> bool:
    return p.cosign_deadline is not None and timezone.now() >= p.cosign_deadline


def assessment_complete(p: Any) -> bool:
    return p.assessed_cost is not None and bool(p.plan.strip()) and p.duration_days is not None


def publicity_over(p: Any) -> bool:
    return p.publicity_ends_at is not None and timezone.now() >= p.publicity_ends_at


def no_pending_objection(p: Any) -> bool:
    return not p.has_pending_objection


def objection_pending(p: Any) -> bool:
    return p.has_pending_objection


def has_approved_amount(p: Any) -> bool:
    return p.approved_amount is not None and p.approved_amount > 0


def rectification_rounds_left(p: Any) -> bool:
    return p.rectification_count < p.community.max_rectification_rounds


def rectification_rounds_exhausted(p: Any) -> bool:
    return not rectification_rounds_left(p)


# --- 听证会: required before the committee's decision (approve / decline) when the project's
# amount is over the community's ``hearing_amount``, or when an objection to it was upheld. The
# one rule, read by the transition table (so refusals and ``allowed_transitions`` agree), the
# roll-call (which will not open an approve / decline motion) and the project page.
def hearing_amount_of(p: Any) -> Decimal | None:
    """The amount a hearing is judged on: the assessed cost, else the resident's estimate."""
    return p.assessed_cost if p.assessed_cost is not None else p.estimated_cost


def hearing_over_amount(p: Any) -> bool:
    limit = p.community.hearing_amount
    amount = hearing_amount_of(p)
    return limit is not None and amount is not None and amount > limit


def hearing_needed(p: Any) -> bool:
    """Is a hearing required at all (whether or not one was held)?"""
    return hearing_over_amount(p) or p.objection_upheld_at is not None


def hearing_held_if_needed(p: Any) -> bool:
    """No hearing needed, or one was held (minutes published) — after the last upheld
    objection, when there is one."""
    if not hearing_needed(p):
        return True
    held = p.hearing_held_at
    if held is None:
        return False
    return p.objection_upheld_at is None or held >= p.objection_upheld_at


def hearing_reasons(p: Any) -> list[str]:
    """Why a hearing is required, in the active language (empty when it is not)."""
    from projects.templatetags.ui import cny

    out = []
    if hearing_over_amount(p):
        out.append(
            str(_("金额 %(amount)s 超过社区设定的 %(limit)s"))
            % {"amount": cny(hearing_amount_of(p)), "limit": cny(p.community.hearing_amount)}
        )
    if p.objection_upheld_at is not None:
        out.append(str(_("公示异议成立")))
    return out


Condition = Callable[[Any], bool]

CONDITION_MESSAGES: dict[Condition, Any] = {
    cosign_threshold_met: _("附议人数尚未达到门槛"),
    cosign_window_over: _("附议期尚未结束"),
    assessment_complete: _("需要先填写成本估算、实施方案和工期"),
    publicity_over: _("公示期尚未结束"),
    no_pending_objection: _("有待处理的异议"),
    objection_pending: _("没有待处理的异议"),
    has_approved_amount: _("需要批准金额"),
    rectification_rounds_left: _("整改轮数已用完"),
    rectification_rounds_exhausted: _("仍可整改"),
    hearing_held_if_needed: _("需先召开听证会"),
}
# Conditions whose message names the project's own figures (said after the message).
CONDITION_DETAIL: dict[Condition, Callable[[Any], list[str]]] = {
    hearing_held_if_needed: hearing_reasons,
}
# Conditions that the clock alone will meet, and when: an action waiting only on these is shown
# with the moment it becomes possible ("开工实施 after 公示 ends on ...").
CONDITION_AT: dict[Condition, Callable[[Any], datetime | None]] = {
    cosign_window_over: lambda p: p.cosign_deadline,
    publicity_over: lambda p: p.publicity_ends_at,
}
