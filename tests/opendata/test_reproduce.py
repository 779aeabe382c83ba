"""``reproduce_figures``: the dashboard figures recomputed from the downloaded files alone equal
the published ones; a changed amount in the ledger file is reported, with exit code 1."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from opendata import snapshot
from projects.models.places import Place

pytestmark = pytest.mark.django_db


def reproduce(folder: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("reproduce_figures", str(folder), *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_figures_reproduce_from_the_files_and_a_changed_amount_is_caught(
    world: dict[str, Any], tmp_path: Path
) -> None:
    call_command("build_open_data", stdout=io.StringIO())
    snap = snapshot.latest()
    assert snap is not None
    download = tmp_path / "download"
    shutil.copytree(snap.folder, download)
    year = str(timezone.localdate().year)
    code, out = reproduce(download, "--year", year)
    assert code == 0, out
    assert "OK" in out
    community = world["closed"].community
    code, out = reproduce(download, "--year", year, "--place", str(community.place_id))
    assert code == 0, out

    # one expenditure's amount changed in the downloaded ledger file
    path = download / "ledger.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header = rows[0]
    kind, amount = header.index("kind"), header.index("amount")
    row = next(r for r in rows[1:] if r[kind] == "expenditure" or r[kind] == "allocation")
    row[amount] = f"{float(row[amount]) + 1:.2f}"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    code, out = reproduce(download, "--year", year)
    assert code == 1
    assert "money." in out and "difference" in out


def test_code_lists_come_from_the_snapshot_dictionary(
    world: dict[str, Any], tmp_path: Path
) -> None:
    """The states, stages and categories are read from ``dictionary.json``, the one published
    copy of the dashboards' own lists: a category missing there shows as a difference."""
    from dashboards import figures

    call_command("build_open_data", stdout=io.StringIO())
    snap = snapshot.latest()
    assert snap is not None
    words = json.loads((snap.folder / "dictionary.json").read_text(encoding="utf-8"))
    assert words["codes"]["public_states"] == figures.PUBLIC_STATES
    assert words["codes"]["stages"] == figures.STAGES
    assert "accepting" in words["codes"]["stages"]
    assert [c["name"] for c in words["datasets"]["ledger"]["columns"]][:2] == [
        "entry_id",
        "fund_id",
    ]
    assert "dictionary.json" in (snap.folder / "SHA256SUMS").read_text()
    download = tmp_path / "download"
    shutil.copytree(snap.folder, download)
    category = world["closed"].category
    words["codes"]["categories"].remove(category)
    (download / "dictionary.json").write_text(json.dumps(words), encoding="utf-8")
    code, out = reproduce(download, "--year", str(timezone.localdate().year))
    assert code == 1 and "projects_by_category" in out, out
    (download / "dictionary.json").unlink()
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"dictionary\.json"):
        call_command("reproduce_figures", str(download), stdout=io.StringIO())


def test_reproduce_needs_a_whole_snapshot(tmp_path: Path, community: Any) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"places\.csv"):
        call_command("reproduce_figures", str(tmp_path), stdout=io.StringIO())
    assert Place.objects.exists()
