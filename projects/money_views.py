"""Money pages: the public monthly statement (公示栏) with CSV, the supervisors' street view and
fund admin, a project's full ledger, and the clerk's forms (expenditure, co-funding, reversal).

Views parse input, call one service (``projects.ledger``), render. Domain errors come back as a
message on the page with their status code (400 / 403 / 409).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from projects import ledger
from projects.errors import Forbidden, YishiError
from projects.models import (
    EntryKind,
    Fund,
    LedgerEntry,
    Project,
    Role,
)
from projects.models.membership import supervised_places, supervised_q
from projects.models.places import Place
from projects.money_forms import CofundingForm, ExpenditureForm, FundForm, ReverseForm
from projects.selectors import projects_visible_to, user_has_role
from projects.web_errors import attach_to_form, handle_domain_errors

ENTRIES_PER_PAGE = 50


# --- helpers --------------------------------------------------------------------------------
def _this_month() -> date:
    today = timezone.localdate()
    return date(today.year, today.month, 1)


def _month(value: str) -> date:
    try:
        return ledger.parse_month(value)
    except YishiError:
        raise Http404(_("月份格式应为 YYYY-MM")) from None


def _error(request: HttpRequest, exc: YishiError, back: str) -> HttpResponse:
    return render(request, "error.html", {"error": exc, "back": back}, status=exc.status)


def _project_url(project: Project) -> str:
    try:
        return reverse("project-detail", args=[project.pk]) + "#money"
    except NoReverseMatch:  # pragma: no cover - the project page is wired in config.urls
        return reverse("money-project", args=[project.pk])


def _supervised_streets(user: Any) -> list[Place]:
    """The places (streets, districts, …) the user supervises."""
    return list(supervised_places(user).order_by("name"))


def _csv_response(text: str, filename: str) -> HttpResponse:
    # UTF-8 with a byte-order mark so spreadsheet programs read the Chinese correctly
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _wants_csv(request: HttpRequest, fmt: str | None) -> bool:
    return fmt == "csv" or request.GET.get("format") == "csv"


# --- fund admin (supervisors of the street) ---------------------------------------------------
@login_required
def fund_list(request: HttpRequest) -> HttpResponse:
    streets = _supervised_streets(request.user)
    if not streets:
        return _error(request, Forbidden(_("只有街道监督人员可以管理公益事业经费")), "/")
    funds = list(
        Fund.objects.filter(supervised_q(request.user))
        .select_related("community", "community__place__parent")
        .order_by("community__place__parent__name", "community__name", "-year")
    )
    balances = ledger.balances_by(LedgerEntry.objects.filter(fund__in=funds), "fund_id")
    rows = [(f, balances.get(f.pk, ledger.Balances())) for f in funds]
    return render(
        request,
        "money/fund_list.html",
        {"rows": rows, "streets": streets, "this_month": _this_month()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def fund_create(request: HttpRequest) -> HttpResponse:
    streets = _supervised_streets(request.user)
    if not streets:
        return _error(request, Forbidden(_("只有街道监督人员可以设立经费")), "/")
    form = FundForm(
        request.POST or None, user=request.user, initial={"year": timezone.localdate().year}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                fund = ledger.fund_create(
                    community=data["community"],
                    year=data["year"],
                    by=request.user,
                    name=data["name"],
                    amount=data["amount"],
                    carry_over=data["carry_over"],
                )
            except YishiError as exc:
                attach_to_form(form, exc)
                status = exc.status
            else:
                return redirect("money-fund", pk=fund.pk)
        else:
            status = 400
    return render(
        request,
        "money/form.html",
        {"form": form, "title": _("设立公益事业经费"), "back": reverse("money-funds")},
        status=status,
    )


def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(
        Fund.objects.select_related("community", "community__place__parent"), pk=pk
    )
    balances = ledger.fund_balances(fund)
    entries = (
        LedgerEntry.objects.filter(fund=fund)
        .select_related("project", "actor", "reversed_by", "fund__community")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    supervisor = user_has_role(request.user, fund.community, Role.SUPERVISOR)
    return render(
        request,
        "money/fund_detail.html",
        {
            "fund": fund,
            "b": balances,
            "page": page,
            "supervisor": supervisor,
            "can_carry_over": supervisor
            and fund.year < timezone.localdate().year
            and balances.available > 0,
        },
    )


@login_required
@require_POST
@handle_domain_errors
def fund_appropriate(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(Fund, pk=pk)
    ledger.appropriate(
        fund=fund,
        amount=request.POST.get("amount", ""),
        by=request.user,
        memo=request.POST.get("memo", ""),
    )
    return redirect("money-fund", pk=fund.pk)


@login_required
@require_POST
@handle_domain_errors
def fund_carry_over(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(Fund, pk=pk)
    entry = ledger.fund_carry_over(fund=fund, by=request.user)
    return redirect("money-fund", pk=entry.fund_id)


# --- a project's money --------------------------------------------------------------------
def project_money(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    return render(
        request,
        "money/project_money.html",
        {"project": project, "project_url": _project_url(project)},
    )


def _clerk_or_403(request: HttpRequest, project: Project) -> HttpResponse | None:
    if not user_has_role(request.user, project.community, Role.CLERK):
        return _error(
            request, Forbidden(_("只有社区服务中心工作人员可以记账")), _project_url(project)
        )
    return None


def _form_page(
    request: HttpRequest, form: forms.Form, title: str, back: str, status: int, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "money/form.html",
        {"form": form, "title": title, "back": back, **extra},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def expenditure_new(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(
        projects_visible_to(user=request.user).select_related("community"), pk=pk
    )
    denied = _clerk_or_403(request, project)
    if denied:
        return denied
    form = ExpenditureForm(
        request.POST or None,
        request.FILES or None,
        initial={"paid_on": timezone.localdate().isoformat()},
    )
    milestones = form.fields["milestone"]
    assert isinstance(milestones, forms.ChoiceField)
    milestones.choices = [("", "—")] + [(str(m.pk), m.name) for m in project.milestones.all()]
    status = 200
    if request.method == "POST":
        try:
            ledger.expenditure_record(
                project=project,
                by=request.user,
                amount=request.POST.get("amount", ""),
                payee=request.POST.get("payee", ""),
                paid_on=request.POST.get("paid_on", ""),
                receipt=request.FILES.get("receipt"),
                memo=request.POST.get("memo", ""),
                milestone=request.POST.get("milestone") or None,
            )
        except YishiError as exc:
            form.is_valid()
            attach_to_form(form, exc)
            status = exc.status
        else:
            return redirect(_project_url(project))
    title = _("记录支出：%(title)s") % {"title": project.title}
    return _form_page(
        request, form, title, _project_url(project), status, project=project, multipart=True
    )


@login_required
@require_http_methods(["GET", "POST"])
def cofunding_new(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(
        projects_visible_to(user=request.user).select_related("community"), pk=pk
    )
    denied = _clerk_or_403(request, project)
    if denied:
        return denied
    form = CofundingForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "kind": request.GET.get("kind", "receipt"),
            "paid_on": timezone.localdate().isoformat(),
        },
    )
    status = 200
    if request.method == "POST":
        try:
            common: dict[str, Any] = {
                "project": project,
                "by": request.user,
                "amount": request.POST.get("amount", ""),
                "contributor": request.POST.get("contributor", ""),
                "contributor_kind": request.POST.get("contributor_kind", ""),
                "in_kind": request.POST.get("in_kind", ""),
                "in_kind_description": request.POST.get("in_kind_description", ""),
                "memo": request.POST.get("memo", ""),
            }
            if request.POST.get("kind") == "pledge":
                ledger.cofund_pledge(**common)
            else:
                ledger.cofund_receive(
                    **common,
                    paid_on=request.POST.get("paid_on") or None,
                    receipt=request.FILES.get("receipt"),
                )
        except YishiError as exc:
            form.is_valid()
            attach_to_form(form, exc)
            status = exc.status
        else:
            return redirect(_project_url(project))
    title = _("登记共建：%(title)s") % {"title": project.title}
    return _form_page(
        request, form, title, _project_url(project), status, project=project, multipart=True
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(
        LedgerEntry.objects.select_related("fund__community", "project", "actor"), pk=pk
    )
    back = (
        _project_url(entry.project)
        if entry.project
        else reverse("money-fund", args=[entry.fund_id])
    )
    role = ledger.REVERSIBLE_BY.get(entry.kind)
    if role is None or not user_has_role(request.user, entry.fund.community, role):
        return _error(request, Forbidden(_("您没有权限冲正这笔分录")), back)
    form = ReverseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            ledger.entry_reverse(
                entry=entry, by=request.user, reason=request.POST.get("reason", "")
            )
        except YishiError as exc:
            form.is_valid()
            attach_to_form(form, exc)
            status = exc.status
        else:
            return redirect(back)
    title = _("冲正分录 #%(id)s（%(kind)s %(amount)s 元）") % {
        "id": entry.pk,
        "kind": EntryKind(entry.kind).label,
        "amount": entry.amount,
    }
    return _form_page(request, form, title, back, status, entry=entry)
