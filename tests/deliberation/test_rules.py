"""Winner rules on small hand-made elections, plus property tests against reference versions.

Run without Django: ``pytest -p no:django --noconftest tests/deliberation/test_rules.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deliberation import pabulib, rules
from deliberation.rules import GreedyStep, MesStep, Verdict

F = Fraction


# ---------------------------------------------------------------------------------------- greedy

# Budget 100. Order by score: a (5), b (4), c (3), d (1).
#   a: 40 <= 100 -> selected, 60 left;  b: 30 <= 60 -> selected, 30 left;
#   c: 50 > 30  -> does not fit;        d: 10 <= 30 -> selected, 20 left.
COSTS = {"a": 40, "b": 30, "c": 50, "d": 10}
SCORES = {"a": 5, "b": 4, "c": 3, "d": 1}


def test_greedy_skips_what_does_not_fit() -> None:
    result = rules.greedy(COSTS, SCORES, 100)
    assert result.selected == ("a", "b", "d")
    assert result.total_cost == 80 and result.unspent == 20
    assert result.steps == (
        GreedyStep("a", 1, F(5), F(40), F(100), Verdict.SELECTED),
        GreedyStep("b", 2, F(4), F(30), F(60), Verdict.SELECTED),
        GreedyStep("c", 3, F(3), F(50), F(30), Verdict.DOES_NOT_FIT),
        GreedyStep("d", 4, F(1), F(10), F(30), Verdict.SELECTED),
    )


def test_greedy_no_skip_stops_at_the_first_misfit() -> None:
    # Same order; c does not fit with 30 left, so the rule stops and d is never reached.
    result = rules.greedy_no_skip(COSTS, SCORES, 100)
    assert result.selected == ("a", "b")
    assert result.total_cost == 70
    assert [s.verdict for s in result.steps] == [
        Verdict.SELECTED,
        Verdict.SELECTED,
        Verdict.DOES_NOT_FIT,
        Verdict.NOT_REACHED,
    ]


def test_greedy_threshold_ignores_low_scores() -> None:
    # Threshold 4: c (3) and d (1) are out; a and b fit (70 of 100).
    result = rules.greedy_threshold(COSTS, SCORES, 100, 4)
    assert result.selected == ("a", "b")
    assert result.step("c").verdict is Verdict.BELOW_THRESHOLD
    assert result.step("d").verdict is Verdict.BELOW_THRESHOLD
    # Threshold 3 lets c compete: it still does not fit after a and b, d is below threshold.
    assert rules.greedy_threshold(COSTS, SCORES, 100, 3).selected == ("a", "b")
    assert rules.greedy_threshold(COSTS, SCORES, 100, 0).selected == ("a", "b", "d")


def test_greedy_ties_go_to_the_smaller_id() -> None:
    # "b" and "a" tie on 5 votes and cost 60 each; budget 100 fits only one: "a" < "b".
    result = rules.greedy({"b": 60, "a": 60}, {"b": 5, "a": 5}, 100)
    assert result.selected == ("a",)
    assert result.step("b").verdict is Verdict.DOES_NOT_FIT
    # Plain string order: "c10" < "c2" (pabutools' lexicographic tie-breaking).
    assert rules.greedy({"c2": 60, "c10": 60}, {"c2": 1, "c10": 1}, 100).selected == ("c10",)
    # The no-skip variant breaks ties the same way and then stops.
    assert rules.greedy_no_skip(
        {"b": 60, "a": 60, "z": 1}, {"b": 5, "a": 5, "z": 0}, 100
    ).selected == ("a",)


def test_greedy_exact_decimal_costs() -> None:
    # 0.1 + 0.2 must fit in 0.3 exactly (with floats it would not).
    result = rules.greedy(
        {"x": Decimal("0.1"), "y": Decimal("0.2")}, {"x": 2, "y": 1}, Decimal("0.3")
    )
    assert result.selected == ("x", "y")
    assert result.total_cost == F(3, 10) and result.unspent == 0


def test_rules_refuse_floats_and_bad_input() -> None:
    with pytest.raises(TypeError):
        rules.greedy({"x": 0.5}, {"x": 1}, 1)  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        rules.mes({"x": 1}, [{"x"}], 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative cost"):
        rules.greedy({"x": -1}, {"x": 1}, 1)
    with pytest.raises(ValueError, match="same projects"):
        rules.greedy({"x": 1}, {"y": 1}, 1)
    with pytest.raises(ValueError, match="unknown project"):
        rules.mes({"x": 1}, [{"y"}], 1)


# ------------------------------------------------------------------------------------------- MES


def test_mes_worked_example() -> None:
    # 4 voters, budget 100: everyone starts with 25.
    #   A (60) approved by v1 v2 v3; B (40) by v3 v4; C (30) by v4.
    # Round 1: A: ρ = 60/3 = 20, ρ/cost = 1/3.  B: ρ = 20, ρ/cost = 1/2.
    #          C: its only supporter holds 25 < 30 -> not affordable (round 1).
    #          A wins; v1 v2 v3 pay 20 and keep 5; v4 keeps 25.
    # Round 2: B's supporters hold 5 + 25 = 30 < 40 -> not affordable. Done: {A}.
    ballots = [{"A"}, {"A"}, {"A", "B"}, {"B", "C"}]
    result = rules.mes({"A": 60, "B": 40, "C": 30}, ballots, 100)
    assert result.selected == ("A",)
    assert result.total_cost == 60
    assert result.steps == (
        MesStep("A", F(60), 3, Verdict.SELECTED, 1, F(75), F(20), 0),
        MesStep("C", F(30), 1, Verdict.NOT_AFFORDABLE, 1, F(25)),
        MesStep("B", F(40), 2, Verdict.NOT_AFFORDABLE, 2, F(30)),
    )
    assert result.mes == rules.MesSummary(4, F(25), 0, 1, 1)


def test_mes_add1_worked_example() -> None:
    # Same election; each step gives every voter one more unit (n = 4 units of budget).
    # With money b per voter: round 1 always picks A (ρ/cost 1/3 beats B's 1/2 and C's 1);
    # afterwards B's supporters hold (b - 20) + b, enough for 40 once b >= 30, i.e. step 5.
    # Steps 0..4: outcome {A}: cost 60 <= 100, and B (40) still fits -> not exhaustive.
    # Step 5 (b = 30): round 1 A (v1 v2 v3 keep 10, v4 30); round 2 B: v3 pays all its 10,
    #   v4 pays ρ = 30 (ρ/cost 3/4 beats C's 30/30 = 1); round 3 C: v4 holds 0 -> done.
    #   {A, B} costs 100 <= 100 and C no longer fits -> exhaustive: that is the result.
    ballots = [{"A"}, {"A"}, {"A", "B"}, {"B", "C"}]
    result = rules.mes_add1({"A": 60, "B": 40, "C": 30}, ballots, 100)
    assert result.selected == ("A", "B")
    assert result.total_cost == 100
    assert result.step("B") == MesStep("B", F(40), 2, Verdict.SELECTED, 2, F(40), F(30), 1)
    assert result.step("C") == MesStep("C", F(30), 1, Verdict.NOT_AFFORDABLE, 3, F(0))
    assert result.mes is not None
    assert (result.mes.voter_money, result.mes.increments) == (F(30), 5)


def test_mes_poor_supporter_pays_everything() -> None:
    # 4 voters with 10 each (budget 40). X (24) by v1 v2 v3; Y (12) by v1 v4.
    # Round 1: X: ρ = 8, ρ/cost = 1/3; Y: ρ = 6, ρ/cost = 1/2 -> X; v1 v2 v3 keep 2.
    # Round 2: Y: v1 holds 2 < 12/2, so v1 pays all 2 and v4 pays the other 10: ρ = 10.
    # Total 36; 4 left and nothing unselected -> mes-add1 stops at step 0 with the same result.
    ballots = [{"X", "Y"}, {"X"}, {"X"}, {"Y"}]
    costs = {"X": 24, "Y": 12}
    result = rules.mes(costs, ballots, 40)
    assert result.selected == ("X", "Y")
    assert result.step("Y") == MesStep("Y", F(12), 2, Verdict.SELECTED, 2, F(12), F(10), 1)
    add1 = rules.mes_add1(costs, ballots, 40)
    assert add1.selected == ("X", "Y")
    assert add1.mes is not None and add1.mes.increments == 0


def test_mes_ties_go_to_the_smaller_id() -> None:
    # 2 voters with 5 each; "b" and "a" both cost 10 and are approved by both voters:
    # ρ = 5 and ρ/cost = 1/2 for both -> tie -> "a" first; then nobody has money left for "b".
    result = rules.mes({"b": 10, "a": 10}, [{"a", "b"}, {"a", "b"}], 10)
    assert result.selected == ("a",)
    assert result.step("b") == MesStep("b", F(10), 2, Verdict.NOT_AFFORDABLE, 2, F(0))
    assert rules.mes({"c2": 10, "c10": 10}, [{"c2", "c10"}] * 2, 10).selected == ("c10",)


def test_mes_prefers_cheaper_per_unit_of_utility_not_more_votes() -> None:
    # 3 voters with 20 each (budget 60). P (60) approved by all three: ρ = 20, ρ/cost = 1/3.
    # Q (10) approved by v1 only: ρ = 10, ρ/cost = 1. P wins; everyone is then broke.
    result = rules.mes({"P": 60, "Q": 10}, [{"P", "Q"}, {"P"}, {"P"}], 60)
    assert result.selected == ("P",)


def test_mes_zero_cost_and_unsupported_projects() -> None:
    # Under cost satisfaction a free project yields no utility: pabutools never selects it.
    result = rules.mes({"free": 0, "lonely": 5, "p": 10}, [{"free", "p"}, {"p"}], 10)
    assert result.selected == ("p",)
    assert result.step("free").verdict is Verdict.ZERO_COST
    assert result.step("lonely").verdict is Verdict.NO_SUPPORTERS
    # add1 can never be exhaustive while "free" (cost 0) is unselected: it stops only when the
    # budget bound is reached (step > budget) with the last outcome.
    add1 = rules.mes_add1({"free": 0, "p": 10}, [{"free", "p"}, {"p"}], 10)
    assert add1.selected == ("p",)


def test_mes_without_voters() -> None:
    for rule in (rules.mes, rules.mes_add1):
        result = rule({"p": 10}, [], 100)
        assert result.selected == ()
        assert result.step("p").verdict is Verdict.NO_SUPPORTERS


def test_mes_add1_returns_previous_outcome_when_overspending() -> None:
    # 2 voters, budget 10 (5 each). A (6) by v1; B (6) by v2. At step k each holds 5 + k:
    #   k = 0: neither affordable -> {} (cost 0, and A fits -> not exhaustive).
    #   k = 1: both affordable with ρ/cost = 1, tie -> A, then B -> {A, B} costs 12 > 10.
    # So the result is the previous outcome, {}.
    result = rules.mes_add1({"A": 6, "B": 6}, [{"A"}, {"B"}], 10)
    assert result.selected == ()
    assert result.mes is not None and result.mes.increments == 0


def test_result_as_dict_is_json_ready() -> None:
    result = rules.mes({"A": 60, "B": 40, "C": 30}, [{"A"}, {"A"}, {"A", "B"}, {"B", "C"}], 100)
    data = result.as_dict()
    assert data["selected"] == ["A"] and data["total_cost"] == "60"
    steps = data["steps"]
    assert isinstance(steps, list)
    assert steps[0] == {
        "project_id": "A",
        "cost": "60",
        "supporters": 3,
        "verdict": "selected",
        "round": 1,
        "supporters_money": "75",
        "price": "20",
        "paid_in_full": 0,
    }
    assert data["mes"] == {
        "voters": 4,
        "voter_money": "25",
        "increments": 0,
        "rounds": 1,
        "runs": 1,
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (F(0), "0"),
        (F(1234), "1234"),
        (F(5, 2), "2.5"),
        (F(-1, 4), "-0.25"),
        (F(1, 3), "1/3"),
        (F(1721654, 1) + F(65, 100), "1721654.65"),
        (F(1, 1000), "0.001"),
        (F(7, 40), "0.175"),
    ],
)
def test_decimal_string(value: Fraction, text: str) -> None:
    assert rules.decimal_string(value) == text


def test_run_dispatch_and_errors() -> None:
    data = rules.RuleInput(
        budget=F(100),
        costs={k: F(v) for k, v in COSTS.items()},
        scores={k: F(v) for k, v in SCORES.items()},
        approvals=(frozenset("ab"), frozenset("cd")),
    )
    assert rules.run("greedy", data).selected == ("a", "b", "d")
    with pytest.raises(rules.RuleError, match="min_project_score_threshold"):
        rules.run("greedy-threshold", data)
    with pytest.raises(rules.RuleError, match="unknown rule"):
        rules.run("borda", data)
    assert set(rules.RULES) == {"greedy", "greedy-no-skip", "greedy-threshold", "mes", "mes-add1"}


# ------------------------------------------------------------------------ elections → rule input

CUMULATIVE = """META
key;value
budget;10
vote_type;cumulative
rule;greedy
min_project_score_threshold;3
PROJECTS
project_id;cost;votes
a;6
b;5
c;5
VOTES
voter_id;vote;points
1;a,b;1,2
2;b,c;3,0
3;a;4
"""


def test_rule_input_from_cumulative_ballots() -> None:
    election = pabulib.loads(CUMULATIVE.replace("project_id;cost;votes", "project_id;cost"))
    data = rules.rule_input(election)
    # Points: a = 1 + 4 = 5, b = 2 + 3 = 5, c = 0. The approval sets keep positive points only.
    assert data.scores == {"a": 5, "b": 5, "c": 0}
    assert data.score_source == "points in ballots"
    assert data.approvals == (frozenset("ab"), frozenset("b"), frozenset("a"))
    assert data.threshold == 3
    # Greedy: a and b tie on 5 -> a (6 of 10), b (5) does not fit, c (5) does not fit.
    assert rules.outcome(election).selected == ("a",)
    assert rules.outcome(election, "greedy-threshold").selected == ("a",)


def test_rule_input_prefers_the_published_columns() -> None:
    text = CUMULATIVE.replace("project_id;cost;votes", "project_id;cost;votes;score")
    text = (
        text.replace("a;6\n", "a;6;2;1\n")
        .replace("b;5\n", "b;5;2;9\n")
        .replace("c;5\n", "c;5;1;8\n")
    )
    data = rules.rule_input(pabulib.loads(text))
    assert data.scores == {"a": 1, "b": 9, "c": 8}
    assert data.score_source == "score column"
    # Greedy on the score column: b (5), c (5): 10 of 10; a does not fit.
    assert rules.outcome(pabulib.loads(text)).selected == ("b", "c")


def test_rule_input_ordinal_positions_without_score_column() -> None:
    text = """META
