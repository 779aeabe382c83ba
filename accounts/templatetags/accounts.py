"""``{{ number|mask_phone }}``, ``{{ owner|phone_for:request.user }}``, ``{{ user|person }}``."""

from __future__ import annotations

from typing import Any

from django import template

from accounts import privacy

register = template.Library()


@register.filter
def mask_phone(number: str | None) -> str:
    return privacy.mask_phone(number)


@register.filter
def phone_for(owner: Any, viewer: Any) -> str:
    try:
        return privacy.phone_for(viewer, owner)
    except Exception:  # a missing relation: nothing to show
        return ""


@register.filter
def person(user: Any) -> str:
    """A person's name as shown to others; a closed account is 已注销用户 in every language."""
    return privacy.display_name(user)
