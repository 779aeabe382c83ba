"""What is done on a meeting's page: confirming, opening and closing it, signing in, voting on
an item and the secretary's show of hands, closing an item or putting it to the committee's
roll-call, the minutes (writing, objecting, publishing) and a hearing's speakers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from meetings import services
from meetings.forms import MinutesForm
from meetings.models import Attendance, HearingSpeaker
from meetings.views.base import _item, _meeting, _minutes, _user
from projects.errors import Invalid
from projects.web_errors import handle_domain_errors


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
