"""What a rule returns: the selected projects, their cost, and one explained step per project;
and the checks that turn amounts into exact fractions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final, Literal, TypeAlias

Amount: TypeAlias = int | Fraction | Decimal
"""An exact amount of money or a score. Floats are refused: they are not exact."""

RuleName: TypeAlias = Literal["greedy", "greedy-no-skip", "greedy-threshold", "mes", "mes-add1"]
RULES: Final[tuple[RuleName, ...]] = (
    "greedy",
    "greedy-no-skip",
    "greedy-threshold",
    "mes",
    "mes-add1",
)

PABULIB_RULES: Final[Mapping[str, RuleName]] = {
    "greedy": "greedy",
    "greedy-no-skip": "greedy-no-skip",
    "greedy-threshold": "greedy-threshold",
    "equalshares": "mes",
    "equalshares/add1": "mes-add1",
}
"""Pabulib META ``rule`` values and the rule of this module that computes them."""

_ZERO: Final = Fraction(0)


class RuleError(ValueError):
    """The input cannot be used with the requested rule (unknown rule, missing threshold, ...)."""


class Verdict(StrEnum):
    """Why a project was or was not selected."""

    SELECTED = "selected"
    DOES_NOT_FIT = "does_not_fit"
    """Greedy: its cost exceeded the budget left when its turn came."""
    NOT_REACHED = "not_reached"
    """Greedy-no-skip: it came after the first project that did not fit."""
    BELOW_THRESHOLD = "below_threshold"
    """Greedy-threshold: its score is below the threshold."""
    NOT_AFFORDABLE = "not_affordable"
    """MES: the money its supporters had left was less than its cost."""
    NO_SUPPORTERS = "no_supporters"
    """MES: nobody approved it."""
    ZERO_COST = "zero_cost"
    """MES (cost satisfaction): a zero-cost project gives zero utility and is never selected."""


@dataclass(frozen=True, slots=True)
class GreedyStep:
    """One project's turn in a greedy rule.

    ``rank`` is its 1-based position in the greedy order and ``budget_left`` the budget still
    unallocated when its turn came (before paying for it).
    """

    project_id: str
    rank: int
    score: Fraction
    cost: Fraction
    budget_left: Fraction
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class MesStep:
    """What MES did with one project.

    ``round`` is the 1-based round in which it was selected, or in which its supporters were first
    found unable to pay for it. ``supporters_money`` is the money its supporters held at that
    point. For a selected project, ``price`` is ``ρ``, the most any supporter paid, and
    ``paid_in_full`` how many supporters had less than ``ρ`` left and paid all of it (the others
    paid exactly ``ρ``).
    """

    project_id: str
    cost: Fraction
    supporters: int
    verdict: Verdict
    round: int | None = None
    supporters_money: Fraction | None = None
    price: Fraction | None = None
    paid_in_full: int | None = None


@dataclass(frozen=True, slots=True)
class MesSummary:
    """Parameters of the MES run whose outcome was returned.

    ``voter_money`` is each voter's starting money in that run, ``budget / voters + increments``;
    ``runs`` is how many MES runs were computed to find it (``mes-add1`` skips the unit steps at
    which the outcome provably cannot change).
    """

    voters: int
    voter_money: Fraction
    increments: int
    rounds: int
    runs: int


@dataclass(frozen=True, slots=True)
class RuleResult:
    """Outcome of a rule: selected ids in selection order, total cost and per-project steps."""

    rule: str
    budget: Fraction
    selected: tuple[str, ...]
    total_cost: Fraction
    steps: tuple[GreedyStep, ...] | tuple[MesStep, ...]
    mes: MesSummary | None = None

    @property
    def unspent(self) -> Fraction:
        """Budget left unallocated."""
        return self.budget - self.total_cost

    def step(self, project_id: str) -> GreedyStep | MesStep:
        """The explanation step of ``project_id`` (``KeyError`` if unknown)."""
        for step in self.steps:
            if step.project_id == project_id:
                return step
        raise KeyError(project_id)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form; amounts become decimal strings (or ``"p/q"`` when not decimal)."""

        def plain(value: object) -> object:
            if isinstance(value, Fraction):
                return decimal_string(value)
            if isinstance(value, StrEnum):
                return value.value
            return value

        return {
            "rule": self.rule,
            "budget": decimal_string(self.budget),
            "selected": list(self.selected),
            "total_cost": decimal_string(self.total_cost),
            "steps": [
                {f.name: plain(getattr(step, f.name)) for f in fields(step)} for step in self.steps
            ],
            "mes": None
            if self.mes is None
            else {f.name: plain(getattr(self.mes, f.name)) for f in fields(self.mes)},
        }


def decimal_string(value: Fraction) -> str:
    """Exact decimal text of ``value`` (``"1234.5"``), or ``"p/q"`` if it has no finite decimal."""
    den = value.denominator
    digits = 0
    while den % 10 == 0:
        den //= 10
        digits += 1
    while den % 2 == 0 or den % 5 == 0:
        den //= 2 if den % 2 == 0 else 5
        digits += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    scaled = abs(value.numerator) * 10**digits // value.denominator
    sign = "-" if value < 0 else ""
    if digits == 0:
        return f"{sign}{scaled}"
    whole, frac = divmod(scaled, 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------------------------ conversion


def _exact(value: Amount, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise TypeError(f"{what} must be an int, Fraction or Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{what} is not finite: {value}")
    return Fraction(value)


def _costs(costs: Mapping[str, Amount]) -> dict[str, Fraction]:
    exact = {pid: _exact(cost, f"cost of {pid!r}") for pid, cost in costs.items()}
    negative = [pid for pid, cost in exact.items() if cost < 0]
    if negative:
        raise ValueError(f"negative cost for {negative}")
    return exact


def _budget(budget: Amount) -> Fraction:
    exact = _exact(budget, "budget")
    if exact < 0:
        raise ValueError("negative budget")
    return exact
