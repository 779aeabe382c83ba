"""From a parsed ``.pb`` election to the rules' input, and running the rule it names."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from deliberation.pabulib import Election, parse_number
from deliberation.rules.greedy import greedy, greedy_no_skip, greedy_threshold
from deliberation.rules.mes import mes
from deliberation.rules.mes_add1 import mes_add1
from deliberation.rules.results import _ZERO, PABULIB_RULES, RULES, Amount, RuleError, RuleResult


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


def rule_input(election: Election, *, approvals: bool = True) -> RuleInput:
    """Build a :class:`RuleInput` from a parsed ``.pb`` election (see the package docstring).

    ``approvals=False`` leaves ``approvals`` empty: the greedy rules do not need them."""
    costs = {pid: Fraction(row.cost) for pid, row in election.projects.items()}
    sets = (
        tuple(_approval_set(election.vote_type, b.projects, b.points) for b in election.votes)
        if approvals
        else ()
    )
    scores, source = _greedy_scores(election)
    threshold_text = election.meta.get("min_project_score_threshold")
    threshold = None
    if threshold_text is not None:
        number = parse_number(threshold_text)
        if number is None:
            raise RuleError(f"min_project_score_threshold is not a number: {threshold_text!r}")
        threshold = Fraction(number)
    return RuleInput(Fraction(election.budget), costs, scores, sets, threshold, source)


def _approval_set(
    vote_type: str, projects: Sequence[str], points: Sequence[Amount] | None
) -> frozenset[str]:
    if vote_type in ("cumulative", "scoring") and points is not None:
        return frozenset(p for p, pts in zip(projects, points, strict=True) if pts > 0)
    return frozenset(projects)


def _greedy_scores(election: Election) -> tuple[dict[str, Fraction], str]:
    """Each project's greedy score, and where it came from (see the package docstring)."""
    rows = election.projects.values()
    if election.vote_type in ("approval", "choose-1"):
        if all(row.votes is not None for row in rows):
            return {r.project_id: Fraction(r.votes or 0) for r in rows}, "votes column"
        counts = Counter(pid for ballot in election.votes for pid in frozenset(ballot.projects))
        return {pid: Fraction(counts[pid]) for pid in election.projects}, "approvals in ballots"
    if all(row.score is not None for row in rows):
        return {r.project_id: Fraction(r.score or 0) for r in rows}, "score column"
    if election.vote_type == "ordinal":
        return _ordinal_scores(election), "ordinal positions (max_length - position)"
    return _points_scores(election), "points in ballots"


def _ordinal_scores(election: Election) -> dict[str, Fraction]:
    """Borda-like: a project ranked at position ``i`` (0-based) scores ``max_length - i``."""
    totals = dict.fromkeys(election.projects, _ZERO)
    length = election.meta.get("max_length", "")
    top = (
        int(length)
        if length.isdigit()
        else max((len(b.projects) for b in election.votes), default=0)
    )
    for ballot in election.votes:
        for position, pid in enumerate(ballot.projects):
            totals[pid] += max(top - position, 0)
    return totals


def _points_scores(election: Election) -> dict[str, Fraction]:
    totals = dict.fromkeys(election.projects, _ZERO)
    for ballot in election.votes:
        for pid, pts in zip(ballot.projects, ballot.points or (), strict=True):
            totals[pid] += Fraction(pts)
    return totals


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
    return run(rule, rule_input(election, approvals=rule in ("mes", "mes-add1")))
