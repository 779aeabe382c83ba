"""Winner rules for budget ballots: greedy variants and the Method of Equal Shares (MES).

Pure Python over plain data (project ids, exact costs, scores or approval sets, a budget); no
Django. All arithmetic is exact (``int`` / :class:`fractions.Fraction`); floats are rejected.

Rules (names as in Pabulib's META ``rule``):

``greedy``
    Projects in decreasing score order; a project is selected if it fits in the budget left,
    otherwise skipped, and the rule continues.
``greedy-no-skip``
    As ``greedy`` but stops at the first project that does not fit.
``greedy-threshold``
    ``greedy`` among the projects whose score is at least ``min_project_score_threshold``.
``mes``
    Method of Equal Shares with cost satisfaction (a voter's utility for an approved project is its
    cost). Each of the *n* voters starts with ``budget / n``. Each round selects, among projects
    whose supporters still hold at least its cost, the one minimising ``ρ / cost``, where ``ρ`` is
    the smallest per-supporter payment cap such that ``Σ min(money_i, ρ) = cost`` over its
    supporters; each supporter then pays ``min(money_i, ρ)``. The rule ends when no project is
    affordable. With cost satisfaction a zero-cost project gives no utility and is never selected.
``mes-add1``
    Pabulib's ``equalshares/add1``: MES is run with every voter's starting money raised by one
    currency unit at a time (``budget/n``, ``budget/n + 1``, ...). The first outcome that is
    exhaustive (no unselected project fits in what is left of the real budget) is returned; if an
    outcome costs more than the budget, the previous outcome is returned; the starting money is
    raised at most ``budget`` times. The result is not completed further. This is exactly
    pabutools' ``exhaustion_by_budget_increase(method_of_equal_shares, sat_class=Cost_Sat,
    budget_step=n)``, computed without running MES for every unit step (see below).

Score used by the greedy rules (see :func:`rule_input`): the PROJECTS ``votes`` column for approval
and choose-1 elections, the ``score`` column (points, or the ordinal score) for cumulative, scoring
and ordinal elections; each is recomputed from the ballots when the column is missing.

Tie-breaking (published; identical to pabutools' default ``lexico_tie_breaking``): when two projects
are equally good — same score for the greedy rules, same ``ρ / cost`` for MES — the project whose
id comes first in plain string order (Unicode code points, as Python's ``<`` on ``str``; so
``"c10" < "c2"``) is taken first. pabutools sorts projects by name for its greedy order and orders
tied MES candidates by name, so with this tie-break every rule here returns exactly the same set
of projects as pabutools (checked on the Pabulib sample files and on random profiles by the
tests). The selection *order* of greedy can differ from pabutools' only for zero-cost projects,
which pabutools takes first; they always fit, so the selected set is the same.

How ``mes-add1`` avoids the unit steps: within one MES run, every amount (each voter's money,
each price ``ρ``, each ratio ``ρ / cost``) is a linear function of the extra starting money ``t``
for as long as the run's decisions stay the same — which project wins each round, which of its
supporters pay all they have, which projects are unaffordable. Each decision is the sign of a
linear function, so the run can compute the first ``t`` at which any of them could flip; every
unit step before it gives the same outcome and is skipped. The next run restarts from the first
round whose decisions may have changed, reusing the state of the earlier rounds. Candidates are
priced lazily, as pabutools does: a project's earlier ratio is a lower bound on its current one
(prices only rise as money is spent, and a fixed poor/rich split of its supporters never
overestimates ``ρ``), so it is re-priced only when that bound could beat the best ratio so far.
Voters with identical approval sets are handled together, and money is kept as integers over a
common denominator. On Poland_Swiecie_2023 this computes 155 runs (most of them partial) instead
of pabutools' 227 full ones.

Every rule returns a :class:`RuleResult`: the selected ids in selection order, their total cost,
and one explanation step per project (:class:`GreedyStep` or :class:`MesStep`) saying why it was
selected or rejected, as structured data for a results page.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final, Literal, TypeAlias

from deliberation.pabulib import Election, parse_number

__all__ = [
    "PABULIB_RULES",
    "RULES",
    "Amount",
    "GreedyStep",
    "MesStep",
    "MesSummary",
    "RuleError",
    "RuleInput",
    "RuleName",
    "RuleResult",
    "Verdict",
    "decimal_string",
    "greedy",
    "greedy_no_skip",
    "greedy_threshold",
    "mes",
    "mes_add1",
    "outcome",
    "rule_input",
    "run",
]

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


# ---------------------------------------------------------------------------------------- greedy


def greedy(costs: Mapping[str, Amount], scores: Mapping[str, Amount], budget: Amount) -> RuleResult:
    """Select by decreasing score, skipping projects that do not fit in the budget left."""
    return _greedy("greedy", costs, scores, budget, stop_at_first_misfit=False, threshold=None)


def greedy_no_skip(
    costs: Mapping[str, Amount], scores: Mapping[str, Amount], budget: Amount
) -> RuleResult:
    """Select by decreasing score; stop at the first project that does not fit."""
    return _greedy(
        "greedy-no-skip", costs, scores, budget, stop_at_first_misfit=True, threshold=None
    )


def greedy_threshold(
    costs: Mapping[str, Amount],
    scores: Mapping[str, Amount],
    budget: Amount,
    threshold: Amount,
) -> RuleResult:
    """``greedy`` restricted to projects with ``score >= threshold``."""
    return _greedy(
        "greedy-threshold",
        costs,
        scores,
        budget,
        stop_at_first_misfit=False,
        threshold=_exact(threshold, "threshold"),
    )


def _greedy(
    rule: str,
    costs: Mapping[str, Amount],
    scores: Mapping[str, Amount],
    budget: Amount,
    *,
    stop_at_first_misfit: bool,
    threshold: Fraction | None,
) -> RuleResult:
    exact_costs = _costs(costs)
    if set(scores) != set(exact_costs):
        raise ValueError("costs and scores must name the same projects")
    exact_scores = {pid: _exact(score, f"score of {pid!r}") for pid, score in scores.items()}
    total = _budget(budget)
    left = total
    stopped = False
    selected: list[str] = []
    steps: list[GreedyStep] = []
    order = sorted(exact_costs, key=lambda pid: (-exact_scores[pid], pid))
    for rank, pid in enumerate(order, start=1):
        cost = exact_costs[pid]
        if stopped:
            verdict = Verdict.NOT_REACHED
        elif threshold is not None and exact_scores[pid] < threshold:
            verdict = Verdict.BELOW_THRESHOLD
        elif cost <= left:
            verdict = Verdict.SELECTED
        else:
            verdict = Verdict.DOES_NOT_FIT
            stopped = stop_at_first_misfit
        steps.append(GreedyStep(pid, rank, exact_scores[pid], cost, left, verdict))
        if verdict is Verdict.SELECTED:
            selected.append(pid)
            left -= cost
    return RuleResult(rule, total, tuple(selected), total - left, tuple(steps))


# ------------------------------------------------------------------------------------------- MES
#
# Engine representation. Voters with the same approval set form a *group*; groups holding the same
# remaining money form a *class*. Money is an integer count of 1/scale currency units, `scale`
# being a common denominator that is enlarged when a price needs it, so the hot loops use ints
# only. In search mode (mes-add1) every class also has a *slope*: how its money changes per unit of
# extra starting money t, in the same units. While a run's decisions stay the same, every amount is
# linear in t; the run records the smallest t at which one of its comparisons could flip.


def mes(
    costs: Mapping[str, Amount], approvals: Iterable[Collection[str]], budget: Amount
) -> RuleResult:
    """Method of Equal Shares with cost satisfaction; ``approvals`` holds one set per voter."""
    profile = _MesProfile(_costs(costs), approvals)
    total = _budget(budget)
    if profile.voters == 0:
        return _empty_mes_result("mes", profile, total)
    return _detailed_result("mes", profile, total, total / profile.voters, increments=0, runs=1)


def mes_add1(
    costs: Mapping[str, Amount], approvals: Iterable[Collection[str]], budget: Amount
) -> RuleResult:
    """MES completed by raising every voter's money one unit at a time (Pabulib ``add1``).

    Equivalent to pabutools' ``exhaustion_by_budget_increase`` over ``method_of_equal_shares``
    with ``Cost_Sat`` and ``budget_step = n`` (see the module docstring). Steps at which the MES
    outcome provably cannot change are skipped, and rounds whose decisions are unchanged are
    reused from the previous run.
    """
    profile = _MesProfile(_costs(costs), approvals)
    total = _budget(budget)
    if profile.voters == 0:
        return _empty_mes_result("mes-add1", profile, total)
    base = total / profile.voters
    search = _Add1Search(profile, base)
    found: tuple[list[int], int] | None = None
    step = 0
    while step <= total:  # pabutools stops once the raised budget exceeds budget * (n + 1)
        winners, limit = search.run(step)
        if profile.cost_of(winners) > total:
            break
        found = (winners, step)
        if profile.is_exhaustive(winners, total) or limit is None:
            break
        step = max(step + 1, math.ceil(limit))
    if found is None:
        return _empty_mes_result("mes-add1", profile, total, runs=search.runs)
    winners, step = found
    result = _detailed_result(
        "mes-add1", profile, total, base + step, increments=step, runs=search.runs + 1
    )
    if result.selected != tuple(profile.ids[j] for j in winners):  # pragma: no cover
        raise AssertionError("mes-add1: search and detailed runs disagree")
    return result


class _MesProfile:
    """Voters grouped by identical approval set, with per-project supporter lists."""

    def __init__(self, costs: dict[str, Fraction], approvals: Iterable[Collection[str]]) -> None:
        self.ids: list[str] = list(costs)
        self.costs: list[Fraction] = list(costs.values())
        index = {pid: j for j, pid in enumerate(self.ids)}
        counts = Counter(frozenset(ballot) for ballot in approvals)
        self.voters = sum(counts.values())
        self.group_weight: list[int] = []
        self.supporters: list[list[int]] = [[] for _ in self.ids]
        self.support: list[int] = [0] * len(self.ids)
        for ballot, weight in counts.items():
            unknown = ballot - index.keys()
            if unknown:
                raise ValueError(f"approval of unknown project {sorted(unknown)[0]!r}")
            group = len(self.group_weight)
            self.group_weight.append(weight)
            for pid in ballot:
                self.supporters[index[pid]].append(group)
                self.support[index[pid]] += weight
        # Cost utility: a project is a candidate iff it has supporters and a positive cost.
        self.candidates = [
            j for j in range(len(self.ids)) if self.costs[j] > 0 and self.support[j] > 0
        ]

    def cost_of(self, chosen: Iterable[int]) -> Fraction:
        return sum((self.costs[j] for j in chosen), _ZERO)

    def is_exhaustive(self, chosen: Collection[int], budget: Fraction) -> bool:
        """No unchosen project (supported or not) fits in what ``chosen`` leaves of ``budget``."""
        taken = set(chosen)
        left = budget - self.cost_of(taken)
        return all(self.costs[j] > left for j in range(len(self.ids)) if j not in taken)

    def idle_verdict(self, j: int) -> Verdict:
        return Verdict.NO_SUPPORTERS if self.support[j] == 0 else Verdict.ZERO_COST


_Ratio: TypeAlias = tuple[int, int, int]
"""``(value, slope, den)``: the number ``(value + slope·t) / den`` with ``den > 0``."""

_ZERO_CLASS: Final = 0
"""Class of the voters who have spent all their money (money 0, slope 0)."""


@dataclass(slots=True)
class _State:
    """Mutable state of an MES run at the start of a round (see the section comment)."""

    scale: int
    costs: list[int]
    money: list[int]
    slope: list[int]
    group_class: list[int]
    active: list[int]
    bounds: dict[int, _Ratio]  # lower bound on ρ/cost for each active project

    @classmethod
    def start(cls, profile: _MesProfile, voter_money: Fraction, *, sloped: bool) -> _State:
        scale = math.lcm(voter_money.denominator, *(c.denominator for c in profile.costs))
        return cls(
            scale=scale,
            costs=[int(c * scale) for c in profile.costs],
            money=[0, int(voter_money * scale)],
            slope=[0, scale if sloped else 0],
            group_class=[1] * len(profile.group_weight),
            active=list(profile.candidates),
            # Nobody pays less than cost / supporters, so ρ / cost >= 1 / supporters.
            bounds={j: (1, 0, profile.support[j]) for j in profile.candidates},
        )

    def copy(self, shift: int = 0) -> _State:
        """A copy, with every linear amount moved ``shift`` units of extra money along."""
        if shift:
            money = [m + s * shift for m, s in zip(self.money, self.slope, strict=True)]
            bounds = {j: (v + s * shift, s, d) for j, (v, s, d) in self.bounds.items()}
        else:
            money, bounds = list(self.money), dict(self.bounds)
        return _State(
            self.scale,
            list(self.costs),
            money,
            list(self.slope),
            list(self.group_class),
            list(self.active),
            bounds,
        )

    def compact(self) -> None:
        """Drop the classes nobody belongs to any more (class 0 is kept)."""
        alive = sorted(set(self.group_class) | {_ZERO_CLASS})
        renumber = {c: i for i, c in enumerate(alive)}
        self.money = [self.money[c] for c in alive]
        self.slope = [self.slope[c] for c in alive]
        self.group_class = [renumber[c] for c in self.group_class]

    def rescale(self, factor: int) -> None:
        """Multiply the common denominator (and so every stored amount) by ``factor``."""
        if factor != 1:
            self.scale *= factor
            self.costs = [c * factor for c in self.costs]
            self.money = [m * factor for m in self.money]
            self.slope = [s * factor for s in self.slope]


@dataclass(slots=True)
class _Quote:
    """Project ``project``'s price given the current money of its supporters.

    ``classes`` lists ``(money, class, weight)`` of its supporters, poorest first. The first
    ``split`` classes are *poor*: they pay all their money; the others hold ``rich`` voters who
    pay ``ρ = remaining / rich`` each. If ``rich == 0`` the supporters cannot pay the cost and
    ``remaining`` is the shortfall ``cost - money``. Slopes are per unit of extra money ``t``.
    """

    project: int
    remaining: int
    remaining_slope: int
    rich: int
    classes: list[tuple[int, int, int]]
    split: int

    @property
    def affordable(self) -> bool:
        return self.rich > 0

    def ratio(self, cost: int) -> _Ratio:
        """``ρ / cost``."""
        return (self.remaining, self.remaining_slope, self.rich * cost)


def _quote(profile: _MesProfile, state: _State, j: int) -> _Quote:
    """Price project ``j`` by walking its supporters from the poorest class up."""
    weights, group_class = profile.group_weight, state.group_class
    histogram: dict[int, int] = {}
    for g in profile.supporters[j]:
        c = group_class[g]
        histogram[c] = histogram.get(c, 0) + weights[g]
    money, slope = state.money, state.slope
    classes = sorted([(money[c], c, w) for c, w in histogram.items()])
    remaining, remaining_slope, rich = state.costs[j], 0, profile.support[j]
    for position, (m, c, w) in enumerate(classes):
        if m * rich >= remaining:  # ρ = remaining / rich is at most this class's money
            return _Quote(j, remaining, remaining_slope, rich, classes, position)
        remaining -= m * w
        remaining_slope -= slope[c] * w
        rich -= w
    return _Quote(j, remaining, remaining_slope, 0, classes, len(classes))


def _less(a: _Ratio, b: _Ratio) -> bool:
    return a[0] * b[2] < b[0] * a[2]


@dataclass(slots=True)
class _Payment:
    """A selection: ``price`` is ``ρ``; ``money`` what the supporters held before paying."""

    project: int
    round: int
    price: Fraction
    paid_in_full: int
    money: Fraction


@dataclass(slots=True)
class _Rejection:
    project: int
    round: int
    money: Fraction


def _pay(profile: _MesProfile, state: _State, quote: _Quote, round_no: int) -> _Payment:
    """Select ``quote.project``: its poor supporters pay all they have, the rich pay ``ρ``."""
    money_before = Fraction(sum(m * w for m, _, w in quote.classes), state.scale)
    remaining, remaining_slope, rich = quote.remaining, quote.remaining_slope, quote.rich
    factor = rich // math.gcd(rich, remaining, remaining_slope)
    state.rescale(factor)  # now ρ = remaining * factor / rich is a whole number of units
    price = remaining * factor // rich
    price_slope = remaining_slope * factor // rich
    moved = {c: _ZERO_CLASS for _, c, _ in quote.classes[: quote.split]}
    for _, c, _ in quote.classes[quote.split :]:
        moved[c] = len(state.money)
        state.money.append(state.money[c] - price)
        state.slope.append(state.slope[c] - price_slope)
    group_class = state.group_class
    for g in profile.supporters[quote.project]:
        group_class[g] = moved[group_class[g]]
    state.active.remove(quote.project)
    del state.bounds[quote.project]
    if len(state.money) > 2 * len(group_class) + 2:
        state.compact()
    paid_in_full = sum(w for _, _, w in quote.classes[: quote.split])
    return _Payment(
        quote.project, round_no, Fraction(price, state.scale), paid_in_full, money_before
    )


def _detailed_run(
    profile: _MesProfile, voter_money: Fraction
) -> tuple[list[_Payment], list[_Rejection]]:
    """Plain MES run pricing every project each round, to explain the outcome in full."""
    state = _State.start(profile, voter_money, sloped=False)
    payments: list[_Payment] = []
    rejections: list[_Rejection] = []
    while state.active:
        round_no = len(payments) + 1
        quotes: list[_Quote] = []
        for j in list(state.active):
            quote = _quote(profile, state, j)
            if quote.affordable:
                quotes.append(quote)
            else:
                state.active.remove(j)
                money = Fraction(state.costs[j] - quote.remaining, state.scale)
                rejections.append(_Rejection(j, round_no, money))
        if not quotes:
            break
        best = min(
            quotes,
            key=lambda q: (
                Fraction(q.remaining, q.rich * state.costs[q.project]),
                profile.ids[q.project],
            ),
        )
        payments.append(_pay(profile, state, best, round_no))
    return payments, rejections


def _detailed_result(
    rule: str,
    profile: _MesProfile,
    budget: Fraction,
    voter_money: Fraction,
    *,
    increments: int,
    runs: int,
) -> RuleResult:
    payments, rejections = _detailed_run(profile, voter_money)
    ids, costs, support = profile.ids, profile.costs, profile.support
    steps = [
        MesStep(
            ids[p.project],
            costs[p.project],
            support[p.project],
            Verdict.SELECTED,
            p.round,
            p.money,
            p.price,
            p.paid_in_full,
        )
        for p in payments
    ]
    steps.extend(
        MesStep(
            ids[r.project],
            costs[r.project],
            support[r.project],
            Verdict.NOT_AFFORDABLE,
            r.round,
            r.money,
        )
        for r in rejections
    )
    steps.extend(_idle_steps(profile))
    selected = tuple(ids[p.project] for p in payments)
    total = profile.cost_of(p.project for p in payments)
    summary = MesSummary(profile.voters, voter_money, increments, len(payments), runs)
    return RuleResult(rule, budget, selected, total, tuple(steps), summary)


def _idle_steps(profile: _MesProfile) -> list[MesStep]:
    """Steps of the projects MES never considers (no supporters, or zero cost)."""
    candidates = set(profile.candidates)
    return [
        MesStep(pid, profile.costs[j], profile.support[j], profile.idle_verdict(j))
        for j, pid in enumerate(profile.ids)
        if j not in candidates
    ]


def _empty_mes_result(
    rule: str, profile: _MesProfile, budget: Fraction, runs: int = 0
) -> RuleResult:
    """Result when nobody voted (every voter's share is undefined; nothing is selected)."""
    steps = [
        MesStep(pid, profile.costs[j], profile.support[j], profile.idle_verdict(j))
        for j, pid in enumerate(profile.ids)
    ]
    summary = MesSummary(0, _ZERO, 0, 0, runs)
    return RuleResult(rule, budget, (), _ZERO, tuple(steps), summary)


class _Horizon:
    """Smallest ``t > 0`` at which some recorded linear margin ``gap + slope·t`` reaches 0."""

    __slots__ = ("den", "num")

    def __init__(self) -> None:
        self.num, self.den = 0, 0  # den == 0: no limit yet

    def add(self, gap: int, gap_slope: int) -> None:
        """Record a margin that is ``>= 0`` now and must stay so (or stay ``> 0``)."""
        if gap_slope < 0 and (self.den == 0 or gap * self.den < self.num * -gap_slope):
            self.num, self.den = gap, -gap_slope

    @property
    def value(self) -> Fraction | None:
        return None if self.den == 0 else Fraction(self.num, self.den)


class _Add1Search:
    """MES runs at voter money ``base + step`` for growing integer steps (search mode).

    Besides the winners, :meth:`run` returns the step *limit* below which the winners provably
    stay the same: every decision of the run is a sign test on a linear function of the extra
    money, and the limit is where the first of them could flip. For each round the state at its
    start and the limit of the rounds so far are kept, so the next run restarts from the first
    round whose decisions may have changed.

    Candidates are priced lazily, as in pabutools: in increasing order of a lower bound on
    ``ρ / cost`` (an earlier price of the project, which can only grow), stopping once the bound
    exceeds the best exact ratio. An earlier price stays a lower bound for every ``t`` because
    pricing with a fixed split into poor and rich supporters never overestimates ``ρ``.
    """

    def __init__(self, profile: _MesProfile, base: Fraction) -> None:
        self.profile = profile
        self.base = base
        self.runs = 0
        self._starts: list[tuple[_State, int]] = []
        self._limits: list[Fraction | None] = []
        self._winners: list[int] = []

    def run(self, step: int) -> tuple[list[int], Fraction | None]:
        """Winners at ``base + step`` and the step limit of that outcome (``None``: none)."""
        self.runs += 1
        if not self._starts:
            state = _State.start(self.profile, self.base + step, sloped=True)
        else:
            stale = [
                r for r, limit in enumerate(self._limits) if limit is not None and limit <= step
            ]
            if not stale:
                return list(self._winners), self._limits[-1]
            first = stale[0]
            snapshot, snapshot_step = self._starts[first]
            state = snapshot.copy(shift=step - snapshot_step)
            del self._starts[first:], self._limits[first:], self._winners[first:]
        while True:
            self._starts.append((state.copy(), step))
            winner, horizon = self._round(state)
            limit = None if horizon is None else step + horizon
            previous = self._limits[-1] if self._limits else None
            self._limits.append(_earliest(previous, limit))
            if winner is None:
                return list(self._winners), self._limits[-1]
            self._winners.append(winner)

    def _round(self, state: _State) -> tuple[int | None, Fraction | None]:
        """Play one round on ``state``; return the winner and the round's horizon in ``t``."""
        horizon = _Horizon()
        best = self._best_quote(state, horizon)
        if best is None:
            return None, horizon.value
        self._bound_round(state, best, horizon)
        _pay(self.profile, state, best, len(self._winners) + 1)
        return best.project, horizon.value

    def _best_quote(self, state: _State, horizon: _Horizon) -> _Quote | None:
        """The round's winner, pricing candidates lazily; drops unaffordable ones."""
        ids, costs, bounds = self.profile.ids, state.costs, state.bounds
        unpriced = list(state.active)
        best: _Quote | None = None
        best_ratio: _Ratio = (0, 0, 1)
        while unpriced:
            j = unpriced[0]
            for k in unpriced[1:]:
                if _less(bounds[k], bounds[j]) or (
                    not _less(bounds[j], bounds[k]) and ids[k] < ids[j]
                ):
                    j = k
            if best is not None and not _may_beat(bounds[j], ids[j], best_ratio, ids[best.project]):
                break
            unpriced.remove(j)
            quote = _quote(self.profile, state, j)
            if not quote.affordable:  # stays so while the shortfall is > 0
                horizon.add(quote.remaining, quote.remaining_slope)
                state.active.remove(j)
                del bounds[j]
                continue
            ratio = bounds[j] = quote.ratio(costs[j])
            if best is None or _may_beat(ratio, ids[j], best_ratio, ids[best.project]):
                best, best_ratio = quote, ratio
        return best

    def _bound_round(self, state: _State, best: _Quote, horizon: _Horizon) -> None:
        """Record the margins that keep ``best`` the winner with the same payers."""
        win_value, win_slope, win_den = state.bounds[best.project]
        for j in state.active:
            if j != best.project:
                value, value_slope, den = state.bounds[j]
                horizon.add(
                    value * win_den - win_value * den, value_slope * win_den - win_slope * den
                )
        slope = state.slope
        remaining, remaining_slope, rich = best.remaining, best.remaining_slope, best.rich
        for position, (m, c, _) in enumerate(best.classes):
            if position < best.split:  # keeps paying all: money(t) <= ρ(t)
                horizon.add(remaining - rich * m, remaining_slope - rich * slope[c])
            else:  # keeps paying ρ: money(t) >= ρ(t)
                horizon.add(rich * m - remaining, rich * slope[c] - remaining_slope)


def _may_beat(ratio: _Ratio, pid: str, best: _Ratio, best_id: str) -> bool:
    """``(ratio, pid) < (best, best_id)``: lower ρ/cost first, then the smaller id."""
    if _less(ratio, best):
        return True
    return not _less(best, ratio) and pid < best_id


def _earliest(a: Fraction | None, b: Fraction | None) -> Fraction | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


# ------------------------------------------------------------------------- elections → rule input


@dataclass(frozen=True, slots=True)
class RuleInput:
    """Everything the rules need, extracted from an election.

    ``scores`` is the greedy score of each project, ``approvals`` one approval set per voter (for
    cumulative/scoring ballots the projects given positive points, for ordinal ballots every ranked
    project), and ``threshold`` META ``min_project_score_threshold`` if present.
    """

    budget: Fraction
    costs: dict[str, Fraction]
    scores: dict[str, Fraction]
    approvals: tuple[frozenset[str], ...]
    threshold: Fraction | None = None
    score_source: str = "votes column"


def rule_input(election: Election) -> RuleInput:
    """Build a :class:`RuleInput` from a parsed ``.pb`` election (see module docstring)."""
    costs = {pid: Fraction(row.cost) for pid, row in election.projects.items()}
    approvals = tuple(
        _approval_set(election.vote_type, b.projects, b.points) for b in election.votes
    )
    scores, source = _greedy_scores(election, approvals)
    threshold_text = election.meta.get("min_project_score_threshold")
    threshold = None
    if threshold_text is not None:
        number = parse_number(threshold_text)
        if number is None:
            raise RuleError(f"min_project_score_threshold is not a number: {threshold_text!r}")
        threshold = Fraction(number)
    return RuleInput(Fraction(election.budget), costs, scores, approvals, threshold, source)


def _approval_set(
    vote_type: str, projects: Sequence[str], points: Sequence[Amount] | None
) -> frozenset[str]:
    if vote_type in ("cumulative", "scoring") and points is not None:
        return frozenset(p for p, pts in zip(projects, points, strict=True) if pts > 0)
    return frozenset(projects)


def _greedy_scores(
    election: Election, approvals: Sequence[frozenset[str]]
) -> tuple[dict[str, Fraction], str]:
    rows = election.projects.values()
    if election.vote_type in ("approval", "choose-1"):
        if all(row.votes is not None for row in rows):
            return {r.project_id: Fraction(r.votes or 0) for r in rows}, "votes column"
        counts = Counter(pid for ballot in approvals for pid in ballot)
        return {pid: Fraction(counts[pid]) for pid in election.projects}, "approvals in ballots"
    if all(row.score is not None for row in rows):
        return {r.project_id: Fraction(r.score or 0) for r in rows}, "score column"
    totals = dict.fromkeys(election.projects, _ZERO)
    if election.vote_type == "ordinal":
        length = election.meta.get("max_length", "")
        top = (
            int(length)
            if length.isdigit()
            else max((len(b.projects) for b in election.votes), default=0)
        )
        for ballot in election.votes:
            for position, pid in enumerate(ballot.projects):
                totals[pid] += max(top - position, 0)
        return totals, "ordinal positions (max_length - position)"
    for ballot in election.votes:
        for pid, pts in zip(ballot.projects, ballot.points or (), strict=True):
            totals[pid] += Fraction(pts)
    return totals, "points in ballots"


def run(rule: str, data: RuleInput) -> RuleResult:
    """Apply the rule named ``rule`` (one of :data:`RULES`) to ``data``."""
    if rule == "greedy":
        return greedy(data.costs, data.scores, data.budget)
    if rule == "greedy-no-skip":
        return greedy_no_skip(data.costs, data.scores, data.budget)
    if rule == "greedy-threshold":
        if data.threshold is None:
            raise RuleError("greedy-threshold needs META min_project_score_threshold")
        return greedy_threshold(data.costs, data.scores, data.budget, data.threshold)
    if rule == "mes":
        return mes(data.costs, data.approvals, data.budget)
    if rule == "mes-add1":
        return mes_add1(data.costs, data.approvals, data.budget)
    raise RuleError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")


def outcome(election: Election, rule: str | None = None) -> RuleResult:
    """Winners of ``election`` under ``rule`` (see :func:`rule_input` for the data used).

    Without ``rule``, the rule named by the file's META ``rule`` (see :data:`PABULIB_RULES`).
    """
    if rule is None:
        meta_rule = election.rule or ""
        if meta_rule not in PABULIB_RULES:
            raise RuleError(f"META rule {meta_rule!r} is not one of {', '.join(PABULIB_RULES)}")
        rule = PABULIB_RULES[meta_rule]
    return run(rule, rule_input(election))