key;value
budget;10
vote_type;ordinal
max_length;3
rule;greedy
PROJECTS
project_id;cost
a;4
b;4
c;4
VOTES
voter_id;vote
1;a,b,c
2;c,b
"""
    data = rules.rule_input(pabulib.loads(text))
    # Positions score max_length - position: a = 3; b = 2 + 2 = 4; c = 1 + 3 = 4.
    assert data.scores == {"a": 3, "b": 4, "c": 4}


def test_rule_input_approval_counts_when_votes_column_missing() -> None:
    text = """META
key;value
budget;10
rule;equalshares/add1
PROJECTS
project_id;cost
a;4
b;4
VOTES
voter_id;vote
1;a,b
2;b
"""
    election = pabulib.loads(text)
    data = rules.rule_input(election)
    assert data.scores == {"a": 1, "b": 2}
    assert data.score_source == "approvals in ballots"
    assert rules.outcome(election).rule == "mes-add1"
    with pytest.raises(rules.RuleError, match="META rule"):
        rules.outcome(pabulib.loads(text.replace("equalshares/add1", "unknown")))


# ----------------------------------------------------------- property tests: reference versions


def reference_mes(
    costs: Mapping[str, Fraction], ballots: Sequence[Collection[str]], voter_money: Fraction
) -> list[str]:
    """Textbook MES with cost satisfaction, one voter at a time (pabutools' semantics)."""
    money = [voter_money] * len(ballots)
    candidates = {p for p, c in costs.items() if c > 0 and any(p in b for b in ballots)}
    chosen: list[str] = []
    while True:
        best: tuple[Fraction, str, Fraction, list[int]] | None = None
        for p in sorted(candidates):
            supporters = [i for i, b in enumerate(ballots) if p in b]
            if sum(money[i] for i in supporters) < costs[p]:
                continue
            # The smallest cap ρ with sum(min(money_i, ρ)) = cost.
            ordered = sorted(supporters, key=lambda i: money[i])
            paid, rho = Fraction(0), Fraction(0)
            for k, i in enumerate(ordered):
                rho = (costs[p] - paid) / (len(ordered) - k)
                if rho <= money[i]:
                    break
                paid += money[i]
            key = (rho / costs[p], p)
            if best is None or key < best[:2]:
                best = (key[0], p, rho, supporters)
        if best is None:
            return chosen
        _, p, rho, supporters = best
        for i in supporters:
            money[i] -= min(money[i], rho)
        chosen.append(p)
        candidates.discard(p)


def reference_add1(
    costs: Mapping[str, Fraction], ballots: Sequence[Collection[str]], budget: Fraction
) -> list[str]:
    """pabutools' exhaustion_by_budget_increase(budget_step=n), one unit step at a time."""
    n = len(ballots)
    if n == 0:
        return []
    previous: list[str] = []
    step = 0
    while step <= budget:
        chosen = reference_mes(costs, ballots, budget / n + step)
        spent = sum((costs[p] for p in chosen), Fraction(0))
        if spent > budget:
            return previous
        if all(costs[p] > budget - spent for p in costs if p not in chosen):
            return chosen
        previous = chosen
        step += 1
    return previous


@st.composite
def profiles(draw: st.DrawFn) -> tuple[dict[str, Fraction], list[frozenset[str]], Fraction]:
    ids = draw(
        st.lists(
            st.sampled_from(["a", "b", "c", "d", "e", "f", "c10", "c2"]),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    unit = draw(st.sampled_from([1, 1, 2, 4]))
    costs = {
        p: F(draw(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30])), unit) for p in ids
    }
    budget = F(draw(st.integers(0, 40)), draw(st.sampled_from([1, 1, 3])))
    ballots = draw(st.lists(st.frozensets(st.sampled_from(ids)), max_size=9))
    return costs, ballots, budget


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_mes_matches_reference(
    profile: tuple[dict[str, Fraction], list[frozenset[str]], Fraction],
) -> None:
    costs, ballots, budget = profile
    expected = reference_mes(costs, ballots, budget / len(ballots)) if ballots else []
    assert list(rules.mes(costs, ballots, budget).selected) == expected


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_mes_add1_matches_unit_stepping(
    profile: tuple[dict[str, Fraction], list[frozenset[str]], Fraction],
) -> None:
    costs, ballots, budget = profile
    result = rules.mes_add1(costs, ballots, budget)
    assert list(result.selected) == reference_add1(costs, ballots, budget)
    assert result.total_cost <= budget


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_rules_match_pabutools_on_random_profiles(
    profile: tuple[dict[str, Fraction], list[frozenset[str]], Fraction],
) -> None:
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
    from pabutools.rules import (
        exhaustion_by_budget_increase,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    costs, ballots, budget = profile
    instance = Instance([Project(p, c) for p, c in costs.items()], budget_limit=budget)
    by_name = {p.name: p for p in instance}
    profile_ = ApprovalProfile([ApprovalBallot([by_name[p] for p in b]) for b in ballots])
    mes_ref = method_of_equal_shares(instance, profile_, sat_class=Cost_Sat)
    assert list(rules.mes(costs, ballots, budget).selected) == [p.name for p in mes_ref]
    add1_ref = exhaustion_by_budget_increase(
        instance,
        profile_,
        method_of_equal_shares,
        {"sat_class": Cost_Sat},
        budget_step=max(len(ballots), 1),
    )
    assert list(rules.mes_add1(costs, ballots, budget).selected) == [p.name for p in add1_ref]
    scores = {p: F(sum(p in b for b in ballots)) for p in costs}
    greedy_ref = greedy_utilitarian_welfare(instance, profile_, sat_class=Cost_Sat)
    assert set(rules.greedy(costs, scores, budget).selected) == {p.name for p in greedy_ref}


@settings(max_examples=200, deadline=None)
@given(profiles(), st.integers(0, 5))
def test_greedy_invariants(
    profile: tuple[dict[str, Fraction], list[frozenset[str]], Fraction], threshold: int
) -> None:
    costs, ballots, budget = profile
    scores = {p: F(sum(p in b for b in ballots)) for p in costs}
    skip = rules.greedy(costs, scores, budget)
    stop = rules.greedy_no_skip(costs, scores, budget)
    limited = rules.greedy_threshold(costs, scores, budget, threshold)
    for result in (skip, stop, limited):
        assert result.total_cost <= budget
        assert result.total_cost == sum(costs[p] for p in result.selected)
    # No-skip selects a prefix of the greedy order, which greedy (with skipping) also selects.
    assert skip.selected[: len(stop.selected)] == stop.selected
    assert all(scores[p] >= threshold for p in limited.selected)
    # Greedy is exhaustive: nothing left out still fits.
    assert all(costs[p] > skip.unspent for p in costs if p not in skip.selected)
