"""Remember the language of someone who chose one before logging in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from notifications.models import LanguagePreference
from notifications.services import language_preference_set


def remember_language_on_login(
    sender: Any, request: HttpRequest | None, user: Any, **_: Any
) -> None:
    """A user without a stored language who logs in while reading the site in a chosen language
    (the language cookie) keeps it for their emails and live notifications."""
    if request is None:
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen and not LanguagePreference.objects.filter(user_id=user.pk).exists():
        language_preference_set(user=user, language=chosen)
