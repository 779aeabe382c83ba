"""The rules on the real Pabulib files: official outcomes and agreement with pabutools.

pabutools (a dev dependency) is the reference implementation. Its ``mes-add1`` takes from ~15 s
to ~110 s per file, so those full comparisons are marked ``slow``; a fast check of the stopping
point against pabutools runs on every file in any case.
"""

from __future__ import annotations

import copy
import io
import json
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from deliberation import pabulib, rules

DATA = Path("/work/shared/data/pabulib")
FILES = sorted(DATA.glob("*.pb"))

SLOW_ADD1 = {  # pabutools' mes-add1 time on the reference machine
    "Poland_Swiecie_2023",  # ~27-40 s
    "Poland_Warszawa_2018_Chomiczowka",  # ~40 s
    "Poland_Warszawa_2019_Sielce",  # ~110 s
    "Poland_Wroclaw_2017_Rejon_nr_2_250",  # ~15 s
}


@cache
def election(path: Path) -> pabulib.Election:
    return pabulib.read(path)


@cache
def pabutools_election(path: Path) -> tuple[Any, Any]:
    from pabutools.election import parse_pabulib

    return parse_pabulib(str(path))


def _with_selected() -> list[Path]:
    return [p for p in FILES if election(p).selected_ids() is not None]


def _small_approval() -> list[Path]:
    return [
        p
        for p in FILES
        if election(p).vote_type in ("approval", "choose-1") and len(election(p).votes) < 10_000
    ]


def _slow_if(names: set[str], paths: list[Path]) -> list[Any]:
    return [
        pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in names else [])
        for p in paths
    ]


def test_file_selection() -> None:
    assert len(_with_selected()) == 9
    assert [p.stem for p in _small_approval()] == [
        "Canada_Stanford_Dataset_PB_Dieppe_2018_vote_approvals",
        "Poland_Gdynia_2024_Srodmiescie__small",
        "Poland_Swiecie_2023",
        "Poland_Warszawa_2018_Chomiczowka",
        "Poland_Warszawa_2019_Sielce",
        "Poland_Wroclaw_2017_Rejon_nr_2_250",
    ]


# ------------------------------------------------------------------------- official outcomes


@pytest.mark.parametrize("path", _with_selected(), ids=lambda p: p.stem)
def test_meta_rule_reproduces_selected_projects(path: Path) -> None:
    e = election(path)
    result = rules.outcome(e)  # the rule named by META `rule`
    assert result.rule == rules.PABULIB_RULES[e.meta["rule"]]
    assert sorted(result.selected) == sorted(e.selected_ids() or [])
    assert result.total_cost <= Fraction(e.budget)
    data = rules.rule_input(e)
    expected_source = "votes column" if e.vote_type in ("approval", "choose-1") else "score column"
    assert data.score_source == expected_source


@pytest.mark.parametrize(
    "name",
    [
        "Poland_Czestochowa_2024_Podjasnogorska",
        "Poland_Katowice_2023_Welnowiec_-_Jozefowiec",
        "Poland_Krakow_2023_Zwierzyniec",
    ],
)
def test_cumulative_and_ordinal_greedy_needs_the_score_column(name: str) -> None:
    # README fact: on these files greedy by `votes` would not give the official outcome.
    e = election(DATA / f"{name}.pb")
    data = rules.rule_input(e)
    by_votes = {pid: row.votes for pid, row in e.projects.items()}
    rule = rules.PABULIB_RULES[e.meta["rule"]]
    by_score = rules.run(rule, data).selected
    if rule == "greedy-threshold":
        assert data.threshold is not None
        by_count = rules.greedy_threshold(data.costs, by_votes, data.budget, data.threshold)  # type: ignore[arg-type]
    else:
        by_count = rules.greedy(data.costs, by_votes, data.budget)  # type: ignore[arg-type]
    assert sorted(by_score) == sorted(e.selected_ids() or [])
    assert sorted(by_count.selected) != sorted(by_score)


def test_ordinal_score_column_is_max_length_minus_position() -> None:
    e = election(DATA / "Poland_Krakow_2023_Zwierzyniec.pb")
    stripped = copy.deepcopy(e)
    stripped.projects = {
        pid: pabulib.ProjectRow(row.project_id, row.cost, row.name, row.votes, None, row.selected)
        for pid, row in e.projects.items()
    }
    recomputed = rules.rule_input(stripped)
    assert recomputed.score_source.startswith("ordinal positions")
    assert recomputed.scores == rules.rule_input(e).scores


# ------------------------------------------------------------------------- against pabutools


def _pabutools_mes(path: Path, voter_money: Any = None) -> list[str]:
    from pabutools.election import Cost_Sat
    from pabutools.rules import method_of_equal_shares

    instance, profile = pabutools_election(path)
    if voter_money is not None:
        instance = copy.deepcopy(instance)
        instance.budget_limit = voter_money * profile.num_ballots()
    return [p.name for p in method_of_equal_shares(instance, profile, sat_class=Cost_Sat)]


