"""Pages for execution and acceptance: the clerk plans milestones and posts progress, the council
names resident representatives, inspectors sign. Views parse input, call one service, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliberation import execution
from projects import execution as pe
from projects.errors import Invalid
from projects.models import Project, State
from projects.selectors import projects_visible_to
from projects.web_errors import handle_domain_errors
from residents.pickers import PersonPickerField


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _project(request: HttpRequest, pk: int) -> Project:
    return get_object_or_404(projects_visible_to(user=request.user), pk=pk)


@login_required
@require_POST
@handle_domain_errors
def milestones_plan(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    rows = execution.parse_milestones(request.POST)
    execution.milestones_plan(project=project, by=_user(request), milestones=rows)
    messages.success(request, _("实施节点已保存"))
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def milestones_revise(request: HttpRequest, pk: int) -> HttpResponse:
    """The clerk revises the not-done milestones while the work runs, with a reason."""
    project = _project(request, pk)
    rows, reason = execution.parse_revision(request.POST)
    execution.milestones_revise(project=project, by=_user(request), milestones=rows, reason=reason)
    messages.success(request, _("实施计划已调整"))
    return redirect(reverse("project-detail", args=[pk]) + "#progress")


@login_required
@require_POST
@handle_domain_errors
def progress_post(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    try:
        percent = int(request.POST.get("percent", ""))
    except ValueError:
        raise Invalid(_("完成百分比应在 0 到 100 之间"), errors={"percent": [_("无效")]}) from None
    raw = request.POST.get("milestone") or ""
    milestone = int(raw) if raw.isdigit() else None
    stage = request.POST.get("stage") or "during"
    execution.progress_post(
        project=project,
        by=_user(request),
        percent=percent,
        body=request.POST.get("body", ""),
        contractor=request.POST.get("contractor", ""),
        milestone=milestone,
        milestone_done=request.POST.get("milestone_done") == "1",
        photos=[execution.PhotoInput(f, stage) for f in request.FILES.getlist("photos")],
    )
    messages.success(request, _("实施进展已发布"))
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def acceptance_sign(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    inspection = pe.open_inspection(project)
    checks = []
    if inspection is not None:
        for item in inspection.items.all():
            verdict = request.POST.get(f"item_{item.pk}")
            if verdict not in ("pass", "fail"):
                continue
            checks.append(
                execution.CheckInput(
                    item=item.pk,
                    passed=verdict == "pass",
                    note=request.POST.get(f"note_{item.pk}", ""),
                    photo=request.FILES.get(f"photo_{item.pk}"),
                )
            )
    passed = request.POST.get("passed") == "1"
    execution.acceptance_sign(
        project=project,
        by=_user(request),
        passed=passed,
        reasons=request.POST.get("reasons", ""),
        checks=checks,
    )
    project.refresh_from_db()
    if project.state == State.EVALUATING:
        messages.success(request, _("验收通过，群众评议已开始"))
    elif project.state == State.EXECUTING:
        messages.success(request, _("验收未通过，已退回继续实施"))
    else:
        messages.success(request, _("已签字"))
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def acceptance_representatives(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    field = PersonPickerField(community=project.community)
    try:
        users = field.clean(request.POST.getlist("representatives"))
    except ValidationError as exc:
        raise Invalid(str(exc.messages[0]), errors={"representatives": exc.messages}) from None
    execution.acceptance_name_representatives(project=project, by=_user(request), users=users)
    messages.success(request, _("已指定居民代表"))
    return redirect("project-detail", pk=pk)
