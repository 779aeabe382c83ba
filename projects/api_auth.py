"""API authentication: DRF's token scheme with the lookup as one fixed SQL statement.

Also, for a hot path that authenticates its caller inside its own statement (the evaluation
vote, ``deliberation.evaluation_sql``): :func:`token_key` reads the header as DRF does and
:func:`active_user_sql` is the SQL for "the active user holding this token", the same rules as
:class:`TokenAuthentication`.

DRF's ``TokenAuthentication`` builds ``Token.objects.select_related("user").get(key=...)`` for every
request; compiling that query (and ``raw()``'s column mapping) costs more CPU than the database
spends answering it. The same rules here (unknown key → 401 "Invalid token.", inactive user → 401),
the same ``Authorization: Token <key>`` header and the same ``authtoken`` table, with the SQL and
the column converters worked out once per process and the row turned into a ``User`` the way the
ORM does it (``Model.from_db`` after the backend's and the fields' converters).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from rest_framework import HTTP_HEADER_ENCODING, authentication, exceptions
from rest_framework.authtoken.models import Token

from projects import db

Converter = Callable[[Any, Any, Any], Any]


def _qn(name: str | None) -> str:
    assert name is not None
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)


@cache
def _lookup() -> tuple[str, list[str], list[tuple[int, list[Converter], Any]]]:
    """The statement, the user's field names in column order, and per column the converters the
    ORM would apply (``(index, converters, expression)``; only columns that have any)."""
    connection = connections[DEFAULT_DB_ALIAS]
    user = User._meta
    fields = list(user.concrete_fields)
    columns = ", ".join(f"u.{_qn(f.column)}" for f in fields)
    sql = f"SELECT {columns} {_user_by_token('%s')}"
    converters = []
    for i, field in enumerate(fields):
        expression = field.get_col(user.db_table)
        found = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        if found:
            converters.append((i, found, expression))
    return sql, [f.attname for f in fields], converters


def _user_by_token(key: str) -> str:
    """``FROM`` the user (``u``) holding the API token ``key`` (a placeholder)."""
    user, token = User._meta, Token._meta
    return (
        f"FROM {_qn(user.db_table)} u"
        f" JOIN {_qn(token.db_table)} t ON t.{_qn(token.get_field('user').column)}"
        f" = u.{_qn(user.pk.column)}"
        f" WHERE t.{_qn(token.get_field('key').column)} = {key}"
    )


def active_user_sql(key: str) -> str:
    """``SELECT id``, as ``id``, of the active user whose API token is ``key`` (a placeholder
    such as ``%(token)s``); no row for an unknown key or an inactive user, as
    :class:`TokenAuthentication` refuses both."""
    user = User._meta
    return (
        f"SELECT u.{_qn(user.pk.column)} AS id {_user_by_token(key)}"
        f" AND u.{_qn(user.get_field('is_active').column)}"
    )


def token_key(request: HttpRequest) -> str | None:
    """The key of an ``Authorization: Token <key>`` header, read as DRF's
    ``TokenAuthentication`` reads it; ``None`` when there is none, or when DRF would refuse the
    header itself (it then says why)."""
    try:
        header = request.META.get("HTTP_AUTHORIZATION", "")  # request.headers, without building it
        parts = header.encode(HTTP_HEADER_ENCODING).split()
        if len(parts) != 2 or parts[0].lower() != TokenAuthentication.keyword.lower().encode():
            return None
        return parts[1].decode()
    except UnicodeError:
        return None


def user_for_token(key: str) -> User | None:
    sql, names, converters = _lookup()
    connection = connections[DEFAULT_DB_ALIAS]
    row = db.fetchone(sql, [key])
    if row is None:
        return None
    values = list(row)
    for i, functions, expression in converters:
        for convert in functions:
            values[i] = convert(values[i], expression, connection)
    return User.from_db(DEFAULT_DB_ALIAS, names, values)


# DRF's own messages, translated by DRF's catalogues: called through another name so that
# makemessages does not copy them into ours (where zh_Hant would shadow DRF's translation).
drf_text = gettext_lazy


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        user = user_for_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed(drf_text("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(drf_text("User inactive or deleted."))
        return user, Token(key=key, user=user)
