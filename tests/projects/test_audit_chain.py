"""Issue 15 #6: audit rows, ledger entries and the change history are append-only at the database
(UPDATE and DELETE refused on SQLite and PostgreSQL, TRUNCATE on PostgreSQL); the audit trail
(per project) and the ledger (per fund) carry hash chains that ``verify_audit`` checks and the
public project page shows; a row changed behind the triggers' back is caught and named."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from projects import audit, ledger
from projects.models import Fund, LedgerEntry, Project, ProjectEvent, State

pytestmark = pytest.mark.django_db


def raw(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def triggers_dropped() -> Iterator[None]:
    """What someone with the database's owner account could do: take the triggers away."""
    for table in audit.APPEND_ONLY_TABLES:
        for sql in audit.drop_trigger_sql(connection.vendor, table):
            raw(sql)
    try:
        yield
    finally:
        audit.install_triggers(connection)


def verify(*args: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except CommandError as e:
        return e.returncode, err.getvalue() + str(e)
    return 0, out.getvalue()


def refused(sql: str, params: list[Any] | None = None) -> bool:
    try:
        with transaction.atomic():
            raw(sql, params)
    except DatabaseError:
        return True
    return False


@pytest.fixture
def closed(project_in: Callable[..., Project]) -> Project:
    return project_in(State.CLOSED)


# --- the chains as written -----------------------------------------------------------------
def test_each_event_is_chained_to_the_previous_event_of_its_project(closed: Project) -> None:
    events = list(ProjectEvent.objects.filter(project=closed).order_by("pk"))
    assert len(events) > 5
    assert events[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in events}) == len(events)
    assert verify("--project", str(closed.pk))[0] == 0
    assert audit.verify_events(closed.pk) == []


def test_each_entry_is_chained_to_the_previous_entry_of_its_fund(
    closed: Project, fund: Fund
) -> None:
    entries = list(LedgerEntry.objects.filter(fund=fund).order_by("pk"))
    assert len(entries) > 3
    assert entries[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    code, out = verify()
    assert code == 0
    assert f"{ProjectEvent.objects.count()} audit rows" in out
    assert f"{LedgerEntry.objects.count()} ledger entries" in out


def test_bulk_created_entries_are_chained_too(fund: Fund, cast: dict[str, Any]) -> None:
    rows = [
        LedgerEntry(fund=fund, kind="appropriation", amount=Decimal(n), actor=cast["supervisor"])
        for n in (10, 20, 30)
    ]
    LedgerEntry.objects.bulk_create(rows)
    assert audit.verify_ledger(fund.pk) == []
    assert LedgerEntry.objects.filter(fund=fund, hash="").count() == 0


# --- the database refuses to rewrite --------------------------------------------------------
@pytest.mark.parametrize(
    "table",
    [
        "projects_projectevent",
        "projects_ledgerentry",
        "projects_historicalproject",
        "projects_historicalcommunity",
        "projects_historicalmembership",
        "projects_historicalfund",
    ],
)
def test_the_database_refuses_update_and_delete(closed: Project, table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a fixed table name
        (count,) = cursor.fetchone()
    assert count > 0
    id_column = "history_id" if "historical" in table else "id"
    assert refused(f"UPDATE {table} SET {id_column} = {id_column}")  # noqa: S608
    assert refused(f"DELETE FROM {table}")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        assert cursor.fetchone() == (count,)


def test_an_audit_row_cannot_be_rewritten_by_its_reason(closed: Project) -> None:
    event = ProjectEvent.objects.filter(project=closed).last()
    assert event is not None
    assert refused("UPDATE projects_projectevent SET reason = %s WHERE id = %s", ["x", event.pk])
    assert refused("DELETE FROM projects_projectevent WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.reason != "x"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
@pytest.mark.parametrize("table", audit.APPEND_ONLY_TABLES)
def test_postgresql_refuses_truncate(closed: Project, table: str) -> None:
    assert refused(f"TRUNCATE {table} CASCADE")


# --- tampering behind the triggers' back is caught ------------------------------------------
def test_an_edited_audit_row_is_named_by_verify_audit_and_on_the_page(closed: Project) -> None:
    assert "记录完整，已校验" in Client().get(f"/projects/{closed.pk}/").content.decode()
    victim = ProjectEvent.objects.filter(project=closed).order_by("pk")[2]
    with triggers_dropped():
        raw("UPDATE projects_projectevent SET reason = %s WHERE id = %s", ["改写", victim.pk])
    code, out = verify()
    assert code == 1
    assert f"ProjectEvent #{victim.pk} " in out
    assert "1 chain(s) broken" in out
    page = Client().get(f"/projects/{closed.pk}/").content.decode()
    assert "记录校验未通过" in page
    assert "记录完整，已校验" not in page
    assert f"#{victim.pk}" in page


def test_a_deleted_audit_row_is_caught_at_the_next_row(closed: Project) -> None:
    rows = list(ProjectEvent.objects.filter(project=closed).order_by("pk"))
    with triggers_dropped():
        raw("DELETE FROM projects_projectevent WHERE id = %s", [rows[1].pk])
    code, out = verify("--project", str(closed.pk))
    assert code == 1
    assert f"ProjectEvent #{rows[2].pk} " in out


def test_an_edited_ledger_amount_is_named_by_verify_audit_and_on_the_page(
    closed: Project, fund: Fund
) -> None:
    entry = LedgerEntry.objects.filter(project=closed).order_by("pk").first()
    assert entry is not None
    with triggers_dropped():
        raw("UPDATE projects_ledgerentry SET amount = %s WHERE id = %s", ["1.00", entry.pk])
    code, out = verify()
    assert code == 1
    assert f"LedgerEntry #{entry.pk} " in out
    assert f"fund {fund.pk}" in out
    assert verify("--project", str(closed.pk))[0] == 0  # the audit trail itself is intact
    page = Client().get(f"/projects/{closed.pk}/").content.decode()
    assert "记录校验未通过" in page


def test_a_row_rewritten_with_a_fresh_hash_still_breaks_the_chain(
    closed: Project, fund: Fund, cast: dict[str, Any]
) -> None:
    """Recomputing the edited row's own hash is not enough: the next row names the old one."""
    ledger.appropriate(fund=fund, amount=Decimal("5.00"), by=cast["supervisor"])
    entries = list(LedgerEntry.objects.filter(fund=fund).order_by("pk"))
    victim, after = entries[-3], entries[-2]
    victim.amount = Decimal("999999.00")
    forged = audit.row_hash(victim, victim.prev_hash)
    with triggers_dropped():
        raw(
            "UPDATE projects_ledgerentry SET amount = %s, hash = %s WHERE id = %s",
            ["999999.00", forged, victim.pk],
        )
    breaks = audit.verify_ledger(fund.pk)
    assert [(b.pk, b.position) for b in breaks] == [(after.pk, len(entries) - 1)]


def test_an_expenditure_with_a_receipt_verifies(
    project_in: Callable[..., Project], cast: dict[str, Any]
) -> None:
    """The receipt is stored under the name the storage gives it; the hash covers that name."""
    from django.utils import timezone

    from tests.projects.money_helpers import png_upload

    project = project_in(State.EXECUTING)
    entry = ledger.expenditure_record(
        project=project,
        by=cast["clerk"],
        amount="100.00",
        payee="明亮照明工程队",
        paid_on=timezone.localdate().isoformat(),
        receipt=png_upload(),
    )
    entry.refresh_from_db()
    assert entry.receipt.name and audit.row_hash(entry, entry.prev_hash) == entry.hash
    assert verify()[0] == 0
