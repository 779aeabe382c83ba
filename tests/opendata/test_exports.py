"""Open data: public only and anonymous, streamed with flat memory, each snapshot file with the
SHA-256 its manifest states, the budget ballots as Pabulib files that parse back."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from deliberation import pabulib
from opendata import snapshot
from opendata.datasets import DATASETS
from projects.models import Fund, LedgerEntry
from projects.models.money import EntryKind
from tests.opendata.conftest import DRAFT_TITLE, SECRET_COMMENT, SECRET_NAME, SECRET_USER

pytestmark = pytest.mark.django_db


def fetch(client: Client, slug: str, fmt: str, **query: Any) -> tuple[Any, bytes]:
    response = client.get(f"/open-data/live/{slug}.{fmt}", query)
    assert response.status_code == 200, response.status_code
    assert response.streaming
    return response, b"".join(response.streaming_content)


def test_exports_carry_no_private_draft_no_name_no_secret_ballot(world: dict[str, Any]) -> None:
    client = Client()
    for slug in DATASETS:
        for fmt in ("csv", "json"):
            _response, body = fetch(client, slug, fmt)
            text = body.decode()
            for secret in (DRAFT_TITLE, SECRET_NAME, SECRET_USER, SECRET_COMMENT, "evalvoter"):
                assert secret not in text, (slug, fmt, secret)
            if fmt == "json":
                json.loads(text)  # one valid JSON array


def test_projects_export_lists_public_projects_and_not_the_draft(world: dict[str, Any]) -> None:
    _r, body = fetch(Client(), "projects", "csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    ids = {int(r["project_id"]) for r in rows}
    assert world["closed"].pk in ids and world["evaluated"].pk in ids
    assert world["draft"].pk not in ids
    closed = next(r for r in rows if int(r["project_id"]) == world["closed"].pk)
    assert closed["state"] == "closed" and closed["approved_amount"] == "5000.00"


def test_ledger_export_hides_resident_cofunder_and_shows_roles(world: dict[str, Any]) -> None:
    _r, body = fetch(Client(), "ledger", "csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert len(rows) == LedgerEntry.objects.count()
    receipt = next(r for r in rows if r["kind"] == EntryKind.COFUND_RECEIPT)
    assert receipt["contributor_kind"] == "resident" and receipt["contributor"] == ""
    assert {r["actor_role"] for r in rows} <= {
        "resident",
        "council",
        "committee",
        "clerk",
        "supervisor",
        "system",
    }
    total = sum(Decimal(r["amount"]) for r in rows)
    assert total == sum(e.amount for e in LedgerEntry.objects.all())


def test_evaluation_export_gives_counts_per_closed_round_only(world: dict[str, Any]) -> None:
    _r, body = fetch(Client(), "evaluations", "json")
    rows = json.loads(body)
    assert len(rows) == 1  # the one closed round
    row = rows[0]
    assert row["project_id"] == world["evaluated"].pk
    assert (row["satisfied"], row["basically_satisfied"], row["dissatisfied"]) == (2, 2, 2)
    assert row["ballots"] == 6 and row["passed"] is False
    assert set(row) >= {"eligible", "pass_rate", "min_turnout"}


def test_filters_by_community_and_year(world: dict[str, Any], other_community: Any) -> None:
    client = Client()
    _r, body = fetch(client, "projects", "csv", community=other_community.slug)
    assert body.decode().count("\n") == 1  # the header alone
    year = world["closed"].created_at.year
    _r, body = fetch(client, "projects", "csv", community=world["closed"].community.slug, year=year)
    assert str(world["closed"].pk) in body.decode()
    assert client.get("/open-data/live/projects.csv", {"year": "20x5"}).status_code == 400
    assert client.get("/open-data/live/projects.csv", {"community": "nowhere"}).status_code == 404
    assert client.get("/open-data/live/nothing.csv").status_code == 404


def test_snapshot_manifest_hashes_match_files_and_pabulib_parses_back(
    world: dict[str, Any], settings: Any
) -> None:
    call_command("build_open_data", stdout=io.StringIO())
    snap = snapshot.latest()
    assert snap is not None
    names = {f["name"] for f in snap.manifest["files"]}
    assert {f"{d}.{fmt}" for d in DATASETS for fmt in ("csv", "json")} <= names
    for f in snap.manifest["files"]:
        data = (snap.folder / f["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
        assert len(data) == f["bytes"]
    pb = [f for f in snap.manifest["files"] if f["format"] == "pb"]
    assert len(pb) == 1
    text = (snap.folder / pb[0]["name"]).read_text()
    election = pabulib.loads(text)
    assert len(election.votes) == 4 == pb[0]["rows"]
    assert [v.voter_id for v in election.votes] == ["1", "2", "3", "4"]
    assert SECRET_USER not in text and SECRET_NAME not in text
    # served with its hash; --daily leaves today's alone
    client = Client()
    response = client.get(f"/open-data/{snap.day}/ledger.csv")
    assert response.status_code == 200
    assert response["X-Content-SHA256"] == snap.file("ledger.csv")["sha256"]
    served = b"".join(response.streaming_content)
    assert hashlib.sha256(served).hexdigest() == snap.file("ledger.csv")["sha256"]
    assert client.get(f"/open-data/{snap.day}/../secrets.csv").status_code == 404
    assert client.get(f"/open-data/{snap.day}/db.sqlite3").status_code == 404
    before = (snap.folder / snapshot.MANIFEST).stat().st_mtime_ns
    call_command("build_open_data", "--daily", stdout=io.StringIO())
    assert (snap.folder / snapshot.MANIFEST).stat().st_mtime_ns == before


def _stream_peak(query: dict[str, str]) -> tuple[int, int, int]:
    response = Client().get("/open-data/live/ledger.csv", query)
    assert response.streaming
    tracemalloc.start()
    size = rows = 0
    for part in response.streaming_content:
        size += len(part)
        rows += part.count(b"\n")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, size, peak


def test_export_streams_20k_rows_in_flat_memory(
    fund: Any, cast: dict[str, Any], other_community: Any
) -> None:
    small = Fund.objects.create(community=other_community, year=fund.year)
    for target, n in ((fund, 20_000), (small, 2_000)):
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(fund=target, kind=EntryKind.APPROPRIATION, amount=Decimal("1.00"))
                for _ in range(n)
            ],
            batch_size=2000,
        )
    rows, size, peak = _stream_peak({"community": fund.community.slug})
    assert rows == 20_002  # header + the fixture's appropriation + 20k
    assert size > 3_000_000  # ~4 MB: building it in memory would peak above it
    small_rows, _small_size, small_peak = _stream_peak({"community": other_community.slug})
    assert small_rows == 2_001
    # ten times the rows, not more memory: the peak is one fetched chunk and one written block
    # (PostgreSQL's driver holds a fetched chunk a little larger than SQLite's)
    assert peak < size * 0.6, (peak, size)
    assert peak < small_peak * 1.5, (peak, small_peak)


def test_open_data_page_lists_datasets_licence_and_hashes(
    world: dict[str, Any], tmp_path: Path
) -> None:
    client = Client()
    page = client.get("/open-data/").content.decode()
    assert "CC BY 4.0" in page and "creativecommons.org/licenses/by/4.0" in page
    call_command("build_open_data", stdout=io.StringIO())
    snap = snapshot.latest()
    assert snap is not None
    page = client.get("/open-data/").content.decode()
    for f in snap.manifest["files"]:
        assert f["sha256"] in page
    for dataset in DATASETS.values():
        for column in dataset.columns:
            assert f"<code>{column.name}</code>" in page
    assert snap.day in page
