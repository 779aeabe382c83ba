"""API error responses: our domain errors and Django's map to clear, translated JSON.

403 wrong role, 409 wrong state (with the transitions allowed now), 400 bad input. Nothing
reaches the client as a 500 for bad input.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from projects.errors import Conflict, Invalid, YishiError


def error_body(exc: YishiError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": exc.message}
    if isinstance(exc, Conflict):
        body["state"] = exc.state
        body["allowed"] = exc.allowed
    if isinstance(exc, Invalid) and exc.errors:
        body["errors"] = exc.errors
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, YishiError):
        return Response(error_body(exc), status=exc.status)
    if isinstance(exc, ValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(
            {"detail": exc.messages[0], "errors": errors}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, PermissionDenied) and not isinstance(exc, YishiError):
        return drf_exception_handler(exc, context)
    if isinstance(exc, Http404):
        return drf_exception_handler(exc, context)
    return drf_exception_handler(exc, context)
