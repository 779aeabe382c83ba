"""``manage.py migrate`` takes each migration's tables first, without waiting while it holds any
(ops/migration_locks.py): what it locks, and that it waits out a request instead of deadlocking."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from ops.migration_locks import LockFirstExecutor, tables_of


def _tables(app: str, name: str) -> tuple[list[str], list[str]]:
    loader = MigrationLoader(connection)
    return tables_of(
        loader.disk_migrations[(app, name)], loader.project_state((app, name), at_end=False)
    )


@pytest.mark.django_db
def test_the_tables_come_from_the_operations_and_the_state_before() -> None:
    # Two AddFields and two AlterFields on the two ballot pools
    assert _tables("deliberation", "0009_ballot_pool_locked_box") == (
        ["deliberation_evaluationpooledballot", "deliberation_pooledballot"],
        [],
    )
    # A new field with a foreign key to the user: the user table in the weaker mode
    altered, referenced = _tables("deliberation", "0006_evaluation_roll_and_sealing")
    assert "deliberation_evaluationparticipation" in altered
    assert referenced == ["auth_user"]
    # A new table only: nothing existing is altered; what its foreign keys point at is referenced
    assert _tables("meetings", "0003_hearing_speakers") == ([], ["auth_user", "meetings_meeting"])


@pytest.mark.django_db(transaction=True)
def test_a_request_holding_one_table_and_reading_another_is_not_aborted() -> None:
    """0009 alters both ballot pools. A request holds the budget pool, and reads the evaluation
    pool a moment later. A plain migrate takes the evaluation pool, then waits for the budget
    pool: a cycle, and PostgreSQL aborts one side (seen with ``MigrationExecutor`` here). The
    lock-first migrate waits until it can take both."""
    if connection.vendor != "postgresql":
        pytest.skip("table locks are PostgreSQL's; SQLite locks the whole file")
    import psycopg

    settings = connection.settings_dict
    request = psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )  # fmt: skip
    executor = LockFirstExecutor(connection)
    executor.migrate([("deliberation", "0008_decision_in_meeting_and_show_of_hands")])
    executor.loader.build_graph()
    request.execute("SELECT count(*) FROM deliberation_pooledballot").fetchone()
    outcome: list[str] = []

    def rest_of_the_request() -> None:
        time.sleep(0.3)
        try:
            request.execute("SELECT count(*) FROM deliberation_evaluationpooledballot").fetchone()
            request.commit()
            outcome.append("answered")
        except psycopg.Error as e:
            outcome.append(f"aborted: {e.sqlstate}")
            request.rollback()

    thread = threading.Thread(target=rest_of_the_request)
    thread.start()
    try:
        executor.migrate([("deliberation", "0009_ballot_pool_locked_box")])
    finally:
        thread.join(timeout=30)
        request.close()
    assert outcome == ["answered"]
    columns = [c.name for c in connection.introspection.get_table_description(
        connection.cursor(), "deliberation_evaluationpooledballot")]  # fmt: skip
    assert "box" in columns
