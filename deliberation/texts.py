"""The texts deliberation stores as a code and parameters (see ``notifications/texts.py``): the
tallies it notes on a project's timeline, and how a stored motion or workflow step is shown.
Registered by ``DeliberationConfig.ready``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from notifications.texts import Text, register_formatter, register_texts

TEXTS: dict[str, Any] = {
    "decision.tally": _(
        "表决结果：出席 %(present)d/%(total)d，赞成 %(yes)d，反对 %(no)d，弃权 %(abstain)d，回避 %(recused)d"
    ),
    "ballot.selected": _(
        "预算投票“%(title)s”（%(rule)s）结果：入选，%(votes)d 票，金额 %(amount)s 元"
    ),
    "evaluation.tally": _(
        "第 %(n)d 轮评议：满意 %(s)d，基本满意 %(b)d，不满意 %(d)d；参与率 %(t).1f%%，满意率 %(r).1f%%"
    ),
}


def decision_tally(
    *, present: int, total: int, yes: int, no: int, abstain: int, recused: int
) -> Text:
    return Text(
        "decision.tally",
        {
            "present": present,
            "total": total,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "recused": recused,
        },
    )


def evaluation_tally(*, n: int, s: int, b: int, d: int, turnout: float, rate: float) -> Text:
    """Turnout and satisfaction as fractions (0..1); shown as percentages."""
    return Text(
        "evaluation.tally",
        {"n": n, "s": s, "b": b, "d": d, "t": round(turnout * 100, 1), "r": round(rate * 100, 1)},
    )


def ballot_selected(*, title: str, rule: str, votes: int, amount: Decimal) -> Text:
    return Text(
        "ballot.selected", {"title": title, "rule": rule, "votes": votes, "amount": str(amount)}
    )


def _rule(value: Any) -> str:
    from deliberation.ballot_models import BudgetRule

    return str(BudgetRule(value).label)


def _motion(value: Any) -> str:
    from deliberation.models import Decision

    return str(Decision.Motion(value).label)


def _step(value: Any) -> str:
    from deliberation.flows import STEPS

    return str(STEPS[value][2])


def register() -> None:
    register_texts(TEXTS)
    register_formatter("motion", _motion)
    register_formatter("rule", _rule)
    register_formatter("step", _step)
