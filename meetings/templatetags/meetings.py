"""``{% my_meetings %}``: a member's upcoming meetings (on the inbox)."""

from __future__ import annotations

from typing import Any

from django import template

from meetings.selectors import my_upcoming

register = template.Library()


@register.inclusion_tag("meetings/_my_meetings.html", takes_context=True)
def my_meetings(context: Any) -> dict[str, Any]:
    user = context.get("user")
    return {"meetings": list(my_upcoming(user)[:5])}
