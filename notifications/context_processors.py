from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from notifications.selectors import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The unread count in every page header (kept live by ``static/js/live.js``)."""
    return {"unread_count": unread_count(getattr(request, "user", None))}
