"""Counting a round: its ballots as the rule's input, the published inputs text, the tie-break.

Reproducing a result: :func:`inputs_canonical` is the exact text hashed into
``RoundResult.inputs_sha256``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy

from deliberation import rules
from deliberation.ballot_models import (
    BudgetRound,
    BudgetRule,
    RoundProject,
)
from deliberation.ballots.selectors import _profile

CENT = Decimal("0.01")

TIE_BREAK = gettext_lazy(
    "同等条件下（贪心规则：票数相同；平等份额法：每单位效用的支付额 ρ/成本 相同），"
    "项目编号按字符串顺序在前者优先（逐字符比较，如“10”排在“9”之前）；与 Pabulib/pabutools 的默认规则一致。"
    "无人投票的一轮没有项目入选。"
)
TIE_BREAK_CODE = "project_id string order (pabutools lexico_tie_breaking)"


def inputs_canonical(
    rnd: BudgetRound, entries: Sequence[RoundProject], approvals: Iterable[frozenset[str]]
) -> str:
    """The exact text whose SHA-256 is published with the result: compact JSON with the rule, the
    threshold, the budget, the projects (id, cost) in id order, and the ballots as sorted id lists,
    sorted. Anyone holding the ``.pb`` export can rebuild it."""
    data = {
        "rule": rnd.rule,
        "min_votes": rnd.min_votes if rnd.rule == BudgetRule.GREEDY_THRESHOLD else None,
        "budget": str(rnd.budget),
        "projects": sorted([e.external_id, str(e.cost)] for e in entries),
        "ballots": sorted(sorted(a) for a in approvals),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def compute(
    rnd: BudgetRound,
) -> tuple[rules.RuleResult | None, list[RoundProject], list[frozenset[str]]]:
    """Run the round's rule on its ballots (``None`` when nobody voted: no winners)."""
    entries, approvals = _profile(rnd)
    if not approvals:
        return None, entries, approvals
    counts = Counter(pid for a in approvals for pid in a)
    data = rules.RuleInput(
        budget=Fraction(rnd.budget),
        costs={e.external_id: Fraction(e.cost) for e in entries},
        scores={e.external_id: Fraction(counts.get(e.external_id, 0)) for e in entries},
        approvals=tuple(approvals),
        threshold=Fraction(rnd.min_votes) if rnd.rule == BudgetRule.GREEDY_THRESHOLD else None,
    )
    return rules.run(rnd.rule, data), entries, approvals


def _cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
