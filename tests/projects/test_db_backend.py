"""The PostgreSQL backend's health check (config/postgresql): a persistent connection the server
has dropped is replaced before a request uses it; a healthy idle one costs no round trip."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.backends.postgresql import base as django_pg

from projects import db

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


def new_request() -> None:
    """What Django does when a request starts and ends: the next query runs the health check."""
    connection.close_if_unusable_or_obsolete()


def backend_pid() -> int:
    row = db.fetchone("SELECT pg_backend_pid()", [])
    assert row is not None
    return int(row[0])


def test_a_connection_the_server_dropped_is_replaced_before_the_next_request(
    settings: Any,
) -> None:
    assert connection.health_check_enabled
    first = backend_pid()
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    time.sleep(0.2)  # the server's goodbye reaches the socket
    new_request()
    with connection.cursor() as cursor:  # no error: the dead connection was replaced first
        cursor.execute("SELECT pg_backend_pid()")
        (second,) = cursor.fetchone()
    assert second != first


def test_a_healthy_idle_connection_is_not_pinged(monkeypatch: pytest.MonkeyPatch) -> None:
    backend_pid()
    pings: list[bool] = []
    real = django_pg.DatabaseWrapper.is_usable

    def counted(self: Any) -> bool:
        pings.append(True)
        return bool(real(self))

    monkeypatch.setattr(django_pg.DatabaseWrapper, "is_usable", counted)
    for _ in range(3):
        new_request()
        backend_pid()
    assert pings == []


def test_hot_path_statements_are_prepared_on_the_server() -> None:
    sql = "SELECT %s::int + 1"
    for n in range(3):
        assert db.fetchone(sql, [n]) == (n + 1,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        (prepared,) = cursor.fetchone()
    assert prepared >= 1


def prepared_here() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'yishi_%%'")
        return {name for (name,) in cursor.fetchall()}


def test_a_statement_outside_a_transaction_is_prepared_once_per_connection() -> None:
    assert connection.get_autocommit()  # the path a request outside atomic() takes
    sql = "SELECT %(a)s::int * %(b)s::bigint, %(a)s::int, %(label)s::text"
    assert db.fetchone(sql, {"a": 6, "b": 7, "label": "六"}) == (42, 6, "六")
    assert db.fetchone(sql, {"a": -2, "b": 2_000_000_000, "label": ""}) == (-4_000_000_000, -2, "")
    assert db.fetchone("SELECT %s::int + 1, %s::numeric(4,1)", [1, "2.5"]) == (2, Decimal("2.5"))
    assert db.fetchone("SELECT 1 WHERE false", []) is None
    assert len(prepared_here()) == 3  # three statements, each prepared once however often run


def test_a_statement_dropped_by_the_server_is_prepared_again() -> None:
    sql = "SELECT %s::int + 1"
    assert db.fetchone(sql, [1]) == (2,)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler's reset does
    assert db.fetchone(sql, [2]) == (3,)


def test_an_error_is_djangos_and_leaves_the_connection_usable() -> None:
    from django.db import DataError, IntegrityError

    with pytest.raises(DataError):
        db.fetchone("SELECT 1 / %s::int", [0])
    with pytest.raises(IntegrityError):  # username NULL
        db.fetchone(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " VALUES ('', false, %s, '', '', '', false, true, now()) RETURNING id",
            [None],
        )
    assert db.fetchone("SELECT %s::int", [5]) == (5,)


def test_inside_a_transaction_the_statement_joins_it() -> None:
    from django.contrib.auth.models import User
    from django.db import transaction

    class Undo(Exception):
        pass

    sql = (
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,"
        " is_staff, is_active, date_joined)"
        " VALUES ('', false, %s, '', '', '', false, true, now()) RETURNING id"
    )
    with pytest.raises(Undo), transaction.atomic():
        row = db.fetchone(sql, ["rolled-back"])
        assert row is not None and User.objects.filter(pk=row[0]).exists()
        raise Undo
    assert not User.objects.filter(username="rolled-back").exists()
    row = db.fetchone(sql, ["kept"])  # in autocommit: its own transaction
    assert row is not None and User.objects.filter(pk=row[0], username="kept").exists()