@pytest.mark.parametrize("path", _small_approval(), ids=lambda p: p.stem)
def test_mes_matches_pabutools(path: Path) -> None:
    ours = rules.outcome(election(path), "mes")
    assert list(ours.selected) == _pabutools_mes(path)


@pytest.mark.parametrize("path", _small_approval(), ids=lambda p: p.stem)
def test_greedy_matches_pabutools(path: Path) -> None:
    from pabutools.election import Cost_Sat
    from pabutools.rules import greedy_utilitarian_welfare

    instance, profile = pabutools_election(path)
    theirs = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    ours = rules.outcome(election(path), "greedy")
    assert list(ours.selected) == [p.name for p in theirs]


@pytest.mark.parametrize("path", _small_approval(), ids=lambda p: p.stem)
def test_mes_add1_stopping_point_matches_pabutools(path: Path) -> None:
    """Fast check: pabutools' MES at our final voter money gives our outcome, and the next unit
    step would stop the add-one loop (over budget) unless ours is already exhaustive."""
    e = election(path)
    ours = rules.outcome(e, "mes-add1")
    assert ours.mes is not None
    assert list(ours.selected) == _pabutools_mes(path, ours.mes.voter_money)
    data = rules.rule_input(e)
    left = data.budget - ours.total_cost
    exhaustive = all(c > left for p, c in data.costs.items() if p not in ours.selected)
    if not exhaustive:
        following = _pabutools_mes(path, ours.mes.voter_money + 1)
        assert sum(data.costs[p] for p in following) > data.budget


@pytest.mark.parametrize("path", _slow_if(SLOW_ADD1, _small_approval()))
def test_mes_add1_matches_pabutools(path: Path) -> None:
    from pabutools.election import Cost_Sat
    from pabutools.rules import exhaustion_by_budget_increase, method_of_equal_shares

    instance, profile = pabutools_election(path)
    theirs = exhaustion_by_budget_increase(
        instance,
        profile,
        method_of_equal_shares,
        {"sat_class": Cost_Sat},
        budget_step=profile.num_ballots(),
    )
    ours = rules.outcome(election(path), "mes-add1")
    assert list(ours.selected) == [p.name for p in theirs]


@pytest.mark.slow
def test_greedy_matches_pabutools_on_wroclaw() -> None:
    from pabutools.election import Cost_Sat
    from pabutools.rules import greedy_utilitarian_welfare

    path = DATA / "Poland_Wroclaw_2017.pb"
    instance, profile = pabutools_election(path)
    theirs = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    assert list(rules.outcome(election(path), "greedy").selected) == [p.name for p in theirs]


# ------------------------------------------------------------------------- the command


def _command(*argv: str) -> str:
    pytest.importorskip("django")
    from deliberation.management.commands.pb_outcome import Command

    out = io.StringIO()
    command = Command(stdout=out, stderr=io.StringIO())
    options = vars(command.create_parser("manage.py", "pb_outcome").parse_args(list(argv)))
    command.handle(**options)
    return out.getvalue()


def test_pb_outcome_command_prints_ids_and_json() -> None:
    swiecie = str(DATA / "Poland_Swiecie_2023.pb")
    expected = election(DATA / "Poland_Swiecie_2023.pb").selected_ids() or []
    lines = _command(swiecie, "--rule", "mes-add1").split()
    assert sorted(lines) == sorted(expected)
    payload = json.loads(_command(swiecie, "--rule", "mes-add1", "--json"))
    assert sorted(payload["selected"]) == sorted(expected)
    assert payload["cost"] == "1040337"
    gdynia = json.loads(_command(str(DATA / "Poland_Gdynia_2024_Srodmiescie__small.pb"), "--json"))
    assert gdynia == {"selected": ["2024/SRO/0005", "2024/SRO/0014"], "cost": "34500"}


def test_pb_outcome_command_reports_the_bad_line(tmp_path: Path) -> None:
    pytest.importorskip("django")
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.pb"
    bad.write_text(
        "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\np1;ten\nVOTES\nvoter_id;vote\n"
    )
    with pytest.raises(CommandError, match=r"line 6: cost of project 'p1'"):
        _command(str(bad), "--rule", "greedy")
    no_threshold = tmp_path / "plain.pb"
    no_threshold.write_text(
        "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\np1;5\nVOTES\nvoter_id;vote\nv;p1\n"
    )
    with pytest.raises(CommandError, match="min_project_score_threshold"):
        _command(str(no_threshold), "--rule", "greedy-threshold")
    assert _command(str(no_threshold), "--rule", "mes").split() == ["p1"]
