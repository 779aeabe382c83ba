"""The PostgreSQL backend's health check (config/postgresql): a persistent connection the server
has dropped is replaced before a request uses it; a healthy idle one costs no round trip."""

from __future__ import annotations

import time
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
