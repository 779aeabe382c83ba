"""The hall screen's meeting page and the JSON snapshot it re-reads after a reconnect."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from deliberation.screen import qr_svg
from meetings import live, selectors
from meetings.models import AgendaItem, Meeting
from projects.models import Community


def _screen_labels() -> dict[str, Any]:
    """The words meeting_screen.js puts on the page, translated here."""
    return {
        "attendance": _("出席 %(present)s / %(total)s 人，法定人数 %(needed)s 人"),
        # a hearing has no members and no quorum: the residents signed in, counted
        "signed_in": {
            "one": ngettext("已签到 %(n)s 人", "已签到 %(n)s 人", 1),
            "other": ngettext("已签到 %(n)s 人", "已签到 %(n)s 人", 2),
        },
        "reached": _("已达到法定人数"),
        "not_reached": _("未达到法定人数"),
        "current": _("当前议题"),
        "current_rollcall": _("当前议题 · 党委决策表决"),
        "item_quorum": _("本议题出席 %(present)s 人，法定人数 %(needed)s 人"),
        "choice": {
            "yes": _("赞成"),
            "no": _("反对"),
            "abstain": _("弃权"),
            "recused": _("回避"),
        },
        "status": dict(Meeting.Status.choices),
        "outcome": dict(AgendaItem.Outcome.choices),
        "live": _("实时"),
        "reconnecting": _("正在重新连接…"),
    }


def screen_meeting(request: HttpRequest, slug: str) -> HttpResponse:
    """The hall screen's meeting page: the current meeting, its current agenda item and the vote
    as it is cast, attendance against quorum, and the QR code members scan to sign in. It
    follows ``meeting.live`` events on ``/ws/screen/<slug>/`` (``meetings.live``); no login."""
    community = get_object_or_404(Community, slug=slug)
    snap = live.screen_snapshot(community)
    shown = snap["meeting"]["meeting_id"] if snap["meeting"] else None
    meeting = (
        None
        if shown is None
        else Meeting.objects.filter(pk=shown).select_related("community").first()
    )
    context: dict[str, Any] = {
        "community": community,
        "meeting": meeting,
        "snap": snap,
        "labels": _screen_labels(),
        "ws_path": f"/ws/screen/{community.slug}/",
        "snapshot_url": reverse("screen-meeting-snapshot", args=[community.slug]),
    }
    if meeting is not None:
        url = request.build_absolute_uri(reverse("meeting-signin", args=[meeting.pk]) + "?how=qr")
        context.update(v=selectors.meeting_view(meeting, None), qr=qr_svg(url))
    return render(request, "meetings/screen.html", context)


@never_cache
def screen_meeting_snapshot(request: HttpRequest, slug: str) -> JsonResponse:
    """The screen's meeting state as JSON (what the page re-reads after a reconnect)."""
    community = get_object_or_404(Community, slug=slug)
    return JsonResponse(live.screen_snapshot(community), json_dumps_params={"ensure_ascii": False})
