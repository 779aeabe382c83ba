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

from deliberation.rules.elections import RuleInput, outcome, rule_input, run
from deliberation.rules.greedy import greedy, greedy_no_skip, greedy_threshold
from deliberation.rules.mes import mes
from deliberation.rules.mes_add1 import mes_add1
from deliberation.rules.results import (
    PABULIB_RULES,
    RULES,
    Amount,
    GreedyStep,
    MesStep,
    MesSummary,
    RuleError,
    RuleName,
    RuleResult,
    Verdict,
    decimal_string,
)

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
