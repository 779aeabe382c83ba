"""Server-rendered pages: residents propose, browse, co-sign, object, evaluate; staff work their
inbox and act on projects. Views parse input, call one service, render."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from deliberation import actions, services, workflow
from deliberation.forms import (
    CommentForm,
    EvaluationForm,
    ObjectionForm,
    ObjectionResolveForm,
    ProjectForm,
    TransitionForm,
    first_error,
)
from deliberation.models import CoSign, EvaluationParticipation, Objection
from deliberation.my_votes import votes_waiting_for
from projects.errors import YishiError
from projects.list_filters import dashboard_scope
from projects.models import Community, Membership, Project, ProjectEvent, Role, State
from projects.selectors import communities_of, projects_visible_to, roles_of
from projects.web_errors import handle_domain_errors


def _user(request: HttpRequest) -> User:
    """The logged-in user (views that call this are behind ``login_required``)."""
    assert isinstance(request.user, User)
    return request.user


def home(request: HttpRequest) -> HttpResponse:
    communities = Community.objects.select_related("place__parent").all()
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
    qs, scope = dashboard_scope(qs, request.GET)  # a dashboard figure's projects (dashboards/)
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
            **scope,
        },
    )


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    mine = list(
        Community.objects.filter(
            pk__in=Membership.objects.residents()
            .filter(user_id=_user(request).pk)
            .values("community_id")
        )
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
                project = actions.create(
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


def _window(project: Project) -> tuple[str, datetime] | None:
    """The waiting period the current step runs on, if any: its name and when it ends."""
    if project.state == State.COLLECTING and project.cosign_deadline:
        return str(_("附议截止")), project.cosign_deadline
    if project.state == State.PUBLICIZING and project.publicity_ends_at:
        return str(_("公示结束")), project.publicity_ends_at
    if project.state == State.EVALUATING:
        rnd = project.evaluation_rounds.filter(closed_at__isnull=True).order_by("-number").first()
        if rnd is not None:
            return str(_("评议截止")), rnd.closes_at
    return None


# The 当前环节 card for a resident or any visitor: what happens next and what they can do,
# in plain words (staff see the task titles of the workflow, with their deadlines).
NEXT_IN_PLAIN_WORDS = {
    State.COLLECTING: gettext_lazy("正在征集附议：附议的居民够了，服务中心就会审核这个提议。"),
    State.SCREENING: gettext_lazy("服务中心正在审核这个提议，结果会写在这一页上。"),
    State.ASSESSING: gettext_lazy("服务中心正在估算费用、核实地点和工期，之后交给居民议事会商量。"),
    State.DELIBERATING: gettext_lazy(
        "居民议事会将开会商量这个项目，并提出建议；会议纪要会在这里公布。"
    ),
    State.DECIDING: gettext_lazy("社区党委将投票决定是否立项，每位委员的选择都会公开。"),
    State.PUBLICIZING: gettext_lazy(
        "正在公示：您如有不同意见，可以在下方提出；公示期满无异议就开工。"
    ),
    State.EXECUTING: gettext_lazy("正在施工：进展和照片会在这一页上随时更新。"),
    State.ACCEPTING: gettext_lazy(
        "施工已完成，议事会成员和居民代表正在逐项检查；通过后请您来评价。"
    ),
    State.EVALUATING: gettext_lazy("请您评价：对这个项目满意吗？评价期满后自动计票。"),
    State.RECTIFYING: gettext_lazy("居民评价没有通过，服务中心正在整改；整改完成后会再请您评价。"),
}
STAFF_ROLES = {Role.CLERK, Role.COUNCIL, Role.COMMITTEE, Role.SUPERVISOR}


def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    user = request.user
    roles = roles_of(user, project.community)
    person = user if isinstance(user, User) else None
    # What this person may do now (each with its form), and what they may do once a date
    # passes or a condition holds: both read from the transition table.
    action_forms = [
        TransitionForm(a.rule) for a in actions.allowed(project, person) if a.rule.card == "actions"
    ]
    waiting = [w for w in actions.waiting(project, person) if w.rule.card == "actions"]
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
        # why a hearing must come before the committee's decision (empty: none needed / held)
        "hearing_reasons": actions.hearing_required(project)
        if project.state in (State.DELIBERATING, State.DECIDING)
        else [],
        "waiting": waiting,
        "now": timezone.now(),
        "window": _window(project),
        "events": ProjectEvent.objects.filter(project=project).select_related("actor"),
        "photos": project.photos.all(),
        "comments": project.comments.select_related("author"),
        "objections": project.objections.select_related("author"),
        "tasks": workflow.project_tasks(project),
        "staff_view": bool(roles & STAFF_ROLES),
        "next_in_plain_words": NEXT_IN_PLAIN_WORDS.get(State(project.state)),
        "has_cosigned": user.is_authenticated
        and CoSign.objects.filter(project=project, user_id=user.pk).exists(),
        "round": rnd,
        "tally": tally,
        "has_evaluated": bool(
            rnd
            and user.is_authenticated
            and EvaluationParticipation.objects.filter(round=rnd, voter_id=user.pk).exists()
        ),
        "household_voted": bool(rnd and services.household_has_voted(rnd, user)),
        "evaluation_form": EvaluationForm(),
        "can_close_evaluation": project.state == State.EVALUATING
        and Role.CLERK in roles
        and rnd is not None
        and services.evaluation_can_close(rnd),
    }
    return render(request, "deliberation/project_detail.html", context)


@login_required
@require_POST
@handle_domain_errors
def project_act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    rule = actions.check(project=project, name=name, by=_user(request))  # 403 / 409 first
    form = TransitionForm(rule, request.POST)
    if not form.is_valid():
        raise first_error(form)
    project = actions.act(project=project, name=name, by=_user(request), params=form.values())
    messages.success(request, _("已完成：%(step)s") % {"step": rule.label})
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
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        raise first_error(form)
    services.evaluation_vote(
        project=project,
        by=_user(request),
        choice=form.cleaned_data["choice"],
        comment=form.cleaned_data["comment"],
    )
    messages.success(request, _("评议已提交，感谢参与"))
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def evaluation_close(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    project = services.evaluation_close(project=project, by=_user(request))
    messages.success(request, _("评议已结束：%(state)s") % {"state": State(project.state).label})
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def objection_file(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        raise first_error(form)
    services.objection_file(project=project, by=_user(request), body=form.cleaned_data["body"])
    messages.success(request, _("异议已提交，党委将处理"))
    return redirect("project-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection, pk=pk)
    form = ObjectionResolveForm(request.POST)
    if not form.is_valid():
        raise first_error(form)
    uphold = form.cleaned_data["uphold"]
    services.objection_resolve(
        objection=objection,
        by=_user(request),
        uphold=uphold,
        resolution=form.cleaned_data["resolution"],
    )
    step = actions.TRANSITIONS["uphold_objection"].label if uphold else _("异议不成立")
    messages.success(request, _("已完成：%(step)s") % {"step": step})
    return redirect("project-detail", pk=objection.project_id)


@login_required
@require_POST
@handle_domain_errors
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        raise first_error(form)
    actions.comment(project=project, by=_user(request), body=form.cleaned_data["body"])
    return redirect("project-detail", pk=pk)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "deliberation/inbox.html",
        {"items": workflow.inbox(request.user), "votes": votes_waiting_for(request.user)},
    )
