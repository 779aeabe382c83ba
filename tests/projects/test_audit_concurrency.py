"""Real parallel writers on one chain (PostgreSQL only): each new row is sealed under the
project's or the fund's row lock, so no two rows ever chain onto the same predecessor, whether
the writer is a service (which holds the lock already) or a bare ``create``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from projects import audit, ledger
from projects.models import EntryKind, Fund, LedgerEntry, Project, ProjectEvent
from tests.conftest import new_project
from tests.projects.test_ledger_concurrency import in_parallel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's parallel connections"
    ),
]
WORKERS = 20


def test_concurrent_ledger_writes_keep_one_chain_per_fund(cast: dict[str, Any], fund: Fund) -> None:
    def work(i: int) -> Any:
        if i % 2:
            return ledger.appropriate(fund=fund, amount=Decimal("10.00"), by=cast["supervisor"])
        return LedgerEntry.objects.create(
            fund=fund, kind=EntryKind.APPROPRIATION, amount=Decimal("1.00")
        )

    results = in_parallel(WORKERS, work)
    assert [kind for kind, _ in results] == ["ok"] * WORKERS
    entries = list(LedgerEntry.objects.filter(fund=fund).order_by("pk"))
    assert len(entries) == WORKERS + 1
    assert len({e.prev_hash for e in entries}) == len(entries)
    assert audit.verify_ledger(fund.pk) == []


def test_concurrent_audit_rows_keep_one_chain_per_project(
    cast: dict[str, Any], community: Any
) -> None:
    project: Project = new_project(community, cast["resident"])
    results = in_parallel(
        WORKERS,
        lambda i: ProjectEvent.objects.create(project=project, action="note", reason=f"第{i}条"),
    )
    assert [kind for kind, _ in results] == ["ok"] * WORKERS
    events = list(ProjectEvent.objects.filter(project=project).order_by("pk"))
    assert len(events) == WORKERS + 1
    assert len({e.prev_hash for e in events}) == len(events)
    assert audit.verify_events(project.pk) == []
