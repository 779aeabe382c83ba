"""``yishi-pb`` (and ``manage.py pb_outcome``) on real Pabulib files, without Django.

A real published file (Warszawa 2026, Międzylesie Radość) has a vote naming the same project twice;
an approval ballot is a set, so it counts once, the line is reported as a warning, and the official
outcome still comes out. The tests plant such a vote in a real sample file.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from deliberation import pabulib, pb_cli

DATA = Path("/work/shared/data/pabulib")
SWIECIE = DATA / "Poland_Swiecie_2023.pb"  # equalshares/add1, with the official ``selected``
OFFICIAL = sorted(pabulib.read(SWIECIE).selected_ids() or [])  # the published winners
assert OFFICIAL


def _with_repeated_project(tmp_path: Path) -> tuple[Path, int]:
    """Swiecie 2023 with its first vote naming its first project a second time; that line."""
    lines = SWIECIE.read_text(encoding="utf-8-sig").splitlines()
    header = lines.index("VOTES") + 1
    voter, vote = lines[header + 1].split(";")
    assert voter == "v1" and vote.startswith("c1,")
    lines[header + 1] = f"{voter};{vote},c1"
    path = tmp_path / "swiecie_repeated.pb"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8", newline="")
    return path, header + 2


def test_vote_naming_a_project_twice_counts_once_and_the_official_outcome_comes_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, line = _with_repeated_project(tmp_path)
    assert pb_cli.main([str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert sorted(payload["selected"]) == OFFICIAL
    assert payload["cost"] == "1040337"
    assert err == f"{path}: line {line}: vote of voter 'v1' names c1 more than once; counted once\n"


def test_console_script_runs_without_django(tmp_path: Path) -> None:
    path, _line = _with_repeated_project(tmp_path)
    script = Path(sys.executable).parent / "yishi-pb"
    done = subprocess.run([str(script), str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split()) == OFFICIAL
    assert "counted once" in done.stderr
    probe = (
        "import sys\nfrom deliberation import pabulib, pb_cli\n"
        f"assert pb_cli.main([{str(SWIECIE)!r}, '--rule', 'greedy']) == 0\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_malformed_file_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.pb"
    bad.write_text(
        "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\np1;ten\nVOTES\nvoter_id;vote\n"
    )
    assert pb_cli.main([str(bad), "--rule", "greedy"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{bad}: line 6: cost of project 'p1'" in err
    assert pb_cli.main([str(tmp_path / "missing.pb")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_manage_py_pb_outcome_reports_the_warning_and_the_official_outcome(tmp_path: Path) -> None:
    pytest.importorskip("django")
    from deliberation.management.commands.pb_outcome import Command

    path, line = _with_repeated_project(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    command = Command(stdout=out, stderr=err)
    options = vars(command.create_parser("manage.py", "pb_outcome").parse_args([str(path)]))
    command.handle(**options)
    assert sorted(out.getvalue().split()) == OFFICIAL
    assert f"line {line}: vote of voter 'v1' names c1 more than once" in err.getvalue()
