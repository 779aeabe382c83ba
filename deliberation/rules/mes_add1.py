"""``mes-add1`` (Pabulib's ``equalshares/add1``): MES with every voter's money raised one unit at
a time, skipping the steps at which the outcome provably cannot change.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from fractions import Fraction

from deliberation.rules.mes import (
    _detailed_result,
    _empty_mes_result,
    _less,
    _MesProfile,
    _pay,
    _Quote,
    _quote,
    _Ratio,
    _State,
)
from deliberation.rules.results import Amount, RuleResult, _budget, _costs


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
