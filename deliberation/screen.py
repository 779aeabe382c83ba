"""The public screen (大屏) of a community, its JSON snapshot, and the supervisors' overdue list.

The screen needs no login: it shows the open evaluations (satisfaction rate and turnout against
the community's thresholds, with a QR code to the project page where residents vote), the open
budget ballots' standings, and the latest results. ``static/js/screen.js`` renders the snapshot,
applies ``evaluation.tally`` and ``ballot.tally`` events from ``/ws/screen/<slug>/`` as they come,
re-reads the snapshot when anything else happens (a round opens or closes), and reconnects by
itself. The snapshot is cached for :data:`notifications.snapshots.CACHE_SECONDS` (every process
shares it through the cache), so a hall full of screens costs one read a second.

Only public numbers are shown, and always the same ones: every tally here, in the snapshot and
in the live events alike (:func:`evaluation_event`, :func:`ballot_event`, which
:func:`register_snapshots` hands to the hubs), is ``services.evaluation_tally`` /
``ballots.standings``: the sealed count, which moves in steps of whole batches of ballots, never
one ballot at a time, and never who voted what.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from deliberation import services, workflow
from deliberation.flows import ESCALATE_AFTER
from deliberation.models import EvaluationRound
from notifications import snapshots
from projects.errors import Forbidden
from projects.models import Community, Project, Role, State
from projects.models.membership import supervised_places
from projects.models.places import Place

RECENT_RESULTS = 3
# The page a QR code of an open budget ballot leads to (the round's page, where residents vote);
# where it is not routed the code leads to the community's project list.
BALLOT_PAGE = "round-detail"


@lru_cache(maxsize=512)
def qr_svg(url: str) -> str:
    """A QR code for ``url`` as inline SVG markup (made here, so safe to insert as markup)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return str(image.to_string(encoding="unicode"))


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%m-%d %H:%M") if value else ""


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


# --- evaluations (群众评议) ---------------------------------------------------------------------
def evaluation_boards(community: Community, request: HttpRequest) -> list[dict[str, Any]]:
    """Open evaluation rounds of the community, each with its public tally and a QR code."""
    rounds = (
        EvaluationRound.objects.filter(
            project__community=community, project__state=State.EVALUATING, closed_at__isnull=True
        )
        .select_related("project__community")
        .order_by("closes_at", "pk")
    )
    boards = []
    for rnd in rounds:
        project = rnd.project
        url = _absolute(request, reverse("project-detail", args=[project.pk]))
        boards.append(
            {
                "project_id": project.pk,
                "title": project.title,
                "round": rnd.number,
                "closes_at": rnd.closes_at.isoformat(),
                "closes_at_label": _when(rnd.closes_at),
                "url": url,
                "qr_svg": qr_svg(url),
                "tally": services.evaluation_tally(rnd).as_dict(),
            }
        )
    return boards


def recent_results(community: Community, limit: int = RECENT_RESULTS) -> list[dict[str, Any]]:
    rounds = (
        EvaluationRound.objects.filter(project__community=community, closed_at__isnull=False)
        .select_related("project__community")
        .order_by("-closed_at", "-pk")[:limit]
    )
    rows = []
    for rnd in rounds:
        tally = services.evaluation_tally(rnd)
        rows.append(
            {
                "project_id": rnd.project_id,
                "title": rnd.project.title,
                "round": rnd.number,
                "passed": bool(rnd.passed),
                "satisfaction": f"{float(tally.satisfaction):.4f}",
                "turnout": f"{float(tally.turnout):.4f}",
                "closed_at_label": _when(rnd.closed_at),
            }
        )
    return rows


# --- budget ballots (预算投票) -----------------------------------------------------------------
def ballot_standings(community: Community, request: HttpRequest) -> list[dict[str, Any]]:
    """Open budget ballots with each shortlisted project's approvals so far, most first.

    Kept apart from the evaluations on purpose: it reads the ballots module
    (``deliberation.ballots``: ``standings``, ``turnout``, ``BudgetRound``) and returns ``[]``
    where that module is not installed, so the screen works without it."""
    try:
        from deliberation import ballots
        from deliberation.ballot_models import BudgetRound
    except ImportError:
        return []
    rounds = BudgetRound.objects.filter(
        community=community, status=BudgetRound.Status.OPEN
    ).order_by("closes_at", "pk")
    result = []
    for rnd in rounds:
        url = _ballot_url(request, rnd.pk, community)
        result.append(
            {
                "round_id": rnd.pk,
                "title": rnd.title,
                "budget": str(rnd.budget),
                "closes_at": rnd.closes_at.isoformat(),
                "closes_at_label": _when(rnd.closes_at),
                "voters": ballots.turnout(rnd),
                "eligible": rnd.eligible,
                "url": url,
                "qr_svg": qr_svg(url),
                "entries": [
                    {k: row[k] for k in ("project_id", "name", "cost", "votes")}
                    for row in ballots.standings(rnd)
                ],
            }
        )
    return result


def _ballot_url(request: HttpRequest, round_id: int, community: Community) -> str:
    try:
        path = reverse(BALLOT_PAGE, args=[round_id])
    except NoReverseMatch:
        path = reverse("project-list") + f"?community={community.slug}"
    return _absolute(request, path)


# --- live events (read by each process's hub, notifications.snapshots) ----------------------
def evaluation_event(project_id: int) -> dict[str, Any] | None:
    """The public tally of the project's latest evaluation round, as an ``evaluation.tally``
    event for its page and its community's screen; ``None`` if it has no round."""
    rnd = (
        EvaluationRound.objects.filter(project_id=project_id)
        .select_related("project__community")
        .order_by("-number")
        .first()
    )
    if rnd is None:
        return None
    return {
        "kind": "evaluation.tally",
        "project_id": project_id,
        "title": rnd.project.title,
        "tally": services.evaluation_tally(rnd).as_dict(),
    }


