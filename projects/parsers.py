"""JSON bodies read with limits: no deep nesting, no NUL or lone surrogate, no infinite number.

Python's ``json`` recurses once per nesting level, so a body nested 100,000 deep raises
``RecursionError`` (a 500) in any parser that does not catch it; a ``\\u0000`` or a lone
``\\ud800`` decodes into a string PostgreSQL refuses to store (another 500); ``1e400`` would
decode to ``inf``. Numbers are read as ``Decimal``, as written, within a sane exponent.
:func:`loads` refuses all of these with ``ValueError`` (a clear 400 through
:class:`JSONParser`), and every JSON body the API reads goes through it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32  # a Yishi request body is at most a few levels deep
MAX_EXPONENT = 100  # far beyond any amount or count, far below what costs time to convert


class BadJSON(ValueError):
    """A body that is not JSON we accept; ``str()`` is the translated reason."""


def _number(text: str) -> Decimal:
    """A JSON number as written (``12.34`` stays exactly 12.34: an amount never passes through
    binary floating point); an absurd exponent is refused before anything converts it."""
    value = Decimal(text)
    if not value.is_finite() or abs(value.adjusted()) > MAX_EXPONENT:
        raise BadJSON(_("数字超出范围"))
    return value


def _no_constant(name: str) -> Any:
    raise BadJSON(_("数字超出范围"))  # NaN, Infinity, -Infinity


def bad_text(text: str) -> bool:
    """True when ``text`` holds a NUL or a lone surrogate (neither can be stored or shown)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Walk a decoded value without recursion: refuse nesting deeper than ``max_depth`` and text
    (keys too) that :func:`bad_text` refuses."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if bad_text(item):
                raise BadJSON(_("文字中含有不允许的字符"))
        elif isinstance(item, dict | list):
            if depth > max_depth:
                raise BadJSON(_("JSON 嵌套过深"))
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` with the limits above; raises :class:`BadJSON` (a ``ValueError``)."""
    try:
        value = json.loads(data, parse_float=_number, parse_constant=_no_constant)
    except RecursionError:
        raise BadJSON(_("JSON 嵌套过深")) from None
    except BadJSON:
        raise
    except (ValueError, TypeError) as exc:  # JSONDecodeError, UnicodeDecodeError, int too long
        raise BadJSON(_("JSON 格式有误：%(error)s") % {"error": exc}) from None
    check(value, max_depth=max_depth)
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser through :func:`loads`: a refused body is a 400 with the reason."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read() if stream is not None else b""
            return loads(raw.decode(encoding) if isinstance(raw, bytes) else raw)
        except (BadJSON, UnicodeDecodeError) as exc:
            raise ParseError(str(exc)) from None
