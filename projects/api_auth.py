"""API authentication: DRF's token scheme with the lookup as one fixed SQL statement.

DRF's ``TokenAuthentication`` builds ``Token.objects.select_related("user").get(key=...)`` for every
request; compiling that query costs more CPU than the database spends answering it. The same
rules here (unknown key → 401 "Invalid token.", inactive user → 401), the same ``Authorization:
Token <key>`` header and the same ``authtoken`` table, with the SQL written once per process.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth.models import User
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


@cache
def _statement() -> str:
    def qn(name: str | None) -> str:
        assert name is not None
        return connection.ops.quote_name(name)

    user, token = User._meta, Token._meta
    columns = ", ".join(f"u.{qn(f.column)}" for f in user.concrete_fields)
    return (
        f"SELECT {columns} FROM {qn(user.db_table)} u"  # noqa: S608 (names from the models)
        f" JOIN {qn(token.db_table)} t ON t.{qn(token.get_field('user').column)}"
        f" = u.{qn(user.pk.column)}"
        f" WHERE t.{qn(token.get_field('key').column)} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        user = next(iter(User.objects.raw(_statement(), [key])), None)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)
