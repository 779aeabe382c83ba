"""What every page header needs: which links this person can use, and the type size."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from projects.models import Membership, Role, UserPreference

LARGE_TYPE_COOKIE = "yishi_large_type"

# URL prefix → the header section it belongs to (for aria-current).
_SECTIONS = (
    ("/projects/new/", "propose"),
    ("/projects/", "projects"),
    ("/rounds/", "rounds"),
    ("/board/", "board"),
    ("/communities/", "board"),
    ("/rules/", "rules"),
    ("/inbox/", "inbox"),
    ("/notifications/", "notifications"),
    ("/funds/", "funds"),
    ("/streets/", "funds"),
    ("/supervision/", "overdue"),
    ("/places/", "places"),
)


def large_type_for(request: HttpRequest) -> bool:
    """The stored preference of a signed-in user, else the anonymous visitor's cookie."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        pref = UserPreference.objects.filter(user_id=user.pk).values_list("large_type", flat=True)
        for value in pref:
            return bool(value)
    return request.COOKIES.get(LARGE_TYPE_COOKIE) == "1"


def ui(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles: set[str] = set()
    slugs: set[str] = set()
    if user is not None and user.is_authenticated:
        for role, slug in (
            Membership.objects.current()
            .filter(user_id=user.pk)
            .values_list("role", "community__slug")
        ):
            roles.add(role)
            if slug:
                slugs.add(slug)
    is_supervisor = Role.SUPERVISOR in roles or bool(user is not None and user.is_superuser)
    board_url = (
        reverse("money-statements", args=[next(iter(slugs))])
        if len(slugs) == 1 and not is_supervisor
        else reverse("public-board")
    )
    path = request.path
    section = next((name for prefix, name in _SECTIONS if path.startswith(prefix)), "")
    if path == "/":
        section = "home"
    return {
        "nav": {
            "can_propose": Role.RESIDENT in roles,
            "is_staff_role": bool(roles - {Role.RESIDENT}),
            "is_supervisor": is_supervisor,
            "board_url": board_url,
            "section": section,
        },
        "large_type": large_type_for(request),
        "demo_logins": settings.DEBUG,  # the demo's accounts are shown on the login page
    }
