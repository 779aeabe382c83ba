"""The project page's execution panels (progress, milestones, acceptance) and the list's bar:
each included with one line, its data read here."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import User

from deliberation.execution import (
    MAX_MILESTONES,
    PLANNING_STATES,
    REVISION_ACTIONS,
    acceptance_tally,
)
from projects import execution as pe
from projects.models import ProgressPost, ProgressStage, Project, ProjectEvent, Role, State
from projects.selectors import roles_of
from residents import pickers

register = template.Library()


@register.inclusion_tag("execution/_progress.html", takes_context=True)
def progress_panel(context: Any) -> dict[str, Any]:
    project: Project = context["project"]
    user = context["request"].user
    roles = roles_of(user, project.community)
    posts = ProgressPost.objects.filter(project=project).prefetch_related("photos")[:20]
    schedule = pe.schedule(project)
    can_revise = Role.CLERK in roles and project.state == State.EXECUTING
    open_stones = [m for m in schedule.milestones if not m.is_done]
    blanks = max(0, min(2, MAX_MILESTONES - len(schedule.milestones)))
    return {
        "project": project,
        "schedule": schedule,
        # the plan changed while the work ran: when and why (public)
        "revisions": ProjectEvent.objects.filter(project=project, action__in=REVISION_ACTIONS)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:20],
        "can_revise": can_revise,
        "revise_rows": list(enumerate([*open_stones, *([None] * blanks)])) if can_revise else [],
        "posts": posts,
        "can_post": Role.CLERK in roles and project.state == State.EXECUTING,
        "can_plan": Role.CLERK in roles and project.state in PLANNING_STATES,
        "stages": ProgressStage.choices,
        "rows": range(6),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }


@register.inclusion_tag("execution/_acceptance.html", takes_context=True)
def acceptance_panel(context: Any) -> dict[str, Any]:
    project: Project = context["project"]
    user = context["request"].user
    inspections = list(
        project.inspections.order_by("-number").prefetch_related(
            "inspectors", "items", "signatures__inspector", "signatures__checks"
        )
    )
    current = inspections[0] if inspections else None
    signed = False
    may_sign = False
    if current is not None and isinstance(user, User):
        signed = any(s.inspector_id == user.pk for s in current.signatures.all())
        may_sign = (
            current.is_open
            and project.state == State.ACCEPTING
            and not signed
            and any(i.pk == user.pk for i in current.inspectors.all())
        )
    roles = roles_of(user, project.community)
    may_name = (
        Role.COUNCIL in roles
        and current is not None
        and current.is_open
        and not current.signatures.exists()
    )
    query = context["request"].GET.get("rep_q", "").strip() if may_name else ""
    return {
        "project": project,
        "inspections": inspections,
        # the person picker (search by name / address / phone, then tick)
        "picker_param": "rep_q",
        "picker_query": query,
        "picker_anchor": "acceptance",
        "picker_name": "representatives",
        "picker_results": pickers.search_residents(
            project.community, query, context["request"].user
        )
        if query
        else [],
        "current": current,
        "tally": acceptance_tally(current) if current else None,
        "signed": signed,
        "may_sign": may_sign,
        "may_name": may_name,
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }


@register.inclusion_tag("execution/_bar.html")
def progress_bar(project: Project) -> dict[str, Any]:
    if project.state not in {State.EXECUTING, State.ACCEPTING, State.EVALUATING}:
        return {"show": False}
    return {"show": True, "schedule": pe.schedule(project)}
