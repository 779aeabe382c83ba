from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The unread count in every page header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0}
    from notifications.models import Notification

    return {"unread_count": Notification.objects.filter(recipient=user, read_at__isnull=True).count()}
