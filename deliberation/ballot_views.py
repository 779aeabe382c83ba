"""Pages for budget ballots: the rounds of each community, the ballot (phone first, with the
running total against the budget), the committee's forms to create, open and close a round, the
results with their explanation, and the Pabulib export. The rules live in ``deliberation.ballots``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliberation import ballots, pabulib
from deliberation.ballot_models import BudgetRound, BudgetRule, RoundProject
from projects.errors import YishiError
from projects.models import Community, Project, Role
from projects.selectors import communities_of, user_has_role
from projects.web_errors import handle_domain_errors


def _user(request: HttpRequest) -> User:
    """The logged-in user (the views that call this are behind ``login_required``)."""
    assert isinstance(request.user, User)
    return request.user


def _round(request: HttpRequest, pk: int) -> BudgetRound:
    return get_object_or_404(ballots.rounds_visible_to(user=request.user), pk=pk)


def round_list(request: HttpRequest) -> HttpResponse:
    rounds = ballots.rounds_visible_to(user=request.user).order_by("-created_at", "-pk")
    slug = (request.GET.get("community") or "").strip()
    community = Community.objects.filter(slug=slug).first() if slug else None
    if community is not None:
        rounds = rounds.filter(community=community)
    committee_of = [
        c for c in communities_of(request.user) if user_has_role(request.user, c, Role.COMMITTEE)
    ]
    return render(
        request,
        "ballots/round_list.html",
        {
            "rounds": rounds[:200],
            "community": community,
            "communities": Community.objects.all(),
            "committee_of": committee_of,
        },
    )


@login_required
def round_create(request: HttpRequest) -> HttpResponse:
    """The committee drafts a round (and may open it at once)."""
    slug = request.GET.get("community") or request.POST.get("community") or ""
    community = get_object_or_404(Community, slug=slug)
    if not user_has_role(request.user, community, Role.COMMITTEE):
        return render(
            request,
            "error.html",
            {"error": YishiError(_("只有社区党委委员可以发起预算投票")), "back": "/rounds/"},
            status=403,
        )
    candidates = list(ballots.shortlist_candidates(community))
    busy = ballots.busy_project_ids(community)
    available = ballots.fund_available(community)
    form = _round_form_initial(candidates, busy, available)
    error: YishiError | None = None
    status = 200
    if request.method == "POST":
        form.update(_round_form_posted(request.POST))
        try:
            rnd = ballots.round_create(
                community=community,
                by=_user(request),
                title=form["title"],
                description=form["description"],
                rule=form["rule"],
                budget=form["budget"] or None,
                min_votes=form["min_votes"] or 0,
                max_projects=form["max_projects"] or None,
                cost_limited=form["cost_limited"],
                opens_at=form["opens_at"] or None,
                closes_at=form["closes_at"],
                project_ids=form["projects"],
            )
            if request.POST.get("open_now") == "1":
                rnd = ballots.round_open(round=rnd, by=_user(request))
        except YishiError as exc:
            error, status = exc, exc.status
        else:
            messages.success(
                request,
                _("预算投票已开放")
                if rnd.status == BudgetRound.Status.OPEN
                else _("预算投票草稿已保存"),
            )
            return redirect("round-detail", pk=rnd.pk)
    return render(
        request,
        "ballots/round_form.html",
        {
            "community": community,
            "candidates": candidates,
            "busy": busy,
            "available": available,
            "rules": [(r.value, r.label, ballots.RULE_HELP[r]) for r in BudgetRule],
            "form": form,
            "error": error,
        },
        status=status,
    )


def _round_form_initial(
    candidates: list[Project], busy: set[int], available: Decimal | None
) -> dict[str, Any]:
    """The new-round form before anything is posted: every free shortlisted project ticked."""
    return {
        "title": "",
        "description": "",
        "rule": BudgetRule.GREEDY,
        "budget": "" if available is None else str(available),
        "min_votes": "0",
        "max_projects": "",
        "cost_limited": False,
        "opens_at": "",
        "closes_at": timezone.localtime(timezone.now() + timedelta(days=7)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "projects": [str(p.pk) for p in candidates if p.pk not in busy],
    }


def _round_form_posted(post: QueryDict) -> dict[str, Any]:
    """The new-round form's fields as posted (checked by ``ballots.round_create``)."""
    form: dict[str, Any] = {
        k: post.get(k, "")
        for k in ("title", "description", "rule", "budget", "min_votes", "max_projects")
    }
    form.update(
        {
            "opens_at": post.get("opens_at", ""),
            "closes_at": post.get("closes_at", ""),
            "cost_limited": post.get("cost_limited") == "1",
            "projects": post.getlist("projects"),
        }
    )
    return form


def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    user = request.user
    detail = ballots.round_detail(rnd, user=user)
    entries = {e.external_id: e for e in RoundProject.objects.filter(round=rnd)}
    rows = [dict(r, entry=entries[r["external_id"]]) for r in detail["projects"]]
    rows.sort(key=lambda r: (r["entry"].position, r["entry"].pk))
    return render(
        request,
        "ballots/round_detail.html",
        {
            "round": rnd,
            "detail": detail,
            "rows": rows,
            "is_committee": user_has_role(user, rnd.community, Role.COMMITTEE),
            "can_close": ballots.round_can_close(rnd),
            "is_resident": user_has_role(user, rnd.community, Role.RESIDENT),
        },
    )


@login_required
@require_POST
@handle_domain_errors
def round_vote(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    ballots.ballot_cast(round=rnd, by=_user(request), project_ids=request.POST.getlist("projects"))
    messages.success(request, _("选票已提交，感谢参与。您的选择保密，只公开汇总。"))
    return redirect("round-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def round_open(request: HttpRequest, pk: int) -> HttpResponse:
    ballots.round_open(round=_round(request, pk), by=_user(request))
    messages.success(request, _("预算投票已开放"))
    return redirect("round-detail", pk=pk)


@login_required
@require_POST
@handle_domain_errors
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    ballots.round_close(round=_round(request, pk), by=_user(request))
    messages.success(request, _("已计票，结果已公布"))
    return redirect("round-results", pk=pk)


def round_results(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    return render(
        request,
        "ballots/round_results.html",
        {"round": rnd, "results": ballots.round_results(rnd)},
    )


def round_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The closed round as a Pabulib ``.pb`` file (approval), for anyone to recount."""
    rnd = _round(request, pk)
    try:
        election = ballots.round_to_election(rnd)
    except YishiError as exc:
        back = f"/rounds/{rnd.pk}/"
        return render(request, "error.html", {"error": exc, "back": back}, status=exc.status)
    response = HttpResponse(pabulib.dumps(election), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="yishi_round_{rnd.pk}.pb"'
    return response
