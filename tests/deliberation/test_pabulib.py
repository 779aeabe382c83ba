"""The Pabulib ``.pb`` reader and writer (pure Python, no Django needed)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deliberation import pabulib
from deliberation.pabulib import Ballot, Election, PabulibError, ProjectRow

DATA = Path("/work/shared/data/pabulib")
FILES = sorted(DATA.glob("*.pb"))


def test_sample_files_are_present() -> None:
    assert len(FILES) == 11


# ------------------------------------------------------------------------------ the real files


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_real_file_reads_consistently(path: Path) -> None:
    election = pabulib.read(path)
    assert len(election.votes) == int(election.meta["num_votes"])
    assert len(election.projects) == int(election.meta["num_projects"])
    for ballot in election.votes:
        assert set(ballot.projects) <= election.projects.keys()
    # The PROJECTS `votes` column counts the ballots naming the project, in every sample file.
    for pid, row in election.projects.items():
        assert row.votes == sum(pid in b.projects for b in election.votes)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_real_file_round_trips(path: Path) -> None:
    election = pabulib.read(path)
    text = pabulib.dumps(election)
    again = pabulib.loads(text)
    assert again == election
    assert again.project_columns == election.project_columns
    assert pabulib.dumps(again) == text


def test_decimal_budget_is_exact() -> None:
    election = pabulib.read(DATA / "Poland_Krakow_2023_Zwierzyniec.pb")
    assert election.budget == Decimal("1721654.65")
    assert isinstance(election.budget, Decimal)
    assert all(isinstance(row.cost, int) for row in election.projects.values())


def test_quoted_cells_with_semicolons_and_quotes() -> None:
    election = pabulib.read(DATA / "Poland_Wroclaw_2017.pb")
    assert election.projects["50"].name is not None
    assert election.projects["50"].name.startswith(
        "Zielona rowerowo-piesza obwodnica Wrocławia; ETAP II"
    )
    assert election.projects["499"].name is not None
    assert election.projects["499"].name.startswith('"Konikowo" - Budowa')
    assert election.projects["10"].extra == {
        "category": "greenery/recreation",
        "district": "Plac Grunwaldzki",
    }
    first = election.votes[0]
    assert first == Ballot(
        "1",
        ("18", "334"),
        None,
        {
            "age": "23",
            "sex": "F",
            "voting_method": "internet",
            "district": "Pilczyce-Kozanów-Popowice Płn.,Ołbin",
        },
    )


def test_cumulative_points_and_score_column() -> None:
    election = pabulib.read(DATA / "Poland_Czestochowa_2024_Podjasnogorska.pb")
    assert election.vote_type == "cumulative"
    ballot = election.votes[1]
    assert ballot.projects == ("611", "662") and ballot.points == (5, 5)
    assert election.projects["112"].score == 627
    assert election.projects["112"].selected is True
    assert election.projects["66"].selected is False


def test_ordinal_vote_keeps_preference_order() -> None:
    election = pabulib.read(DATA / "Poland_Krakow_2023_Zwierzyniec.pb")
    assert election.vote_type == "ordinal"
    assert election.votes[0].projects == ("BO.D7.13/23", "BO.D7.8/23", "BO.D7.3/23")
    assert election.votes[0].points is None


def test_selected_ids_in_file_order() -> None:
    election = pabulib.read(DATA / "Poland_Gdynia_2024_Srodmiescie__small.pb")
    assert election.selected_ids() == ["2024/SRO/0005", "2024/SRO/0014"]
    toulouse = pabulib.read(DATA / "France_Toulouse_2019.pb")
    assert toulouse.selected_ids() is None


# ------------------------------------------------------------------------------ small texts

GOOD = """META
key;value
budget;100
vote_type;approval
num_votes;2
PROJECTS
project_id;cost;name
p1;60;First
p2;40.50;Second
VOTES
voter_id;vote;age
v1;p1,p2;30
v2;;41
"""


def test_small_text() -> None:
    election = pabulib.loads(GOOD)
    assert election.meta == {"budget": "100", "vote_type": "approval", "num_votes": "2"}
    assert election.projects["p2"] == ProjectRow("p2", Decimal("40.50"), name="Second")
    assert election.votes == [
        Ballot("v1", ("p1", "p2"), None, {"age": "30"}),
        Ballot("v2", (), None, {"age": "41"}),
    ]


def test_bom_crlf_blank_lines_and_lowercase_sections() -> None:
    text = "\ufeff" + GOOD.replace("PROJECTS", "\nprojects").replace("\n", "\r\n") + "\r\n\r\n"
    assert pabulib.loads(text) == pabulib.loads(GOOD)


def test_quoted_line_break_in_a_name() -> None:
    text = GOOD.replace("p1;60;First", 'p1;60;"Two\nlines; one cell"')
    election = pabulib.loads(text)
    assert election.projects["p1"].name == "Two\nlines; one cell"
    # The error line numbers count physical lines, so the vote rows are one line further down.
    broken = text.replace("v2;;41", "v2;p9;41")
    with pytest.raises(PabulibError) as info:
        pabulib.loads(broken)
    assert info.value.line == 14


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "line_marker", "fragment"),
    [
        ("p1;60;First", "p1;sixty;First", "p1;sixty", "cost of project 'p1'"),
        ("p1;60;First", "p1;-5;First", "p1;-5", "cost of project 'p1'"),
        ("p1;60;First", "p1;60", "p1;60", "PROJECTS row has 2 columns, header has 3"),
        ("v1;p1,p2;30", "v1;p1,p2;30;x", "v1;p1,p2;30;x", "VOTES row has 4 columns"),
        ("v1;p1,p2;30", "v1;p1,p7;30", "v1;p1,p7", "unknown project 'p7'"),
        ("v2;;41", "v1;;41", "v1;;41", "duplicate voter_id 'v1'"),
        ("p2;40.50;Second", "p1;40.50;Second", "p1;40.50", "duplicate project_id 'p1'"),
        ("budget;100", "budget;lots", "budget;lots", "budget is not a non-negative number"),
        ("vote_type;approval", "vote_type;quadratic", "vote_type", "unsupported vote_type"),
        ("num_votes;2", "num_votes;3", "num_votes", "num_votes is '3' but the file has 2"),
        ("key;value", "name;value", "name;value", "META header must be 'key;value'"),
        ("project_id;cost;name", "project_id;price;name", "price", "no 'cost' column"),
        ("voter_id;vote;age", "voter_id;vote", "v1;p1,p2;30", "VOTES row has 3 columns"),
        ("p1;60;First", 'p1;60;"First', "p1;60", "malformed CSV"),
    ],
)
def test_malformed_input_names_the_line(
    old: str, new: str, line_marker: str, fragment: str
) -> None:
    text = GOOD.replace(old, new)
    assert text != GOOD
    with pytest.raises(PabulibError) as info:
        pabulib.loads(text)
    expected_line = _line_of(text, line_marker)
    if fragment == "malformed CSV":  # an unterminated quote runs to the end of the input
        expected_line = len(text.splitlines())
    assert info.value.line == expected_line, str(info.value)
    assert fragment in info.value.message
    assert str(info.value).startswith(f"line {expected_line}: ")


def test_approval_vote_naming_a_project_twice_counts_it_once_with_a_warning() -> None:
    text = GOOD.replace("v1;p1,p2;30", "v1;p1,p2,p1;30")
    election = pabulib.loads(text)
    assert election.votes[0].projects == ("p1", "p2")
    [warning] = election.warnings
    assert warning.line == _line_of(text, "v1;p1,p2,p1")
    assert (
        str(warning)
        == f"line {warning.line}: vote of voter 'v1' names p1 more than once; counted once"
    )
    # the warning is about the file, not the election: the same ballots read cleanly compare equal
    assert election == pabulib.loads(GOOD.replace("v1;p1,p2;30", "v1;p1,p2;30"))
    assert pabulib.loads(GOOD).warnings == []


def test_choose_one_vote_naming_its_project_twice_counts_it_once() -> None:
    text = GOOD.replace("vote_type;approval", "vote_type;choose-1").replace(
        "v1;p1,p2;30", "v1;p2,p2;30"
    )
    election = pabulib.loads(text)
    assert election.votes[0].projects == ("p2",)
    assert len(election.warnings) == 1


def test_ordinal_vote_naming_a_project_twice_is_refused() -> None:
    text = GOOD.replace("vote_type;approval", "vote_type;ordinal").replace(
        "v1;p1,p2;30", "v1;p1,p2,p1;30"
    )
    with pytest.raises(PabulibError, match="the same project twice") as info:
        pabulib.loads(text)
    assert info.value.line == _line_of(text, "v1;p1,p2,p1")


def test_reading_without_voter_details_keeps_the_ballots_and_every_check() -> None:
    full, lean = pabulib.loads(GOOD), pabulib.loads(GOOD, extras=False)
    assert [b.projects for b in lean.votes] == [b.projects for b in full.votes]
    assert [b.extra for b in lean.votes] == [{}, {}]
    assert lean.meta == full.meta and lean.projects == full.projects
    with pytest.raises(PabulibError, match=r"^line 12: vote names unknown project 'p7'"):
        pabulib.loads(GOOD.replace("v1;p1,p2;30", "v1;p1,p7;30"), extras=False)
    with pytest.raises(PabulibError, match="VOTES row has 2 columns"):
        pabulib.loads(GOOD.replace("v2;;41", "v2;"), extras=False)


def test_blanks_around_the_ids_of_a_vote_are_ignored() -> None:
    election = pabulib.loads(GOOD.replace("v1;p1,p2;30", "v1; p1 , p2 ;30"))
    assert election.votes[0].projects == ("p1", "p2")
    assert election.warnings == []


def test_nothing_may_follow_the_votes() -> None:
    with pytest.raises(PabulibError, match=r"^line 14: unexpected META section after VOTES"):
        pabulib.loads(GOOD + "META\n")


def test_votes_header_without_vote_column() -> None:
    text = GOOD.replace("voter_id;vote;age", "voter_id;ballot;age")
    with pytest.raises(PabulibError, match=r"^line 11: VOTES header has no 'vote' column"):
        pabulib.loads(text)


def test_empty_file() -> None:
    for text in ("", "\n\n  \n"):
        with pytest.raises(PabulibError) as info:
            pabulib.loads(text)
        assert info.value.line >= 1
        assert "empty file" in info.value.message or "missing META" in info.value.message
    assert pabulib.PabulibError("x", 1).line == 1


def test_missing_sections() -> None:
    with pytest.raises(PabulibError, match=r"^line 1: expected META section, found PROJECTS"):
        pabulib.loads(GOOD[GOOD.index("PROJECTS") :])
    only_meta = GOOD[: GOOD.index("PROJECTS")]
    with pytest.raises(PabulibError, match=r"^line 5: missing PROJECTS section"):
        pabulib.loads(only_meta)
    no_votes = GOOD[: GOOD.index("VOTES")]
    with pytest.raises(PabulibError, match=r"^line 9: missing VOTES section"):
        pabulib.loads(no_votes)
    with pytest.raises(PabulibError, match=r"^line 10: VOTES section has no header row"):
        pabulib.loads(no_votes + "VOTES\n")
    with pytest.raises(PabulibError, match=r"META has no 'budget'"):
        pabulib.loads(GOOD.replace("budget;100\n", ""))


def test_cumulative_points_must_match_votes() -> None:
    text = """META
