"""The notification inbox pages: list, mark read (one or all), and what to receive."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from notifications.kinds import KINDS
from notifications.selectors import inbox_of, preferences_of
from notifications.services import (
    language_preference_set,
    notification_mark_all_read,
    notification_mark_read,
    notification_preference_set,
)

PAGE_SIZE = 30


def _safe(request: HttpRequest, target: str) -> bool:
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    qs = inbox_of(request.user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; ``open=1`` then follows its link."""
    n = get_object_or_404(inbox_of(request.user), pk=pk)
    notification_mark_read(user=request.user, notification_ids=[n.pk])
    n.refresh_from_db()
    if request.headers.get("HX-Request"):
        return render(request, "notifications/_item.html", {"n": n})
    if request.POST.get("open") and _safe(request, n.url):
        return redirect(n.url)
    target = request.POST.get("next", "")
    return redirect(target if _safe(request, target) else "notification-list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    changed = notification_mark_all_read(user=request.user)
    if changed:
        messages.success(request, _("已将 %(n)d 条通知标为已读") % {"n": changed})
    return redirect("notification-list")


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        with transaction.atomic():
            for code in KINDS:
                notification_preference_set(
                    user=request.user,
                    kind=code,
                    in_app=request.POST.get(f"{code}:in_app") == "on",
                    email=request.POST.get(f"{code}:email") == "on",
                )
        messages.success(request, _("通知设置已保存"))
        return redirect("notification-preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "choices": preferences_of(request.user),
            "has_email": bool(getattr(request.user, "email", "")),
        },
    )


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a logged-in user's choice is also remembered, so their emails
    and live notifications come in the language they read the site in."""
    response = django_set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        language_preference_set(user=request.user, language=request.POST.get("language", ""))
    return response
