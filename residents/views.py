"""Residency pages. Views parse input, call one service, render."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from projects.errors import Forbidden, Invalid, YishiError
from projects.models import Community, Grid, Membership, Project, Role
from projects.selectors import user_has_role
from projects.web_errors import handle_domain_errors
from residents import person_search, register, selectors, services
from residents.models import Declaration, Organisation, RegisterImport, ResidencyEvent


def _errors_shown(view: Any) -> Any:
    """POST: a domain error is shown on the page with its status (``handle_domain_errors``);
    GET: a refusal is the 403 page, not a redirect."""
    on_post = handle_domain_errors(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            return on_post(request, *args, **kwargs)
        response: HttpResponse = view(request, *args, **kwargs)
        return response

    return wrapper


def _user(request: HttpRequest) -> Any:
    return request.user


def _int(value: Any) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() else 0


def _community(slug: str) -> Community:
    return get_object_or_404(Community, slug=slug)


def _clerk_only(request: HttpRequest, community: Community) -> None:
    if not user_has_role(request.user, community, Role.CLERK):
        raise Forbidden(_("只有本社区服务中心可以查看"))


# --- the resident's side -----------------------------------------------------------------------
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "residents/home.html",
        {
            "current": Membership.objects.residents()
            .filter(user_id=user.pk)
            .select_related("community", "grid"),
            "ended": Membership.objects.filter(
                user_id=user.pk, role=Role.RESIDENT, ended_at__isnull=False
            ).select_related("community"),
            "declarations": Declaration.objects.filter(user_id=user.pk)
            .select_related("community", "grid")
            .order_by("-created_at"),
            "clerk_of": selectors.clerk_communities(user),
            "supervises": selectors.supervised_communities(user).exists(),
        },
    )


@login_required
def declare(request: HttpRequest) -> HttpResponse:
    slug = request.POST.get("community") or request.GET.get("community") or ""
    community = Community.objects.filter(slug=slug).first()
    values: dict[str, Any] = {k: request.POST.get(k, "") for k in ("building", "unit", "room")}
    errors: dict[str, list[str]] = {}
    error = ""
    status = 200
    if request.method == "POST" and community is not None:
        grid = Grid.objects.filter(community=community, pk=request.POST.get("grid") or 0).first()
        try:
            services.declaration_create(
                by=request.user,
                community=community,
                grid=grid,
                photo=request.FILES.get("photo"),
                **values,
            )
        except YishiError as exc:
            error, status = exc.message, exc.status
            errors = getattr(exc, "errors", {}) or {}
        else:
            messages.success(request, _("已提交，请等待社区核验"))
            return redirect("residents:home")
    elif request.method == "POST":
        error, status = _("请选择社区"), 400
    return render(
        request,
        "residents/declare.html",
        {
            "community": community,
            "communities": Community.objects.all() if community is None else [],
            "grids": Grid.objects.filter(community=community) if community else [],
            "values": values,
            "errors": errors,
            "error": error,
            "selected_grid": request.POST.get("grid", ""),
        },
        status=status,
    )


@require_POST
@login_required
@handle_domain_errors
def membership_end(request: HttpRequest, pk: int) -> HttpResponse:
    m = get_object_or_404(Membership, pk=pk, role=Role.RESIDENT)
    own = m.user_id == request.user.pk
    if not own and (
        m.community is None or not user_has_role(request.user, m.community, Role.CLERK)
    ):
        raise Http404
    services.membership_end(membership=m, by=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, _("已迁出") if own else _("已终止该居民身份"))
    if own:
        return redirect("residents:home")
    assert m.community is not None
    return redirect("residents:queue", slug=m.community.slug)


# --- the clerk's queue -------------------------------------------------------------------------
@login_required
@_errors_shown
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    community = _community(slug)
    _clerk_only(request, community)
    q = (request.GET.get("q") or "").strip()
    residents = (
        Membership.objects.residents()
        .filter(community=community)
        .select_related("user", "grid")
        .order_by("household", "user__username")
    )
    if q:
        residents = residents.filter(user__username__icontains=q) | residents.filter(
            household__icontains=q
        )
    page = Paginator(residents, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "residents/queue.html",
        {
            "community": community,
            "pending": selectors.pending_declarations(community),
            "residents": page,
            "q": q,
            "events": ResidencyEvent.objects.filter(community=community)
            .select_related("actor", "subject")
            .order_by("-at")[:20],
        },
    )


@require_POST
@login_required
@handle_domain_errors
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    d = get_object_or_404(Declaration.objects.select_related("community"), pk=pk)
    services.declaration_approve(
        declaration=d, by=request.user, household=request.POST.get("household", "")
    )
    messages.success(request, _("已核验通过"))
    return redirect("residents:queue", slug=d.community.slug)


@require_POST
@login_required
@handle_domain_errors
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    d = get_object_or_404(Declaration.objects.select_related("community"), pk=pk)
    services.declaration_refuse(declaration=d, by=request.user, reason=request.POST.get("reason"))
    messages.success(request, _("已退回，并告知申请人原因"))
    return redirect("residents:queue", slug=d.community.slug)


@login_required
def declaration_photo(request: HttpRequest, pk: int) -> FileResponse:
    """The lease or certificate photo, to the community's clerks only; never a public URL."""
    d = get_object_or_404(Declaration.objects.select_related("community"), pk=pk)
    if not services.photo_readable_by(request.user, d) or not d.photo:
        raise Http404
    response = FileResponse(d.photo.open("rb"))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the household register --------------------------------------------------------------------
