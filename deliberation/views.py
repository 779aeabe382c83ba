"""Server-rendered pages: residents propose, browse, co-sign, object, evaluate; staff work their
inbox and act on projects. Views parse input, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliberation import actions, services, workflow
from deliberation.forms import EvaluationForm, ProjectForm
from deliberation.models import CoSign, EvaluationParticipation, Objection
from projects import services as project_services
from projects.errors import YishiError
from projects.models import Community, ProjectEvent, Role, State
from projects.selectors import communities_of, projects_visible_to, roles_of
from projects.web_errors import handle_domain_errors

# The parameters each action's form asks for (the rest of the rules live in the services).
ACTION_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "submit": [],
    "withdraw": [("reason", "textarea", False)],
    "accept": [("reason", "textarea", False)],
    "reject": [("reason", "textarea", True)],
    "assess": [
        ("assessed_cost", "number", True),
        ("plan", "textarea", True),
        ("duration_days", "int", True),
    ],
    "recommend": [("reason", "textarea", True)],
    "start_execution": [("reason", "textarea", False)],
    "deliver": [("report", "textarea", True)],
    "finish_rectification": [("report", "textarea", True)],
}
FIELD_LABELS = {
    "reason": _("理由 / 说明"),
    "assessed_cost": _("评估成本（元）"),
    "plan": _("实施方案"),
    "duration_days": _("工期（天）"),
    "report": _("验收 / 整改说明"),
}
# Outcomes that come from votes, not from a button: shown through their own panels.
VOTED = {
    "approve",
    "decline",
    "defer",
    "pass_evaluation",
    "fail_evaluation",
    "fail_final",
    "uphold_objection",
}


def _user(request: HttpRequest) -> User:
    """The logged-in user (views that call this are behind ``login_required``)."""
    assert isinstance(request.user, User)
    return request.user


def home(request: HttpRequest) -> HttpResponse:
    communities = Community.objects.select_related("street").all()
    recent = projects_visible_to(user=request.user).order_by("-updated_at")[:8]
    context: dict[str, Any] = {"communities": communities, "recent": recent}
    if request.user.is_authenticated:
        context["my_communities"] = communities_of(request.user)
        context["inbox_count"] = len(workflow.inbox(request.user))
    return render(request, "deliberation/home.html", context)


def project_list(request: HttpRequest) -> HttpResponse:
    qs = projects_visible_to(user=request.user).order_by("-updated_at", "-pk")
    q = (request.GET.get("q") or "").strip()[:100]
    state = request.GET.get("state") or ""
    community = request.GET.get("community") or ""
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(summary__icontains=q) | Q(location__icontains=q))
    if state in State.values:
        qs = qs.filter(state=state)
    if community:
        qs = qs.filter(community__slug=community)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/project_list.html",
        {
            "page": page,
            "q": q,
            "state": state,
            "community": community,
            "states": State.choices,
            "communities": Community.objects.all(),
        },
    )


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    mine = list(
        Community.objects.filter(memberships__user=_user(request), memberships__role=Role.RESIDENT)
    )
    form = ProjectForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        community = next(
            (c for c in mine if c.slug == request.POST.get("community")),
            mine[0] if len(mine) == 1 else None,
        )
        if community is None:
            form.add_error(None, _("只有本社区登记居民可以提出提议"))
            status = 403 if not mine else 400
        elif form.is_valid():
            data = form.cleaned_data
            try:
                project = project_services.project_create(
                    by=_user(request),
                    community=community,
                    title=data["title"],
                    summary=data["summary"],
                    location=data["location"],
                    category=data["category"],
                    estimated_cost=data["estimated_cost"],
                    photos=data["photos"],
                    submit=bool(data["submit_now"]),
                )
            except YishiError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                if project.state == State.COLLECTING:
                    workflow.sync(project, request.user)
                messages.success(request, _("提议已保存"))
                return redirect("project-detail", pk=project.pk)
        else:
            status = 400
    return render(
        request,
        "deliberation/project_form.html",
        {"form": form, "communities": mine},
        status=status,
    )


def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    user = request.user
    roles = roles_of(user, project.community)
    allowed = project_services.allowed_transitions(
        project, user if isinstance(user, User) else None
    )
    action_forms = [
        {
            "name": name,
            "fields": [
                (f, FIELD_LABELS[f], kind, req) for f, kind, req in ACTION_FIELDS.get(name, [])
            ],
        }
        for name in allowed
        if name not in VOTED
    ]
    rnd = project.evaluation_rounds.order_by("-number").first()
    tally = services.evaluation_tally(rnd) if rnd else None
    context = {
        "project": project,
        "flags": project.flags,
        "roles": roles,
        "is_resident": Role.RESIDENT in roles,
        "is_clerk": Role.CLERK in roles,
        "is_committee": Role.COMMITTEE in roles,
        "action_forms": action_forms,
        "events": ProjectEvent.objects.filter(project=project).select_related("actor"),
        "photos": project.photos.all(),
        "comments": project.comments.select_related("author"),
        "objections": project.objections.select_related("author"),
        "tasks": workflow.project_tasks(project),
        "has_cosigned": user.is_authenticated
        and CoSign.objects.filter(project=project, user_id=user.pk).exists(),
        "round": rnd,
        "tally": tally,
        "has_evaluated": bool(
            rnd
            and user.is_authenticated
            and EvaluationParticipation.objects.filter(round=rnd, voter_id=user.pk).exists()
        ),
        "evaluation_form": EvaluationForm(),
        "can_close_evaluation": project.state == State.EVALUATING and Role.CLERK in roles,
    }
    return render(request, "deliberation/project_detail.html", context)


@login_required
@require_POST
@handle_domain_errors
def project_act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    params = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    project = actions.act(project=project, name=name, by=_user(request), params=params)
    messages.success(request, _("已完成：%(state)s") % {"state": State(project.state).label})
    return redirect("project-detail", pk=project.pk)


@login_required
@require_POST
@handle_domain_errors
def project_cosign(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    services.cosign_add(project=project, by=_user(request))
    messages.success(request, _("附议成功"))
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def project_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    services.evaluation_vote(
        project=project,
        by=_user(request),
        choice=request.POST.get("choice", ""),
        comment=request.POST.get("comment", ""),
    )
    messages.success(request, _("评议已提交，感谢参与"))
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def evaluation_close(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    project = services.evaluation_close(
        project=project, by=_user(request), force=bool(request.POST.get("force"))
    )
    messages.success(request, _("评议已结束：%(state)s") % {"state": State(project.state).label})
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def objection_file(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    services.objection_file(project=project, by=_user(request), body=request.POST.get("body", ""))
    messages.success(request, _("异议已提交，党委将处理"))
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection, pk=pk)
    services.objection_resolve(
        objection=objection,
        by=_user(request),
        uphold=request.POST.get("uphold") == "1",
        resolution=request.POST.get("resolution", ""),
    )
    return redirect("project-detail", pk=objection.project_id)


@login_required
@require_POST
@handle_domain_errors
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    project_services.project_comment(
        project=project, by=_user(request), body=request.POST.get("body", "")
    )
    return redirect("project-detail", pk=pk)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "deliberation/inbox.html", {"items": workflow.inbox(request.user)})
