"""Datasets written out as CSV or JSON, piece by piece: never the whole dataset in memory.

CSV: UTF-8, a header row of the column names, comma-separated, RFC 4180 quoting; empty cell for
no value; decimals as plain numbers with two places (``1234.50``); times in UTC as
``2026-01-05T08:00:00Z``; booleans ``true``/``false``.

JSON: one array of objects (``[{...},\\n{...}]``), streamed object by object, so any JSON reader
loads it whole and a streaming reader can take it row by row. Keys are the column names; decimals
are strings (exact, as in the ledger), integers numbers, times ISO strings, booleans true/false,
no value ``null``.

The generators yield ``bytes`` of about ``BLOCK`` each (many rows at once: fewer writes).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from opendata.datasets import Dataset, Filters, iso

BLOCK = 256 * 1024
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class _Buffer:
    """The pseudo-buffer ``csv.writer`` writes into: it keeps the lines until taken."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def write(self, value: str) -> None:
        self.parts.append(value)
        self.size += len(value)

    def take(self) -> bytes:
        data = "".join(self.parts).encode()
        self.parts.clear()
        self.size = 0
        return data


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (datetime, date)):
        return iso(value)
    return value  # str, int, Decimal: csv writes str(value)


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return iso(value)
    return value


def csv_chunks(names: list[str], rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        if buffer.size >= BLOCK:
            yield buffer.take()
    yield buffer.take()


def json_chunks(names: list[str], rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    parts: list[str] = ["["]
    size = 1
    first = True
    for row in rows:
        text = encode(dict(zip(names, [json_value(v) for v in row], strict=True)))
        parts.append(text if first else ",\n" + text)
        first = False
        size += len(text) + 2
        if size >= BLOCK:
            yield "".join(parts).encode()
            parts, size = [], 0
    parts.append("]\n")
    yield "".join(parts).encode()


def copy_chunks(dataset: Dataset, filters: Filters) -> Iterator[bytes]:
    """The dataset's CSV written by PostgreSQL (``COPY (SELECT …) TO STDOUT WITH (FORMAT csv,
    HEADER)``, the query of ``dataset.sql``), read from psycopg's copy in pieces of ``BLOCK``:
    the same bytes as ``csv_chunks``, without a Python step per row."""
    assert dataset.sql is not None
    query, params = dataset.sql(filters)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        statement = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"
        parts: list[bytes] = []
        size = 0
        with raw.copy(statement, params or None) as copy:
            for data in copy:
                parts.append(bytes(data))
                size += len(data)
                if size >= BLOCK:
                    yield b"".join(parts)
                    parts, size = [], 0
        yield b"".join(parts)


def uses_copy(dataset: Dataset, fmt: str) -> bool:
    return fmt == "csv" and dataset.sql is not None and connection.vendor == "postgresql"


def chunks(dataset: Dataset, fmt: str, filters: Filters) -> Iterator[bytes]:
    if uses_copy(dataset, fmt):
        return copy_chunks(dataset, filters)
    writer = csv_chunks if fmt == "csv" else json_chunks
    return writer(dataset.names, dataset.rows(filters))