@login_required
@_errors_shown
def register_upload(request: HttpRequest, slug: str) -> HttpResponse:
    community = _community(slug)
    _clerk_only(request, community)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            imp = register.upload(
                by=request.user, community=community, file=request.FILES.get("file")
            )
        except YishiError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect("residents:register-preview", slug=slug, pk=imp.pk)
    return render(
        request,
        "residents/register_upload.html",
        {
            "community": community,
            "error": error,
            "entries": community.register.count(),
        },
        status=status,
    )


@login_required
@_errors_shown
def register_preview(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = _community(slug)
    _clerk_only(request, community)
    imp = get_object_or_404(RegisterImport, pk=pk, community=community)
    if request.method == "POST":
        done = register.confirm(by=request.user, imp=imp)
        messages.success(
            request,
            _("已导入：新增 %(c)d 人，更新 %(u)d 人，核验已注册居民 %(v)d 人")
            % {"c": done.created_count, "u": done.updated_count, "v": done.verified_count},
        )
        return redirect("residents:register", slug=slug)
    if imp.confirmed_at is not None:
        return redirect("residents:register", slug=slug)
    result = register.preview(imp)
    return render(
        request,
        "residents/register_preview.html",
        {
            "community": community,
            "imp": imp,
            "preview": result,
            "changes": [r for r in result.rows if r.action in ("create", "update")][:50],
        },
    )


# --- resident units ----------------------------------------------------------------------------
def _unit_person(request: HttpRequest, unit: Organisation, action: str | None) -> Any:
    """Whom a representative or seat action is for: the person searched, or a representative."""
    person = person_search.chosen(request, None) if action == "representative" else None
    if action == "seat":
        person = unit.representatives.filter(pk=_int(request.POST.get("user"))).first()
    if person is None and action in ("representative", "seat"):
        raise Invalid(_("请先搜索并选择一人"), errors={"user": [_("请选择")]})
    return person


def _unit_contribute(request: HttpRequest, community: Community, unit: Organisation) -> None:
    """Record the unit's co-funding of one of the community's projects."""
    project = get_object_or_404(Project, pk=request.POST.get("project") or 0, community=community)
    services.unit_contribution_record(
        by=request.user,
        unit=unit,
        project=project,
        amount=request.POST.get("amount"),
        memo=request.POST.get("memo", ""),
    )
    messages.success(request, _("已登记共建资金"))


def _unit_post(request: HttpRequest, community: Community) -> None:
    """Do what the units page posted: register a unit, add a representative, grant a seat or
    record co-funding."""
    action = request.POST.get("action")
    if action == "create":
        services.unit_create(
            by=request.user,
            community=community,
            name=request.POST.get("name"),
            kind=request.POST.get("kind"),
        )
        messages.success(request, _("已登记驻区单位"))
        return
    unit = get_object_or_404(Organisation, pk=request.POST.get("unit") or 0, community=community)
    person = _unit_person(request, unit, action)
    if action == "representative":
        services.unit_representative_add(by=request.user, unit=unit, user=person)
        messages.success(request, _("已添加代表"))
    elif action == "seat":
        services.unit_seat_grant(by=request.user, unit=unit, representative=person)
        messages.success(request, _("已授予党委席位"))
    elif action == "contribute":
        _unit_contribute(request, community, unit)


@login_required
@_errors_shown
def units(request: HttpRequest, slug: str) -> HttpResponse:
    community = _community(slug)
    is_clerk = user_has_role(request.user, community, Role.CLERK)
    is_supervisor = user_has_role(request.user, community, Role.SUPERVISOR)
    if not (is_clerk or is_supervisor):
        raise Forbidden(_("只有本社区服务中心或街道监督可以查看"))
    if request.method == "POST":
        _unit_post(request, community)
        return redirect("residents:units", slug=slug)
    return render(
        request,
        "residents/units.html",
        {
            "community": community,
            "units": selectors.units_of(community),
            "kinds": Organisation.Kind.choices,
            "is_clerk": is_clerk,
            "is_supervisor": is_supervisor,
            "projects": Project.objects.filter(community=community).order_by("-pk")[:50],
            "picker": person_search.picker(
                request,
                Community.objects.filter(pk=community.pk),
                form_id="representative-form",
                anyone_by_number=True,
            ),
        },
    )


# --- staff roles (the street's supervisor) -----------------------------------------------------
@login_required
@_errors_shown
def staff(request: HttpRequest) -> HttpResponse:
    communities = selectors.supervised_communities(request.user)
    if not communities.exists():
        raise Forbidden(_("只有街道监督可以管理工作人员角色"))
    if request.method == "POST":
        if request.POST.get("action") == "end":
            m = get_object_or_404(
                Membership, pk=request.POST.get("membership") or 0, community__in=communities
            )
            services.role_end(by=request.user, membership=m, reason=request.POST.get("reason"))
            messages.success(request, _("已终止该角色"))
        else:
            community = get_object_or_404(communities, slug=request.POST.get("community", ""))
            person = person_search.chosen(request, None)
            if person is None:
                raise Invalid(_("请先搜索并选择一人"), errors={"user": [_("请选择")]})
            services.role_grant(
                by=request.user, user=person, role=request.POST.get("role"), community=community
            )
            messages.success(request, _("已授予角色"))
        return redirect("residents:staff")
    return render(
        request,
        "residents/staff.html",
        {
            "communities": communities,
            "roles": [(r.value, r.label) for r in services.STAFF_ROLES],
            "current": selectors.staff_memberships(communities),
            "ended": selectors.staff_memberships(communities, ended=True)[:30],
            "picker": person_search.picker(
                request, communities, form_id="grant-form", anyone_by_number=True
            ),
        },
    )
