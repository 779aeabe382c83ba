"""On PostgreSQL the ledger and audit CSVs are written by the database (``COPY … TO STDOUT``):
byte for byte what the Python writer gives for the same rows (numbers, times, booleans, empty
cells, quoting, roles, hidden names and reasons), so the snapshot's SHA-256 still matches."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from opendata import snapshot
from opendata.datasets import AUDIT, LEDGER, Filters
from opendata.streaming import copy_chunks, csv_chunks, uses_copy
from projects.models import LedgerEntry, ProjectEvent
from projects.models.money import ContributorKind, EntryKind

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]


@pytest.fixture
def awkward(world: dict[str, Any], fund: Any, cast: dict[str, Any]) -> None:
    """Rows whose cells are easy to write differently: commas, quotes, new lines, empty and
    absent values, in-kind co-funding, a reversal, a supervisor acting, a resident's reason, an
    entry of a project that is not public."""
    project = world["closed"]
    pledge = LedgerEntry.objects.create(
        fund=fund,
        project=project,
        kind=EntryKind.COFUND_RECEIPT,
        amount=Decimal("1234.50"),
        contributor='黔南"电力", 公司\n二部',
        contributor_kind=ContributorKind.COMPANY,
        in_kind=True,
        actor=cast["supervisor"],
    )
    LedgerEntry.objects.create(
        fund=fund, kind=EntryKind.REVERSAL, reverses=pledge, amount=pledge.amount, actor=None
    )
    LedgerEntry.objects.create(
        fund=fund,
        project=world["draft"],
        kind=EntryKind.EXPENDITURE,
        amount=Decimal("1000000.10"),
        payee="甲, 乙",
        paid_on=date(2025, 3, 9),
        receipt="r.pdf",
        actor=cast["clerk"],
    )
    ProjectEvent.objects.create(
        project=project,
        actor=cast["resident"],
        action="comment",
        source="closed",
        target="closed",
        reason="居民的理由, 不公开",
    )
    ProjectEvent.objects.create(
        project=project,
        actor=cast["clerk"],
        action="comment",
        source="closed",
        target="closed",
        reason='工作人员写的 "理由"\n第二行',
        amount=Decimal("99.90"),
    )


@pytest.mark.parametrize("dataset", [LEDGER, AUDIT], ids=lambda d: d.slug)
def test_copy_writes_the_same_bytes_as_python(
    dataset: Any, world: dict[str, Any], awkward: None
) -> None:
    year = world["closed"].created_at.year
    community = world["closed"].community.slug
    for filters in (Filters(), Filters(community=community), Filters(year=year)):
        python = b"".join(csv_chunks(dataset.names, dataset.rows(filters)))
        database = b"".join(copy_chunks(dataset, filters))
        assert database == python, filters
        assert python.count(b"\n") > 3
    assert uses_copy(dataset, "csv") and not uses_copy(dataset, "json")


def test_live_copy_export_matches_the_snapshot_hash(world: dict[str, Any], awkward: None) -> None:
    call_command("build_open_data", stdout=io.StringIO())
    snap = snapshot.latest()
    assert snap is not None
    for slug in ("ledger", "audit"):
        response = Client().get(f"/open-data/live/{slug}.csv")
        assert response.status_code == 200 and response.streaming
        live = b"".join(response.streaming_content)
        assert hashlib.sha256(live).hexdigest() == snap.file(f"{slug}.csv")["sha256"], slug
