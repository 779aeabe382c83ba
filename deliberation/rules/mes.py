"""The Method of Equal Shares with cost satisfaction: the engine, and the explained result."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, TypeAlias

from deliberation.rules.results import (
    _ZERO,
    Amount,
    MesStep,
    MesSummary,
    RuleResult,
    Verdict,
    _budget,
    _costs,
)

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
