"""Residency on other apps' pages: the clerk's verification queue in the inbox, and a committee
member's unit beside their name in a roll-call."""

from __future__ import annotations

from typing import Any

from django import template

from residents import selectors

register = template.Library()


@register.inclusion_tag("residents/_inbox_queue.html", takes_context=True)
def residency_queue(context: dict[str, Any]) -> dict[str, Any]:
    user = context.get("user")
    communities = selectors.clerk_communities(user)
    pending = list(selectors.pending_declarations(communities)[:20]) if communities else []
    return {"pending": pending, "communities": list(communities)}


@register.filter
def seat_unit(user_id: int, community_id: int) -> str:
    """The unit a committee member sits for, or ``""``."""
    return selectors.unit_for_seat(user_id, community_id)
