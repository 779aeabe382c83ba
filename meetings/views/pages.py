"""The meeting pages: the list per community, convening, one meeting's page and its ``.ics``
file."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.models import Decision
from meetings import ics, selectors, services
from meetings.forms import MeetingForm, MinutesForm
from meetings.models import Body, Meeting
from meetings.views.base import _community, _user
from projects.errors import Invalid, YishiError
from projects.models import Community, Project, Role, State
from projects.selectors import user_has_role


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


def _project_asked(request: HttpRequest) -> Project | None:
    """The project named by ``?project=`` (the meeting is convened for it), if any."""
    if request.GET.get("project", "").isdigit():
        return Project.objects.filter(pk=int(request.GET["project"])).first()
    return None


def _prefill(form: MeetingForm, request: HttpRequest, project: Project | None) -> None:
    """The blank form's initial values: the project asked for, and the body and title asked for."""
    if project is not None:
        form.initial["projects"] = [project.pk]
    if request.GET.get("body") == Body.COMMITTEE:
        form.initial.update(body=Body.COMMITTEE, title=_("社区党委会会议"))
    if request.GET.get("body") == Body.HEARING:
        form.initial.update(
            body=Body.HEARING,
            title=_("听证会：%(title)s") % {"title": project.title} if project else _("听证会"),
        )


def _agenda_items(data: dict[str, Any]) -> list[services.ItemSpec]:
    """The agenda from the form: one item per chosen project, then the other matter if any."""
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
    return items


def _convene(form: MeetingForm, community: Community, user: User) -> tuple[Meeting | None, int]:
    """Convene from the posted form: the meeting, or None and the status to show the form with."""
    if not form.is_valid():
        return None, 400
    data = form.cleaned_data
    items = _agenda_items(data)
    try:
        meeting = services.meeting_create(
            community=community,
            by=user,
            body=data["body"],
            title=data["title"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            place=data["place"],
            video_url=data["video_url"],
            items=items,
        )
    except YishiError as exc:
        form.add_error(None, exc.message)
        return None, exc.status
    return meeting, 200


def _refusal(user: User, community: Community) -> str:
    """Why the user may not convene here (shown with a 403), or "" when they may."""
    if services.may_convene(user, community, Body.COUNCIL) or user_has_role(
        user, community, Role.COMMITTEE
    ):
        return ""
    return _("只有社区服务中心或该会议的成员可以召集会议")


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    project = _project_asked(request)
    community = project.community if project else _community(request)
    if community is None:
        raise Invalid(_("请先选择社区"))
    form = MeetingForm(request.POST or None, projects=_agenda_projects(community))
    status, refused = 200, ""
    if request.method == "POST":
        meeting, status = _convene(form, community, user)
        if meeting is not None:
            messages.success(request, _("会议已召集，通知已发给受邀成员"))
            return redirect("meeting-detail", pk=meeting.pk)
    else:
        _prefill(form, request, project)
        refused = _refusal(user, community)
        if refused:
            status = 403
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
