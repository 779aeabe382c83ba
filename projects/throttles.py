"""API throttles (DRF) whose rates are read from the settings on every request.

DRF's own classes copy ``DEFAULT_THROTTLE_RATES`` once, at import; these read
``api_settings`` each time, so a deployment (or a test) that changes the rates is obeyed. The
counters live in the default cache: Redis when ``REDIS_URL`` is set (shared by every server
process), else memory (per process).
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings


class _SettingsRate:
    scope: str | None

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """Anonymous callers, per address (``anon``)."""


class UserThrottle(_SettingsRate, throttling.UserRateThrottle):
    """Signed-in callers, per user (``user``)."""


class LoginThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """The token endpoint, per address (``login``): password guessing is also locked out per
    username and per address by django-axes."""

    scope = "login"
