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
    budget_step=n)``. Instead of running MES for every unit step, :func:`mes_add1` runs MES
    *parametrically*: along one run, every amount is a linear function ``a + s·t`` of the extra
    money ``t``, and every decision of the run (which project is cheapest per unit of utility, who
    pays in full, who cannot afford what) stays the same until the first ``t`` at which one of
    these linear comparisons changes sign. All integer steps before that ``t`` give the same
    outcome, so the next MES run is done directly at the first step where the outcome may change.

Score used by the greedy rules (see :func:`rule_input`): the PROJECTS ``votes`` column for approval
and choose-1 elections, the ``score`` column (points, or the ordinal score) for cumulative, scoring
and ordinal elections; each is recomputed from the ballots when the column is missing.

Tie-breaking (published; identical to pabutools' default ``lexico_tie_breaking``): when two projects
are equally good — same score for the greedy rules, same ``ρ / cost`` for MES — the project whose
id comes first in plain string order (Unicode code points, as Python's ``<`` on ``str``; so
``"c10" < "c2"``) is taken first. pabutools sorts projects by name for its greedy order and orders
tied MES candidates by name, so with this tie-break every rule here returns exactly the same set
of projects as pabutools (checked on the Pabulib sample files by the tests).

Every rule returns a :class:`RuleResult`: the selected ids in selection order, their total cost,
and one explanation step per project (:class:`GreedyStep` or :class:`MesStep`) saying why it was
selected or rejected, as structured data for a results page.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final, Literal, TypeAlias

from deliberation.pabulib import Election, parse_number

__all__ = [
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
                {name: plain(getattr(step, name)) for name in step.__slots__} for step in self.steps
            ],
            "mes": None
            if self.mes is None
            else {name: plain(getattr(self.mes, name)) for name in self.mes.__slots__},
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


def mes(
    costs: Mapping[str, Amount], approvals: Iterable[Collection[str]], budget: Amount
) -> RuleResult:
    """Method of Equal Shares with cost satisfaction; ``approvals`` holds one set per voter."""
    profile = _MesProfile(_costs(costs), approvals)
    total = _budget(budget)
    if profile.voters == 0:
        return _empty_mes_result("mes", profile, total)
    run = _MesRun(profile, total / profile.voters, parametric=False)
    return run.result("mes", total, increments=0, runs=1)


def mes_add1(
    costs: Mapping[str, Amount], approvals: Iterable[Collection[str]], budget: Amount
) -> RuleResult:
    """MES completed by raising every voter's money one unit at a time (Pabulib ``add1``).

    Equivalent to pabutools' ``exhaustion_by_budget_increase`` over ``method_of_equal_shares``
    with ``Cost_Sat`` and ``budget_step = n`` (see the module docstring for the stopping rule).
    """
    profile = _MesProfile(_costs(costs), approvals)
    total = _budget(budget)
    if profile.voters == 0:
        return _empty_mes_result("mes-add1", profile, total)
    base = total / profile.voters
    previous: tuple[_MesRun, int] | None = None
    step, runs = 0, 0
    while step <= total:  # pabutools stops once the raised budget exceeds budget * (n + 1)
        run = _MesRun(profile, base + step, parametric=True)
        runs += 1
        if run.cost > total:
            break
        if profile.is_exhaustive(run.selected_indices, total):
            previous = (run, step)
            break
        previous = (run, step)
        if run.horizon is None:  # same outcome for every further step: loop runs out
            break
        step += max(1, math.ceil(run.horizon))
    if previous is None:
        return _empty_mes_result("mes-add1", profile, total, runs=runs)
    best, increments = previous
    return best.result("mes-add1", total, increments=increments, runs=runs)


class _MesProfile:
    """Voters grouped by identical approval set, with per-project supporter lists."""

    def __init__(self, costs: dict[str, Fraction], approvals: Iterable[Collection[str]]) -> None:
        self.ids: list[str] = list(costs)
        self.costs: list[Fraction] = list(costs.values())
        index = {pid: j for j, pid in enumerate(self.ids)}
        counts = Counter(frozenset(ballot) for ballot in approvals)
        self.voters = sum(counts.values())
        self.group_projects: list[tuple[int, ...]] = []
        self.group_weight: list[int] = []
        self.supporters: list[list[int]] = [[] for _ in self.ids]
        self.support: list[int] = [0] * len(self.ids)
        for ballot, weight in counts.items():
            try:
                projects = tuple(sorted(index[pid] for pid in ballot))
            except KeyError as exc:
                raise ValueError(f"approval of unknown project {exc.args[0]!r}") from None
            g = len(self.group_weight)
            self.group_projects.append(projects)
            self.group_weight.append(weight)
            for j in projects:
                self.supporters[j].append(g)
                self.support[j] += weight
        self.candidates = [
            j for j in range(len(self.ids)) if self.costs[j] > 0 and self.support[j] > 0
        ]

    def is_exhaustive(self, chosen: Collection[int], budget: Fraction) -> bool:
        """No unchosen project (supported or not) fits in what ``chosen`` leaves of ``budget``."""
        taken = set(chosen)
        left = budget - sum((self.costs[j] for j in taken), _ZERO)
        return all(self.costs[j] > left for j in range(len(self.ids)) if j not in taken)

    def idle_verdict(self, j: int) -> Verdict:
        return Verdict.NO_SUPPORTERS if self.support[j] == 0 else Verdict.ZERO_COST


@dataclass(slots=True)
class _Price:
    """A candidate's price in one round: ``ρ`` as ``value + slope·t`` and its poor classes."""

    value: Fraction
    slope: Fraction
    poor: int  # number of leading (poorest) budget classes that pay all their money
    classes: list[tuple[Fraction, Fraction, int, int]]  # (money, slope, weight, class id)
    money: Fraction  # supporters' total money


@dataclass(slots=True)
class _Selection:
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


class _MesRun:
    """One run of MES with every voter starting with ``money``.

    Voters are kept in *classes* of equal remaining money; each project keeps a histogram
    ``class -> number of its supporters in that class``. With ``parametric=True`` each class's
    money is also tracked as ``money + slope·t`` for extra starting money ``t``, and ``horizon``
    is set to the smallest ``t > 0`` at which some decision of this run could change (``None``:
    never); for ``0 <= t < horizon`` MES selects exactly the same projects in the same order.
    """

    def __init__(self, profile: _MesProfile, money: Fraction, *, parametric: bool) -> None:
        self.profile = profile
        self.money = money
        self.parametric = parametric
        self.horizon: Fraction | None = None
        self.selections: list[_Selection] = []
        self.rejections: list[_Rejection] = []
        self._class_money: list[Fraction] = [money]
        self._class_slope: list[Fraction] = [Fraction(1)]
        self._class_of: dict[tuple[Fraction, Fraction], int] = {(money, Fraction(1)): 0}
        self._group_class: list[int] = [0] * len(profile.group_weight)
        self._histogram: dict[int, dict[int, int]] = {
            j: {0: profile.support[j]} for j in profile.candidates
        }
        self.rounds = self._run()

    # ---- results

    @property
    def selected_indices(self) -> list[int]:
        return [s.project for s in self.selections]

    @property
    def cost(self) -> Fraction:
        return sum((self.profile.costs[s.project] for s in self.selections), _ZERO)

    def result(self, rule: str, budget: Fraction, *, increments: int, runs: int) -> RuleResult:
        profile = self.profile
        steps: list[MesStep] = []
        for s in self.selections:
            steps.append(
                MesStep(
                    profile.ids[s.project],
                    profile.costs[s.project],
                    profile.support[s.project],
                    Verdict.SELECTED,
                    s.round,
                    s.money,
                    s.price,
                    s.paid_in_full,
                )
            )
        for r in self.rejections:
            steps.append(
                MesStep(
                    profile.ids[r.project],
                    profile.costs[r.project],
                    profile.support[r.project],
                    Verdict.NOT_AFFORDABLE,
                    r.round,
                    r.money,
                )
            )
        steps.extend(_idle_steps(profile))
        summary = MesSummary(profile.voters, self.money, increments, self.rounds, runs)
        selected = tuple(profile.ids[s.project] for s in self.selections)
        return RuleResult(rule, budget, selected, self.cost, tuple(steps), summary)

    # ---- the rule

    def _run(self) -> int:
        active = set(self.profile.candidates)
        round_no = 0
        while active:
            round_no += 1
            prices = self._price_all(active, round_no)
            if not prices:
                return round_no - 1
            chosen = min(
                prices, key=lambda j: (prices[j].value / self.profile.costs[j], self.profile.ids[j])
            )
            if self.parametric:
                self._bound_selection(chosen, prices)
            self._pay(chosen, prices[chosen], round_no)
            active.discard(chosen)
        return round_no

    def _price_all(self, active: set[int], round_no: int) -> dict[int, _Price]:
        """Prices of the affordable active projects; drops (and records) the unaffordable ones."""
        prices: dict[int, _Price] = {}
        for j in sorted(active):
            price = self._price(j)
            if price is None:
                active.discard(j)
            else:
                prices[j] = price
        return prices

    def _price(self, j: int) -> _Price | None:
        """``ρ`` for project ``j``, or ``None`` (recorded as a rejection) if it is unaffordable."""
        cost = self.profile.costs[j]
        classes = sorted(
            (self._class_money[c], self._class_slope[c], w, c)
            for c, w in self._histogram[j].items()
        )
        money = sum((m * w for m, _, w, _ in classes), _ZERO)
        if money < cost:
            self.rejections.append(_Rejection(j, len(self.selections) + 1, money))
            if self.parametric:  # stays unaffordable while cost - money(t) > 0
                slope = sum((s * w for _, s, w, _ in classes), _ZERO)
                self._bound(cost - money, -slope)
            return None
        remaining, remaining_slope, count, poor = cost, _ZERO, self.profile.support[j], 0
        for m, s, w, _ in classes:
            if m * count >= remaining:
                break
            remaining -= m * w
            remaining_slope -= s * w
            count -= w
            poor += 1
        return _Price(remaining / count, remaining_slope / count, poor, classes, money)

    def _bound_selection(self, chosen: int, prices: Mapping[int, _Price]) -> None:
        """Limit ``horizon`` so that ``chosen`` stays the round's winner with the same payers.

        For another candidate ``q`` its price formula is a lower bound of its true price at any
        ``t`` (the poor/rich split can only underestimate ``ρ``), so keeping that formula above the
        winner's price is enough, whatever happens to ``q``'s split.
        """
        costs = self.profile.costs
        win = prices[chosen]
        win_value, win_slope = win.value / costs[chosen], win.slope / costs[chosen]
        for q, price in prices.items():
            if q != chosen:
                self._bound(price.value / costs[q] - win_value, price.slope / costs[q] - win_slope)
        for position, (m, s, _, _) in enumerate(win.classes):
            if position < win.poor:  # pays all: needs money(t) <= ρ(t)
                self._bound(win.value - m, win.slope - s)
            else:  # pays ρ: needs money(t) >= ρ(t)
                self._bound(m - win.value, s - win.slope)

    def _bound(self, gap: Fraction, gap_slope: Fraction) -> None:
        """Record that a comparison with margin ``gap + gap_slope·t`` (``gap >= 0``) must hold."""
        if gap_slope < 0:
            limit = gap / -gap_slope
            if self.horizon is None or limit < self.horizon:
                self.horizon = limit

    def _pay(self, chosen: int, price: _Price, round_no: int) -> None:
        """Charge ``chosen``'s supporters and move them to their new money classes."""
        moved: dict[int, int] = {}
        paid_in_full = 0
        for position, (m, s, w, c) in enumerate(price.classes):
            if position < price.poor:
                moved[c] = self._intern(_ZERO, _ZERO)
                paid_in_full += w
            else:
                moved[c] = self._intern(m - price.value, s - price.slope)
        self.selections.append(_Selection(chosen, round_no, price.value, paid_in_full, price.money))
        del self._histogram[chosen]
        histogram = self._histogram
        weights, projects = self.profile.group_weight, self.profile.group_projects
        for g in self.profile.supporters[chosen]:
            old = self._group_class[g]
            new = moved[old]
            if new == old:
                continue
            self._group_class[g] = new
            w = weights[g]
            for q in projects[g]:
                hist = histogram.get(q)
                if hist is None:
                    continue
                left = hist[old] - w
                if left:
                    hist[old] = left
                else:
                    del hist[old]
                hist[new] = hist.get(new, 0) + w

    def _intern(self, money: Fraction, slope: Fraction) -> int:
        key = (money, slope)
        c = self._class_of.get(key)
        if c is None:
            c = len(self._class_money)
            self._class_of[key] = c
            self._class_money.append(money)
            self._class_slope.append(slope)
        return c


def _idle_steps(profile: _MesProfile) -> list[MesStep]:
    candidates = set(profile.candidates)
    return [
        MesStep(pid, profile.costs[j], profile.support[j], profile.idle_verdict(j))
        for j, pid in enumerate(profile.ids)
        if j not in candidates
    ]


def _empty_mes_result(
    rule: str, profile: _MesProfile, budget: Fraction, runs: int = 0
) -> RuleResult:
    voter_money = budget / profile.voters if profile.voters else _ZERO
    steps = [
        MesStep(pid, profile.costs[j], profile.support[j], profile.idle_verdict(j))
        if j not in profile.candidates
        else MesStep(pid, profile.costs[j], profile.support[j], Verdict.NOT_AFFORDABLE, 1, _ZERO)
        for j, pid in enumerate(profile.ids)
    ]
    summary = MesSummary(profile.voters, voter_money, 0, 0, runs)
    return RuleResult(rule, budget, (), _ZERO, tuple(steps), summary)


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
    score_source: str = field(default="votes")


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


def outcome(election: Election, rule: str) -> RuleResult:
    """Winners of ``election`` under ``rule`` (see :func:`rule_input` for the data used)."""
    return run(rule, rule_input(election))