key;value
budget;10
vote_type;cumulative
PROJECTS
project_id;cost
a;5
b;5
VOTES
voter_id;vote;points
1;a,b;2,1
2;a,b;3
"""
    with pytest.raises(PabulibError, match=r"^line 12: 1 points for 2 voted projects"):
        pabulib.loads(text)
    with pytest.raises(PabulibError, match=r"^line 11: points value is not a number: 'x'"):
        pabulib.loads(text.replace("2,1", "2,x"))
    with pytest.raises(PabulibError, match=r"^line 10: VOTES header has no 'points' column"):
        pabulib.loads(text.replace("voter_id;vote;points", "voter_id;vote;pts"))
    election = pabulib.loads(text.replace("2;a,b;3", "2;a,b;3,-1.5"))
    assert election.votes[1].points == (3, Decimal("-1.5"))


def test_choose_one_allows_a_single_project() -> None:
    text = GOOD.replace("vote_type;approval", "vote_type;choose-1")
    with pytest.raises(PabulibError, match=r"^line 12: choose-1 vote names more than one project"):
        pabulib.loads(text)


def test_selected_must_be_zero_or_one() -> None:
    text = GOOD.replace("project_id;cost;name", "project_id;cost;selected").replace(
        "p1;60;First", "p1;60;2"
    )
    with pytest.raises(PabulibError, match=r"^line 8: selected of project 'p1' must be 0 or 1"):
        pabulib.loads(text)


# ------------------------------------------------------------------------------ writer


def test_writer_refuses_what_cannot_be_read_back() -> None:
    election = pabulib.loads(GOOD)
    bad_id = Election(
        dict(election.meta),
        {"a,b": ProjectRow("a,b", 1)},
        [],
    )
    with pytest.raises(ValueError, match="comma"):
        pabulib.dumps(bad_id)
    padded = Election(dict(election.meta), {"a": ProjectRow("a", 1, name=" x")}, [])
    with pytest.raises(ValueError, match="whitespace"):
        pabulib.dumps(padded)
    unknown = Election({"budget": "1"}, {"a": ProjectRow("a", 1)}, [Ballot("v", ("b",))])
    with pytest.raises(ValueError, match="unknown project"):
        pabulib.dumps(unknown)
    floaty = Election({"budget": "1"}, {"a": ProjectRow("a", 1.5)}, [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="int or Decimal"):
        pabulib.dumps(floaty)
    wrong_count = Election({"budget": "1", "num_votes": "3"}, {}, [])
    with pytest.raises(ValueError, match="num_votes"):
        pabulib.dumps(wrong_count)


def test_write_and_read_a_file(tmp_path: Path) -> None:
    election = pabulib.loads(GOOD)
    path = tmp_path / "out.pb"
    pabulib.write(election, path)
    assert pabulib.read(path) == election
    assert path.read_bytes().startswith(b"META\r\nkey;value\r\n")


# ------------------------------------------------------------------------------ round trip

_CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
).filter(lambda s: s == s.strip())
_NONEMPTY = _CELL.filter(bool)
_ID = _NONEMPTY.filter(lambda s: "," not in s)
_AMOUNT = st.one_of(
    st.integers(min_value=0, max_value=10**12),
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
)


@st.composite
def elections(draw: st.DrawFn) -> Election:
    """Random approval elections (uniform columns, as a real file has)."""
    project_ids = draw(st.lists(_ID, min_size=0, max_size=6, unique=True))
    with_votes = draw(st.booleans())
    with_names = draw(st.booleans())
    with_selected = draw(st.booleans())
    extra_keys = draw(
        st.lists(
            _NONEMPTY.filter(lambda k: k not in pabulib._PROJECT_FIELDS), max_size=2, unique=True
        )
    )
    projects = {
        pid: ProjectRow(
            pid,
            draw(_AMOUNT),
            name=draw(_CELL) if with_names else None,
            votes=draw(st.integers(0, 10**6)) if with_votes else None,
            selected=draw(st.booleans()) if with_selected else None,
            extra={k: draw(_CELL) for k in extra_keys},
        )
        for pid in project_ids
    }
    voter_ids = draw(st.lists(_ID, max_size=8, unique=True))
    ballot_keys = draw(
        st.lists(
            _NONEMPTY.filter(lambda k: k not in ("voter_id", "vote", "points")),
            max_size=2,
            unique=True,
        )
    )
    votes = [
        Ballot(
            vid,
            tuple(draw(st.lists(st.sampled_from(project_ids), unique=True))) if project_ids else (),
            None,
            {k: draw(_CELL) for k in ballot_keys},
        )
        for vid in voter_ids
    ]
    meta = {"budget": str(draw(_AMOUNT)), "vote_type": "approval"}
    meta.update(draw(st.dictionaries(_NONEMPTY, _CELL, max_size=3)))
    meta["budget"] = str(draw(_AMOUNT))
    meta["vote_type"] = "approval"
    if draw(st.booleans()):
        meta["num_votes"] = str(len(votes))
        meta["num_projects"] = str(len(projects))
    else:
        meta.pop("num_votes", None)
        meta.pop("num_projects", None)
    return Election(meta, projects, votes)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(elections())
def test_round_trip_property(election: Election) -> None:
    text = pabulib.dumps(election)
    again = pabulib.loads(text)
    assert again == election
    assert pabulib.dumps(again) == text
