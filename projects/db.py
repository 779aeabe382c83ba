"""One helper for the few statements the application sends on every request of a hot path.

Django's PostgreSQL backend binds parameters on the client (``psycopg.ClientCursor``): each
statement reaches the server as new SQL text, to be parsed and planned again. For a statement
sent thousands of times a minute that is most of the database's work (measured here: the
evaluation ballot statement costs PostgreSQL 1.1–1.3 ms of CPU sent that way, 0.4–0.5 ms bound on
the server and prepared). :func:`fetchone` runs such a statement on the same connection as the
ORM, prepared once per connection, with Django's health check, broken-transaction check and
error translation around it:

- in autocommit (a request outside ``transaction.atomic``), through libpq's
  ``PQexecPrepared`` with psycopg's own adapters for the parameters and the row, but without its
  cursor: the cursor's bookkeeping costs about twice the CPU of the call itself (measured here:
  82 against 47 µs per statement), and on a vote's hot path that is a tenth of a request;
- inside a transaction, through a psycopg cursor (``prepare=True``), which also opens the
  transaction the ORM expects.

Parameters travel as text, so the server infers their types from the statement: write a cast
(``%(n)s::int``) where the context does not say. Other databases get Django's own cursor.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# %(name)s, %s or %% (a literal %), as in Django's and psycopg's SQL strings.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")


@lru_cache(maxsize=64)
def _server_form(sql: str) -> tuple[bytes, bytes, tuple[str, ...] | int]:
    """``sql`` with ``$n`` placeholders, its prepared statement's name, and the parameter names
    in ``$n`` order (named) or their number (positional)."""
    names: list[str] = []
    positional = 0

    def number(match: re.Match[str]) -> str:
        nonlocal positional
        text = match.group(0)
        if text == "%%":
            return "%"
        if text == "%s":
            positional += 1
            return f"${positional}"
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    query = _PLACEHOLDER.sub(number, sql)
    if names and positional:
        raise ValueError("mixed %s and %(name)s placeholders")
    name = "yishi_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]
    return query.encode(), name.encode(), tuple(names) if names else positional


_NO_SUCH_STATEMENT = b"26000"  # invalid_sql_statement_name

# Per psycopg connection, the statements prepared on it (a new connection starts empty).
_prepared: weakref.WeakKeyDictionary[Any, set[bytes]] = weakref.WeakKeyDictionary()


def fetchone(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (or ``None``); ``%s`` / ``%(name)s`` placeholders."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # once: each ``connection.x`` looks it up again
    if wrapper.vendor != "postgresql":
        with wrapper.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    import psycopg

    wrapper.close_if_health_check_failed()
    wrapper.ensure_connection()
    wrapper.validate_no_broken_transaction()
    conn = wrapper.connection
    with wrapper.wrap_database_errors:
        if conn.autocommit:
            return _exec_prepared(conn, sql, params)
        with psycopg.Cursor(conn) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchone()


def _exec_prepared(
    conn: Any, sql: str, params: Sequence[Any] | Mapping[str, Any]
) -> tuple[Any, ...] | None:
    from psycopg import errors, pq
    from psycopg.adapt import PyFormat, Transformer

    query, name, order = _server_form(sql)
    if isinstance(order, tuple):
        assert isinstance(params, Mapping), "named placeholders take a mapping"
        values = [params[key] for key in order]
    else:
        assert not isinstance(params, Mapping), "%s placeholders take a sequence"
        values = list(params)
        if len(values) != order:
            raise TypeError(f"the statement takes {order} parameters, {len(values)} given")
    adapt = Transformer(conn)
    dumped = adapt.dump_sequence(values, [PyFormat.TEXT] * len(values))
    pgconn = conn.pgconn
    encoding = conn.info.encoding
    prepared = _prepared.setdefault(conn, set())

    def prepare() -> None:
        result = pgconn.prepare(name, query)
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise errors.error_from_result(result, encoding=encoding)
        prepared.add(name)

    if name not in prepared:
        prepare()
    result = pgconn.exec_prepared(name, dumped)
    if result.error_field(pq.DiagnosticField.SQLSTATE) == _NO_SUCH_STATEMENT:
        prepare()  # deallocated behind our back (DISCARD ALL, a pooler's reset): once more
        result = pgconn.exec_prepared(name, dumped)
    if result.status == pq.ExecStatus.TUPLES_OK:
        if not result.ntuples:
            return None
        adapt.set_pgresult(result)
        return adapt.load_row(0, tuple)
    if result.status == pq.ExecStatus.COMMAND_OK:
        return None
    raise errors.error_from_result(result, encoding=encoding)
