"""Pages for the committee roll-call (党委记名表决): open a motion, vote, close with minutes, and
the public record of each decision. The rules live in ``deliberation.services.decision_*``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliberation import actions, services
from deliberation.forms import MotionForm, first_error
from deliberation.models import Decision
from projects.models import Project, Role
from projects.selectors import projects_visible_to, user_has_role
from projects.web_errors import handle_domain_errors


def _user(request: HttpRequest) -> User:
    """The logged-in user (the views that call this are behind ``login_required``)."""
    assert isinstance(request.user, User)
    return request.user


def _visible_decision(request: HttpRequest, pk: int) -> Decision:
    visible = projects_visible_to(user=request.user).values("pk")
    return get_object_or_404(
        Decision.objects.select_related("project__community", "opened_by", "closed_by").filter(
            project__in=visible
        ),
        pk=pk,
    )


def panel_context(project: Project, user: Any) -> dict[str, Any]:
    """What ``deliberation/decision_panel.html`` needs beyond ``project`` and ``user``."""
    return {
        "project": project,
        "user": user,
        "is_committee": user_has_role(user, project.community, Role.COMMITTEE),
        "hearing_reasons": actions.hearing_required(project),
    }


def _done(request: HttpRequest, project: Project, message: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        project.refresh_from_db()
        return render(
            request, "deliberation/decision_panel.html", panel_context(project, request.user)
        )
    messages.success(request, message)
    return redirect(reverse("project-detail", args=[project.pk]) + "#decisions")


@login_required
@require_POST
@handle_domain_errors
def decision_open(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    form = MotionForm(request.POST)
    if not form.is_valid():
        raise first_error(form)
    services.decision_open(
        project=project,
        by=_user(request),
        motion=form.cleaned_data["motion"],
        amount=form.cleaned_data["amount"],
        reason=form.cleaned_data["reason"],
    )
    return _done(request, project, _("动议已发起，请各位委员表决"))


@login_required
@require_POST
@handle_domain_errors
def decision_vote(request: HttpRequest, pk: int) -> HttpResponse:
    decision = _visible_decision(request, pk)
    services.decision_vote(
        decision=decision,
        by=_user(request),
        choice=request.POST.get("choice", ""),
        conflict=request.POST.get("conflict", ""),
    )
    return _done(request, decision.project, _("表决已记录"))


@login_required
@require_POST
@handle_domain_errors
def decision_close(request: HttpRequest, pk: int) -> HttpResponse:
    decision = _visible_decision(request, pk)
    decision = services.decision_close(
        decision=decision, by=_user(request), minutes=request.POST.get("minutes", "")
    )
    return _done(
        request,
        decision.project,
        _("表决已结束：%(result)s") % {"result": decision.get_result_display()},
    )


def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The public record of one roll-call: motion, each member's vote, the computed result, minutes."""
    decision = _visible_decision(request, pk)
    tally = services.decision_tally(decision)
    return render(
        request,
        "ballots/decision_detail.html",
        {
            "decision": decision,
            "project": decision.project,
            "tally": tally,
            "votes": decision.votes.select_related("member"),
        },
    )