def ballot_event(round_id: int) -> dict[str, Any] | None:
    """An open or counted budget ballot's public standings, as a ``ballot.tally`` event for
    its community's screen; ``None`` for a draft or a round that is not there."""
    try:
        from deliberation import ballots
        from deliberation.ballot_models import BudgetRound
    except ImportError:
        return None
    rnd = BudgetRound.objects.filter(pk=round_id).exclude(status=BudgetRound.Status.DRAFT).first()
    if rnd is None:
        return None
    return {
        "kind": "ballot.tally",
        "round_id": rnd.pk,
        "title": rnd.title,
        "voters": ballots.turnout(rnd),
        "eligible": rnd.eligible,
        "budget": str(rnd.budget),
        "standings": ballots.standings(rnd),
    }


def register_snapshots() -> None:
    """Called by ``DeliberationConfig.ready``: "tally changed" events are answered with these."""
    snapshots.register("evaluation.tally", id_field="project_id", read=evaluation_event)
    snapshots.register("ballot.tally", id_field="round_id", read=ballot_event)


# --- the screen ---------------------------------------------------------------------------------
def snapshot(community: Community, request: HttpRequest) -> dict[str, Any]:
    """The screen's whole state, cached for a second (keyed by the address it is served at: its
    links and QR codes are absolute). ``as_of`` (Unix seconds) is when its reading began: an
    event published before that is in it."""
    key = f"yishi:screen:{community.pk}:{request.scheme}://{request.get_host()}"
    cached = cache.get(key)
    if isinstance(cached, dict):
        return cached
    as_of = time.time()
    fresh = {
        "community": {"slug": community.slug, "name": community.name},
        "generated_at": timezone.now().isoformat(),
        "as_of": round(as_of, 6),
        "evaluations": evaluation_boards(community, request),
        "ballots": ballot_standings(community, request),
        "recent": recent_results(community),
    }
    cache.set(key, fresh, snapshots.CACHE_SECONDS)
    return fresh


def _labels() -> dict[str, str]:
    """The words screen.js puts on the page, translated here."""
    return {
        "satisfaction": _("满意率"),
        "turnout": _("参与率"),
        "pass_line": _("通过线"),
        "min_turnout": _("最低"),
        "satisfied": _("满意"),
        "basically_satisfied": _("基本满意"),
        "dissatisfied": _("不满意"),
        "votes": _("已投"),
        "eligible": _("应投"),
        "passing": _("目前达到通过条件"),
        "not_passing": _("目前未达到通过条件"),
        "round": _("第 %(n)s 轮评议"),
        "closes": _("截止"),
        "scan_evaluate": _("扫码参与评议"),
        "scan_ballot": _("扫码参与投票"),
        "ballot": _("预算投票"),
        "budget": _("预算"),
        "yuan": _("元"),
        "voters": _("投票人数"),
        "cost": _("成本"),
        "approvals": _("票"),
        "more": _("另有 %(n)s 个项目"),
        "recent": _("最近评议结果"),
        "passed": _("通过"),
        "failed": _("未通过"),
        "empty": _("当前没有进行中的评议或投票"),
        "live": _("实时"),
        "reconnecting": _("正在重新连接…"),
    }


def join_link(community: Community, request: HttpRequest) -> str:
    """The sign-up page for this community ("扫码加入"); "" where sign-up is not routed."""
    try:
        path = reverse("accounts:signup")
    except NoReverseMatch:
        return ""
    return _absolute(request, f"{path}?community={community.slug}")


def screen(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_object_or_404(Community, slug=slug)
    join_url = join_link(community, request)
    context = {
        "join_url": join_url,
        "join_qr": qr_svg(join_url) if join_url else "",
        "community": community,
        "snapshot": snapshot(community, request),
        "labels": _labels(),
        "ws_path": f"/ws/screen/{community.slug}/",
        "snapshot_url": reverse("screen-snapshot", args=[community.slug]),
    }
    return render(request, "screen/screen.html", context)


@never_cache
def screen_snapshot(request: HttpRequest, slug: str) -> JsonResponse:
    community = get_object_or_404(Community, slug=slug)
    return JsonResponse(snapshot(community, request), json_dumps_params={"ensure_ascii": False})


# --- supervision: overdue tasks ----------------------------------------------------------------
def _places_supervised(user: Any) -> list[Place]:
    if user.is_superuser:
        return list(Place.objects.roots())
    return list(supervised_places(user))


def _overdue_rows(place: Place) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for item in workflow.overdue(place=place):
        project: Project = item.project
        due = item.due_at or now
        rows.append(
            {
                "item": item,
                "project": project,
                "role_label": Role(item.role).label,
                "owner": item.task.owner,
                "late_days": (now - due).days,
                "escalated": now >= due + ESCALATE_AFTER,
            }
        )
    return rows


@login_required
def overdue_list(request: HttpRequest) -> HttpResponse:
    """Open tasks past their due date in the streets the user supervises, oldest first."""
    places = _places_supervised(request.user)
    if not places:
        raise Forbidden(_("只有街道监督员可以查看逾期督办"))
    sections = [(place, _overdue_rows(place)) for place in places]
    total = sum(len(rows) for _street, rows in sections)
    return render(
        request,
        "supervision/overdue.html",
        {"sections": sections, "total": total, "now": timezone.now()},
    )
