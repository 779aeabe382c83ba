"""Page views: turn domain errors into a message on the page with the right status code."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from projects.errors import YishiError


def handle_domain_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """On a domain error: re-show the page the form came from with the message, status kept.

    Views that want to re-render their own form catch ``YishiError`` themselves."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except YishiError as exc:
            if request.headers.get("HX-Request"):
                return render(request, "partials/error.html", {"error": exc}, status=exc.status)
            back = request.META.get("HTTP_REFERER") or "/"
            if request.method == "POST":
                # The page says why, once (not also as a flash message), with the status kept.
                return render(
                    request, "error.html", {"error": exc, "back": back}, status=exc.status
                )
            messages.error(request, exc.message)
            return redirect(back)

    return wrapper


def attach_to_form(form: forms.BaseForm, exc: YishiError) -> None:
    """Put a domain error's messages on the form's fields, and its sentence on the form."""
    for name, field_messages in (getattr(exc, "errors", None) or {}).items():
        if name in form.fields:
            for message in field_messages:
                form.add_error(name, message)
    form.add_error(None, exc.message)
