"""Domain errors. Views and the API turn them into 403 / 409 / 400 with the translated message."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied


class YishiError(Exception):
    """Base class: ``message`` is a translated, human-readable sentence."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)


class Forbidden(YishiError, DjangoPermissionDenied):
    """The user does not hold a role that may do this (HTTP 403)."""

    status = 403


class Conflict(YishiError):
    """Not possible in the current state (HTTP 409); ``allowed`` lists what is possible now."""

    status = 409

    def __init__(self, message: str, *, state: str = "", allowed: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.state = state
        self.allowed = list(allowed)


class Invalid(YishiError):
    """Bad input (HTTP 400); ``errors`` maps field names to messages where known."""

    status = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class NotFound(YishiError):
    """No such object, or not one this user may see (HTTP 404)."""

    status = 404
