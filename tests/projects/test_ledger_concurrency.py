"""Real parallel connections against one fund (PostgreSQL only): the row lock on the fund (and on
the project, for spending) means concurrent approvals never over-commit the fund and concurrent
expenditures never overspend a release."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError, connection, connections
from django.utils import timezone

from projects import ledger
from projects import services as ps
from projects.errors import Conflict, Invalid
from projects.models import EntryKind, Fund, LedgerEntry, Project, State
from tests.conftest import new_project
from tests.projects.money_helpers import check_invariants, png_upload, walk_to

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's parallel connections"
    ),
]
WORKERS = 50


def in_parallel(n: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run ``work(i)`` in ``n`` threads, each with its own database connection, opened first and
    then released together. If the server cannot give ``n`` connections at once (PostgreSQL's
    ``max_connections`` is shared with whatever else runs), the test is skipped, saying so."""
    barrier = threading.Barrier(n)
    results: list[tuple[str, Any]] = [("missing", None)] * n

    def run(i: int) -> None:
        try:
            try:
                connection.ensure_connection()
            except OperationalError as exc:
                results[i] = ("no connection", exc)
            barrier.wait(timeout=60)
            if results[i][0] == "missing":
                results[i] = ("ok", work(i))
        except Exception as exc:  # every outcome is inspected below
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    refused = [r for kind, r in results if kind == "no connection"]
    if refused:
        pytest.skip(f"PostgreSQL refused {len(refused)} of {n} parallel connections: {refused[0]}")
    return results


def test_concurrent_approvals_never_over_commit_the_fund(
    cast: dict[str, Any], community: Any, fund: Fund
) -> None:
    projects = [
        walk_to(
            new_project(community, cast["resident"], title=f"公益项目第{i}号"),
            State.DECIDING,
            cast,
            amount="30000.00",
        )
        for i in range(WORKERS)
    ]
    results = in_parallel(
        WORKERS,
        lambda i: ps.project_approve(project=projects[i], by=cast["committee"], amount="30000.00"),
    )
    ok = [r for kind, r in results if kind == "ok"]
    refused = [r for kind, r in results if kind == "error"]
    assert all(isinstance(e, Invalid) for e in refused), refused
    # 1,000,000 holds 33 allocations of 30,000 and not one more
    assert (len(ok), len(refused)) == (33, 17)
    b = ledger.fund_balances(fund)
    assert (b.allocated, b.available) == (Decimal("990000.00"), Decimal("10000.00"))
    assert LedgerEntry.objects.filter(fund=fund, kind=EntryKind.ALLOCATION).count() == 33
    states = sorted(
        Project.objects.filter(pk__in=[p.pk for p in projects]).values_list("state", flat=True)
    )
    assert states.count(State.PUBLICIZING) == 33 and states.count(State.DECIDING) == 17
    assert not Project.objects.filter(state=State.DECIDING, approved_amount__isnull=False).exists()
    check_invariants(fund=fund)


def test_concurrent_expenditures_never_overspend_a_release(
    cast: dict[str, Any], community: Any, fund: Fund
) -> None:
    p = walk_to(new_project(community, cast["resident"]), State.EXECUTING, cast, amount="100000.00")
    assert ledger.project_balances(p).released == Decimal("70000.00")
    results = in_parallel(
        WORKERS,
        lambda i: ledger.expenditure_record(
            project=p,
            by=cast["clerk"],
            amount="2000.00",
            payee=f"施工队{i}",
            paid_on=timezone.localdate(),
            receipt=png_upload(),
        ),
    )
    ok = [r for kind, r in results if kind == "ok"]
    refused = [r for kind, r in results if kind == "error"]
    assert all(isinstance(e, Invalid) and "amount" in e.errors for e in refused), refused
    assert (len(ok), len(refused)) == (35, 15)
    b = ledger.project_balances(p)
    assert (b.released, b.spent) == (Decimal("70000.00"), Decimal("70000.00"))
    check_invariants(project=p)


def test_concurrent_fund_creation_makes_one_fund(cast: dict[str, Any], community: Any) -> None:
    results = in_parallel(
        10,
        lambda i: ledger.fund_create(
            community=community, year=2040, by=cast["supervisor"], amount="1000"
        ),
    )
    ok = [r for kind, r in results if kind == "ok"]
    refused = [r for kind, r in results if kind == "error"]
    assert len(ok) == 1 and all(isinstance(e, Conflict) for e in refused), refused
    fund = Fund.objects.get(community=community, year=2040)
    assert ledger.fund_balances(fund).appropriated == Decimal("1000.00")
