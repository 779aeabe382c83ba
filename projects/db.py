"""One helper for the few statements the application sends on every request of a hot path.

Django's PostgreSQL backend binds parameters on the client (``psycopg.ClientCursor``): each
statement reaches the server as new SQL text, to be parsed and planned again. For a statement
sent thousands of times a minute that is most of the database's work (measured here: the
evaluation ballot statement costs PostgreSQL 1.1–1.3 ms of CPU sent that way, 0.4–0.5 ms bound on
the server and prepared). :func:`fetchone` runs such a statement on the same connection and in the
same transaction as the ORM, bound on the server and prepared once per connection by psycopg,
with Django's health check, broken-transaction check and error translation around it. Other
databases get Django's own cursor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection


def fetchone(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (or ``None``); ``%s`` / ``%(name)s`` placeholders."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    import psycopg

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()
