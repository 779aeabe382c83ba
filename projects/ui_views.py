"""Display settings and the public board's front door."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from projects.context_processors import LARGE_TYPE_COOKIE
from projects.models import Community, UserPreference
from projects.selectors import communities_of

ONE_YEAR = 365 * 24 * 3600


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """The "大字" switch: stored per user when signed in, and in a cookie for everyone."""
    large = request.POST.get("large") == "1"
    user = request.user
    if user.is_authenticated:
        UserPreference.objects.update_or_create(user_id=user.pk, defaults={"large_type": large})
    response = HttpResponseRedirect(_next_url(request))
    response.set_cookie(
        LARGE_TYPE_COOKIE, "1" if large else "0", max_age=ONE_YEAR, samesite="Lax", httponly=True
    )
    return response


def public_board(request: HttpRequest) -> HttpResponse:
    """公示栏: a person of one community goes straight to its monthly statement; anyone else
    picks the community."""
    mine = list(communities_of(request.user)) if request.user.is_authenticated else []
    if len(mine) == 1:
        return redirect("money-statements", mine[0].slug)
    communities = Community.objects.select_related("place__parent").order_by(
        "place__parent__name", "name"
    )
    if len(communities) == 1:
        return redirect("money-statements", communities[0].slug)
    return render(request, "money/board.html", {"communities": communities})
