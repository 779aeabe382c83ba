"""Pabulib interop: ``pb_import`` turns a .pb file into a round (counted with the file's rule),
``pb_export`` writes a closed round as an approval election that recounts to the same result. A
malformed file is refused with a message naming the line, and nothing is written."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from deliberation import ballots, pabulib, rules
from deliberation.ballot_models import BudgetRound, RoundProject, RoundResult
from tests.deliberation.votes_support import ballot_rows, end_window, vote

DATA = Path("/work/shared/data/pabulib")
if not DATA.exists():  # the repository's copy, if the shared one is not mounted
    DATA = Path(__file__).resolve().parents[2] / "data" / "pabulib"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="Pabulib sample files not available")
pytestmark = pytest.mark.usefixtures("vote_urls")


def pb_import(path: Path | str, community: Any, *args: str) -> str:
    out = io.StringIO()
    call_command("pb_import", str(path), "--community", community.slug, *args, stdout=out)
    return out.getvalue()


def selected(rnd: BudgetRound) -> set[str]:
    return set(
        RoundProject.objects.filter(round=rnd, selected=True).values_list("external_id", flat=True)
    )


@needs_data
@pytest.mark.parametrize(
    "name",
    [
        "Poland_Warszawa_2019_Sielce.pb",  # greedy
        "Poland_Gdynia_2024_Srodmiescie__small.pb",  # greedy-no-skip
        "Poland_Warszawa_2018_Chomiczowka.pb",  # greedy-threshold
        "Poland_Wroclaw_2017_Rejon_nr_2_250.pb",  # choose-1, greedy-no-skip
        "Poland_Swiecie_2023.pb",  # equalshares/add1
    ],
)
def test_imported_round_reproduces_the_official_result(name: str, community: Any) -> None:
    output = pb_import(DATA / name, community)
    rnd = BudgetRound.objects.get()
    election = pabulib.read(DATA / name)
    assert rnd.source == BudgetRound.Source.PABULIB and rnd.status == BudgetRound.Status.CLOSED
    assert rnd.ballots.count() == len(election.votes) == rnd.participations.count()
    assert rnd.entries.count() == len(election.projects)
    assert selected(rnd) == set(election.selected_ids() or [])
    assert "入选" in output
    assert not rnd.entries.filter(project__isnull=False).exists()
    # votes counted from the imported ballots agree with the file's PROJECTS column
    for e in rnd.entries.all():
        assert e.votes == election.projects[e.external_id].votes


@needs_data
def test_file_without_a_known_rule_needs_one(community: Any) -> None:
    path = DATA / "Canada_Stanford_Dataset_PB_Dieppe_2018_vote_approvals.pb"
    with pytest.raises(CommandError, match=r"第 \d+ 行.*unknown"):
        pb_import(path, community)
    assert not BudgetRound.objects.exists()
    pb_import(path, community, "--rule", "greedy")
    rnd = BudgetRound.objects.get()
    expected = rules.outcome(pabulib.read(path), "greedy")
    assert selected(rnd) == set(expected.selected)


@needs_data
def test_only_approval_ballots_are_imported(community: Any) -> None:
    path = DATA / "Poland_Czestochowa_2024_Podjasnogorska.pb"
    text = path.read_text(encoding="utf-8")
    line = 1 + text.splitlines().index("vote_type;cumulative")
    with pytest.raises(CommandError, match=rf"第 {line} 行.*approval.*cumulative"):
        pb_import(path, community)
    assert not BudgetRound.objects.exists() and ballot_rows() == (0, 0, 0)


BROKEN = """META
key;value
budget;1000
vote_type;approval
PROJECTS
project_id;cost;name
p1;600;Lamps
p2;abc;Benches
VOTES
voter_id;vote
v1;p1
"""


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        (BROKEN, 8, "cost"),
        (BROKEN.replace("p2;abc", "p2;400").replace("v1;p1", "v1;p1,p9"), 11, "unknown project"),
        (
            BROKEN.replace("p2;abc", "p2;400").replace("v1;p1\n", "v1;p1\nv1;p2\n"),
            12,
            "duplicate voter_id",
        ),
        (BROKEN.replace("budget;1000", "budget;lots"), 3, "budget"),
        (BROKEN.replace("PROJECTS", "PROJECTZ"), 5, "columns"),
        ("", 1, "empty"),
    ],
)
def test_malformed_file_names_the_line(
    tmp_path: Path, community: Any, text: str, line: int, what: str
) -> None:
    path = tmp_path / "broken.pb"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=rf"broken.pb 第 {line} 行：.*{what}"):
        pb_import(path, community)
    assert not BudgetRound.objects.exists() and ballot_rows() == (0, 0, 0)


def test_costs_our_rounds_cannot_hold_are_refused(tmp_path: Path, community: Any) -> None:
    path = tmp_path / "cents.pb"
    path.write_text(BROKEN.replace("p2;abc", "p2;0.125"), encoding="utf-8")
    with pytest.raises(CommandError, match="计票规则"):
        pb_import(path, community)
    with pytest.raises(CommandError, match="两位小数"):
        pb_import(path, community, "--rule", "greedy")
    assert not BudgetRound.objects.exists()


def test_export_of_a_closed_round_recounts_to_the_same_result_and_hash(
    project_in: Any,
    make_round: Any,
    cast: dict[str, Any],
    make_resident: Any,
    other_community: Any,
    tmp_path: Path,
) -> None:
    a = project_in("deliberating", cost="600.00")
    b = project_in("deliberating", cost="300.00")
    c = project_in("deliberating", cost="250.50")
    voters = [make_resident(f"voter{i}") for i in range(6)]  # on the roll: before the opening
    rnd = make_round([a, b, c], rule="mes-add1", budget="1000.00")
    for voter, choice in zip(voters, [(c,), (a, b), (a,), (b, c), (a, c), (a,)], strict=True):
        vote(rnd, voter, *choice)
    with pytest.raises(CommandError, match="已计票"):
        call_command("pb_export", str(rnd.pk), stdout=io.StringIO())
    result = ballots.round_close(round=end_window(rnd), by=cast["committee"])
    out = tmp_path / "round.pb"
    call_command("pb_export", str(rnd.pk), "-o", str(out), stderr=io.StringIO())
    text = out.read_text(encoding="utf-8")
    election = pabulib.loads(text)
    assert election.meta["vote_type"] == "approval" and election.meta["rule"] == "equalshares/add1"
    assert election.meta["budget"] == "1000" and election.meta["num_votes"] == "6"
    assert election.projects[str(c.pk)].cost == pabulib.parse_number("250.5")
    # no voter identity, no casting order: ids 1..n over ballots sorted by content
    assert [v.voter_id for v in election.votes] == ["1", "2", "3", "4", "5", "6"]
    assert [list(v.projects) for v in election.votes] == sorted(
        sorted(v.projects) for v in election.votes
    )
    for voter in voters:
        assert voter.username not in text
    assert {pid for pid, row in election.projects.items() if row.selected} == selected(rnd)
    # the same file, recounted elsewhere, gives the same winners and the same inputs hash
    assert set(rules.outcome(election, "mes-add1").selected) == selected(rnd)
    pb_import(out, other_community)
    again = BudgetRound.objects.get(community=other_community)
    assert selected(again) == selected(rnd)
    assert RoundResult.objects.get(round=again).inputs_sha256 == result.inputs_sha256


def test_export_over_http_is_public_for_closed_rounds(
    project_in: Any, make_round: Any, cast: dict[str, Any], client: Any
) -> None:
    a = project_in("deliberating")
    rnd = make_round([a], spares=0)
    assert client.get(f"/rounds/{rnd.pk}/export.pb").status_code == 409
    vote(rnd, cast["resident"], a)
    ballots.round_close(round=rnd, by=cast["committee"])
    r = client.get(f"/rounds/{rnd.pk}/export.pb")
    assert r.status_code == 200 and r["Content-Disposition"].endswith('.pb"')
    assert pabulib.loads(r.content.decode()).votes[0].projects == (str(a.pk),)


def test_imported_round_results_page_shows_the_official_outcome_beside_ours(
    tmp_path: Path, community: Any, client: Any
) -> None:
    path = tmp_path / "small.pb"
    path.write_text(
        "META\nkey;value\nbudget;1000\nvote_type;approval\nrule;greedy\n"
        "PROJECTS\nproject_id;cost;votes;name;selected\np1;600;2;Lamps;1\np2;500;1;Benches;0\np3;300;1;Trees;1\n"
        "VOTES\nvoter_id;vote\nv1;p1,p2\nv2;p1,p3\n",
        encoding="utf-8",
    )
    pb_import(path, community, "--title", "导入测试")
    rnd = BudgetRound.objects.get()
    assert rnd.title == "导入测试" and selected(rnd) == {"p1", "p3"}
    page = client.get(f"/rounds/{rnd.pk}/results/").content.decode()
    assert "文件中的官方结果" in page and "Benches" in page
