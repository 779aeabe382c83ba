"""A project's states and what each allows (public, open, withdrawable, …)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass


MAX_AMOUNT = Decimal("999999999999.99")  # Decimal(14, 2)


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    COLLECTING = "collecting", _("附议中")
    SCREENING = "screening", _("初审")
    ASSESSING = "assessing", _("可行性评估")
    DELIBERATING = "deliberating", _("议事会协商")
    DECIDING = "deciding", _("党委决策")
    PUBLICIZING = "publicizing", _("公示中")
    EXECUTING = "executing", _("实施中")
    ACCEPTING = "accepting", _("验收中")
    EVALUATING = "evaluating", _("群众评议")
    RECTIFYING = "rectifying", _("整改中")
    CLOSED = "closed", _("已结项")
    LAPSED = "lapsed", _("附议未达")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    FAILED = "failed", _("评议未通过")


@dataclass(frozen=True)
class StateFlags:
    """What each state allows: data next to the states, not ``if state == ...`` everywhere."""

    is_open: bool = True  # the story goes on
    public: bool = True  # readable without logging in
    can_edit: bool = False  # the proposer may edit title/summary/photos
    can_cosign: bool = False
    can_withdraw: bool = False
    can_comment: bool = True
    can_object: bool = False  # residents may file an objection (公示)
    can_evaluate: bool = False
    has_money: bool = False  # an allocation stands


STATE_FLAGS: dict[str, StateFlags] = {
    State.DRAFT: StateFlags(public=False, can_edit=True, can_withdraw=True, can_comment=False),
    State.COLLECTING: StateFlags(can_cosign=True, can_withdraw=True),
    State.SCREENING: StateFlags(can_withdraw=True),
    State.ASSESSING: StateFlags(can_withdraw=True),
    State.DELIBERATING: StateFlags(can_withdraw=True),
    State.DECIDING: StateFlags(),
    State.PUBLICIZING: StateFlags(can_object=True, has_money=True),
    State.EXECUTING: StateFlags(has_money=True),
    State.ACCEPTING: StateFlags(has_money=True),
    State.EVALUATING: StateFlags(can_evaluate=True, has_money=True),
    State.RECTIFYING: StateFlags(has_money=True),
    State.CLOSED: StateFlags(is_open=False, has_money=True),
    State.LAPSED: StateFlags(is_open=False, can_comment=False),
    State.REJECTED: StateFlags(is_open=False, can_comment=False),
    State.WITHDRAWN: StateFlags(is_open=False, public=False, can_comment=False),
    State.FAILED: StateFlags(is_open=False, has_money=True),
}
OPEN_STATES = [s for s, f in STATE_FLAGS.items() if f.is_open]
WITHDRAWABLE = [s for s, f in STATE_FLAGS.items() if f.can_withdraw]
