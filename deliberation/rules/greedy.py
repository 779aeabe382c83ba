"""The greedy rules: by decreasing score, skipping (or stopping at) projects that do not fit."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from deliberation.rules.results import (
    Amount,
    GreedyStep,
    RuleResult,
    Verdict,
    _budget,
    _costs,
    _exact,
)


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
