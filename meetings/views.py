"""Meeting pages: the list per community, convening, one meeting's page (agenda, invitations,
sign-in, attendance and quorum, votes, the secretary's show of hands, minutes), its ``.ics``
file and the hall screen's meeting page. Views parse input, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from deliberation.models import Decision
from deliberation.screen import qr_svg
from meetings import ics, live, selectors, services
from meetings.forms import MeetingForm, MinutesForm
from meetings.models import AgendaItem, Attendance, Body, HearingSpeaker, Meeting, Minutes
from projects.errors import Invalid, YishiError
from projects.models import Community, Project, Role, State
from projects.selectors import communities_of, user_has_role
from projects.web_errors import handle_domain_errors


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _community(request: HttpRequest) -> Community | None:
    slug = request.GET.get("community") or ""
    mine = list(communities_of(request.user))
    if slug:
        return Community.objects.filter(slug=slug).first()
    return mine[0] if mine else Community.objects.order_by("pk").first()


def meeting_list(request: HttpRequest) -> HttpResponse:
    """Upcoming and past meetings of a community, for everyone; clerks and members convene."""
    community = _community(request)
    qs = selectors.meetings_of(community) if community else Meeting.objects.none()
    user = request.user
    can_convene = community is not None and (
        user_has_role(user, community, Role.CLERK)
        or user_has_role(user, community, Role.COUNCIL)
        or user_has_role(user, community, Role.COMMITTEE)
    )
    return render(
        request,
        "meetings/list.html",
        {
            "community": community,
            "communities": Community.objects.order_by("pk"),
            "upcoming": selectors.upcoming(qs).prefetch_related("items"),
            "past": selectors.past(qs).select_related("minutes")[:30],
            "can_convene": can_convene,
        },
    )


def _agenda_projects(community: Community) -> Any:
    return Project.objects.filter(
        community=community, state__in=[State.DELIBERATING, State.DECIDING]
    ).order_by("-updated_at")


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    project = None
    if request.GET.get("project", "").isdigit():
        project = Project.objects.filter(pk=int(request.GET["project"])).first()
    community = project.community if project else _community(request)
    if community is None:
        raise Invalid(_("请先选择社区"))
    form = MeetingForm(request.POST or None, projects=_agenda_projects(community))
    if project is not None and request.method != "POST":
        form.initial["projects"] = [project.pk]
    if request.GET.get("body") == Body.COMMITTEE and request.method != "POST":
        form.initial.update(body=Body.COMMITTEE, title=_("社区党委会会议"))
    if request.GET.get("body") == Body.HEARING and request.method != "POST":
        form.initial.update(
            body=Body.HEARING,
            title=_("听证会：%(title)s") % {"title": project.title} if project else _("听证会"),
        )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            body = data["body"]
            items = [
                services.ItemSpec(
                    _("是否建议党委批准实施“%(title)s”") % {"title": p.title}
                    if body == Body.COUNCIL
                    else _("审议“%(title)s”") % {"title": p.title},
                    p,
                )
                for p in data["projects"]
            ]
            if data["other"].strip():
                items.append(services.ItemSpec(data["other"]))
            try:
                meeting = services.meeting_create(
                    community=community,
                    by=user,
                    body=body,
                    title=data["title"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    place=data["place"],
                    video_url=data["video_url"],
                    items=items,
                )
            except YishiError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("会议已召集，通知已发给受邀成员"))
                return redirect("meeting-detail", pk=meeting.pk)
        else:
            status = 400
    refused = ""
    if request.method != "POST" and not (
        services.may_convene(user, community, Body.COUNCIL)
        or user_has_role(user, community, Role.COMMITTEE)
    ):
        status = 403
        refused = _("只有社区服务中心或该会议的成员可以召集会议")
    return render(
        request,
        "meetings/form.html",
        {"form": form, "community": community, "project": project, "refused": refused},
        status=status,
    )


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("community", "secretary"), pk=pk)
    view = selectors.meeting_view(meeting, request.user)
    return render(
        request,
        "meetings/detail.html",
        {
            "v": view,
            "meeting": meeting,
            "minutes_form": MinutesForm(
                initial={"body": view.minutes.body} if view.minutes else None
            ),
            "choices": [("yes", _("赞成")), ("no", _("反对")), ("abstain", _("弃权"))],
            "motions": Decision.Motion.choices,
            "now": timezone.now(),
        },
    )


def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting, pk=pk)
    agenda = "\n".join(f"{i.order}. {i.matter}" for i in meeting.items.all())
    url = request.build_absolute_uri(reverse("meeting-detail", args=[pk]))
    text = ics.calendar(
        uid=f"meeting-{meeting.pk}@{request.get_host()}",
        summary=meeting.title,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        location=meeting.place or meeting.video_url,
        description=agenda,
        url=url,
        stamp=meeting.created_at,
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


def _meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting, pk=pk)


@login_required
@require_POST
@handle_domain_errors
def meeting_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    services.meeting_confirm(meeting=_meeting(pk), by=_user(request))
    messages.success(request, _("已确认出席"))
    return redirect("meeting-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def meeting_open(request: HttpRequest, pk: int) -> HttpResponse:
    services.meeting_open(meeting=_meeting(pk), by=_user(request))
    messages.success(request, _("会议已开始，成员可以签到"))
    return redirect("meeting-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def meeting_close(request: HttpRequest, pk: int) -> HttpResponse:
    services.meeting_close(meeting=_meeting(pk), by=_user(request))
    messages.success(request, _("会议已结束，请撰写会议纪要"))
    return redirect("meeting-detail", pk=pk)


@login_required
@handle_domain_errors
def meeting_signin(request: HttpRequest, pk: int) -> HttpResponse:
    """GET (from the hall screen's QR code): the sign-in button; POST: sign in."""
    meeting = _meeting(pk)
    if request.method == "POST":
        how = request.POST.get("how") or Attendance.How.PHONE
        services.attendance_sign(meeting=meeting, by=_user(request), how=how)
        messages.success(request, _("签到成功"))
        return redirect("meeting-detail", pk=pk)
    return render(request, "meetings/signin.html", {"meeting": meeting})


def _item(pk: int) -> AgendaItem:
    return get_object_or_404(AgendaItem.objects.select_related("meeting"), pk=pk)


@login_required
@require_POST
@handle_domain_errors
def item_vote(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    services.item_vote(
        item=item,
        by=_user(request),
        choice=request.POST.get("choice", ""),
        conflict=request.POST.get("conflict", ""),
    )
    messages.success(request, _("表决已记录"))
    return redirect(reverse("meeting-detail", args=[item.meeting_id]) + f"#item-{item.pk}")


@login_required
@require_POST
@handle_domain_errors
def item_hands(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretary's show-of-hands form: ``vote-<member id>`` = yes / no / abstain / recuse."""
    item = _item(pk)
    choices: dict[int, str] = {}
    conflicts: dict[int, str] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith("vote-") and key[5:].isdigit() and value:
            choices[int(key[5:])] = value
            conflicts[int(key[5:])] = request.POST.get(f"conflict-{key[5:]}", "")
    services.item_enter_hands(item=item, by=_user(request), choices=choices, conflicts=conflicts)
    messages.success(request, _("举手表决已录入"))
    return redirect(reverse("meeting-detail", args=[item.meeting_id]) + f"#item-{item.pk}")


@login_required
@require_POST
@handle_domain_errors
def item_close(request: HttpRequest, pk: int) -> HttpResponse:
    item = services.item_close(item=_item(pk), by=_user(request))
    messages.success(
        request, _("议题表决结束：%(outcome)s") % {"outcome": item.get_outcome_display()}
    )
    return redirect(reverse("meeting-detail", args=[item.meeting_id]) + f"#item-{item.pk}")


@login_required
@require_POST
@handle_domain_errors
def item_rollcall(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee meeting's secretary puts the item's project to the roll-call."""
    item = services.item_open_rollcall(
        item=_item(pk),
        by=_user(request),
        motion=request.POST.get("motion", ""),
        amount=request.POST.get("amount") or None,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, _("党委决策表决已开始，出席委员可以表决"))
    return redirect(reverse("meeting-detail", args=[item.meeting_id]) + f"#item-{item.pk}")


@login_required
@require_POST
@handle_domain_errors
def minutes_write(request: HttpRequest, pk: int) -> HttpResponse:
    form = MinutesForm(request.POST)
    if not form.is_valid():
        errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
        raise Invalid(next(iter(errors.values()))[0], errors=errors)
    services.minutes_write(
        meeting=_meeting(pk),
        by=_user(request),
        body=form.cleaned_data["body"],
        objection_days=form.cleaned_data["objection_days"],
    )
    messages.success(request, _("纪要已保存，已通知参会成员"))
    return redirect(reverse("meeting-detail", args=[pk]) + "#minutes")


def _minutes(pk: int) -> Minutes:
    return get_object_or_404(Minutes.objects.select_related("meeting"), meeting_id=pk)


@login_required
@require_POST
@handle_domain_errors
def minutes_object(request: HttpRequest, pk: int) -> HttpResponse:
    services.minutes_object(
        minutes=_minutes(pk), by=_user(request), body=request.POST.get("body", "")
    )
    messages.success(request, _("异议已提交"))
    return redirect(reverse("meeting-detail", args=[pk]) + "#minutes")


@login_required
@require_POST
@handle_domain_errors
def minutes_publish(request: HttpRequest, pk: int) -> HttpResponse:
    services.minutes_publish(minutes=_minutes(pk), by=_user(request))
    messages.success(request, _("纪要已公布"))
    return redirect(reverse("meeting-detail", args=[pk]) + "#minutes")


def _screen_labels() -> dict[str, Any]:
    """The words meeting_screen.js puts on the page, translated here."""
    return {
        "attendance": _("出席 %(present)s / %(total)s 人，法定人数 %(needed)s 人"),
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


@login_required
@require_POST
@handle_domain_errors
def hearing_signup(request: HttpRequest, pk: int) -> HttpResponse:
    services.hearing_signup(
        meeting=_meeting(pk), by=_user(request), topic=request.POST.get("topic", "")
    )
    messages.success(request, _("已报名发言，请按时出席听证会"))
    return redirect(reverse("meeting-detail", args=[pk]) + "#hearing")


@login_required
@require_POST
@handle_domain_errors
def hearing_record(request: HttpRequest, pk: int) -> HttpResponse:
    speaker = get_object_or_404(HearingSpeaker.objects.select_related("meeting"), pk=pk)
    services.hearing_record(
        speaker=speaker,
        by=_user(request),
        summary=request.POST.get("summary", ""),
        answer=request.POST.get("answer", ""),
    )
    messages.success(request, _("发言记录已保存"))
    return redirect(reverse("meeting-detail", args=[speaker.meeting_id]) + "#hearing")


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
