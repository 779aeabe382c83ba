"""The dashboard of a place: its figures for a period, as charts (ECharts, configured from a JSON
script tag by ``static/js/dashboard.js``) each with its table, a CSV of that table and links to
the projects behind every figure. Public; a supervisor of the place also sees overdue tasks."""

from __future__ import annotations

import calendar
import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import npgettext

from dashboards.figures import place_figures
from deliberation.models import EvaluationChoice
from projects.models import Project, State
from projects.models.membership import supervises
from projects.models.places import Place, PlaceKind


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    mode: str  # year / month / range

    @property
    def query(self) -> dict[str, str]:
        if self.mode == "year":
            return {"year": str(self.start.year)}
        if self.mode == "month":
            return {"month": f"{self.start:%Y-%m}"}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def period_of(request: HttpRequest) -> Period:
    """From ``?from=&to=`` (custom), ``?month=YYYY-MM`` or ``?year=YYYY``; else this year."""
    g = request.GET
    lo, hi = _parse_date(g.get("from")), _parse_date(g.get("to"))
    if lo and hi and lo <= hi and (hi - lo).days <= 366 * 10:
        return Period(lo, hi, "range")
    month = g.get("month") or ""
    try:
        y, m = (int(x) for x in month.split("-"))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return Period(date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]), "month")
    except ValueError:
        pass
    try:
        year = int(g.get("year") or "")
    except ValueError:
        year = timezone.localdate().year
    if not 2000 <= year <= 2100:
        year = timezone.localdate().year
    return Period(date(year, 1, 1), date(year, 12, 31), "year")


def place_top(request: HttpRequest) -> HttpResponse:
    """The top of the tree (the city); with several roots, the first in the tree's order."""
    top = Place.objects.roots().order_by("path").first()
    if top is None:
        raise Http404
    target = reverse("place-dashboard", args=[top.pk])
    if request.GET:
        target += "?" + request.GET.urlencode()
    return redirect(target)


def _projects_url(place: Place, period: Period | None, **filters: str) -> str:
    params = {"place": str(place.pk), **filters}
    if period is not None and "closed_from" not in filters:
        params.update({"from": period.start.isoformat(), "to": period.end.isoformat()})
    return reverse("project-list") + "?" + urlencode(params)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: Any) -> str:
    return "—" if value is None else str(value)


Row = tuple[str, list[Any], str]


def _table(
    id: str, title: str, columns: list[str], rows: list[Row], chart: str, series: list[str]
) -> dict[str, Any]:
    return {
        "id": id,
        "title": title,
        "columns": columns,
        "rows": rows,
        "chart": chart,
        "series": series,
    }


def _project_tables(place: Place, figures: dict[str, Any], period: Period) -> list[dict[str, Any]]:
    """Projects by state and by category, each row linking to the projects it counts."""
    by_state: list[Row] = [
        (str(State(s).label), [n], _projects_url(place, period, state=s))
        for s, n in figures["projects_by_state"].items()
    ]
    by_category: list[Row] = [
        (str(Project.Category(c).label), [n], _projects_url(place, period, category=c))
        for c, n in figures["projects_by_category"].items()
    ]
    return [
        _table(
            "state", _("各状态项目数"), [_("状态"), _("项目数")], by_state, "bar", [_("项目数")]
        ),
        _table(
            "category",
            _("各类别项目数"),
            [_("类别"), _("项目数")],
            by_category,
            "pie",
            [_("项目数")],
        ),
    ]


def _money_tables(place: Place, figures: dict[str, Any], period: Period) -> list[dict[str, Any]]:
    """The period's money movements, and co-funding by contributor kind."""
    labels = {
        "appropriated": _("经费总额"),
        "allocated": _("已分配"),
        "released": _("已拨付"),
        "spent": _("已支出"),
        "returned": _("已退回"),
    }
    money: list[Row] = [
        (labels[key], [figures["money"][key]], _projects_url(place, period)) for key in labels
    ]
    kinds = {"unit": _("驻区单位"), "company": _("企业"), "resident": _("居民"), "": _("未注明")}
    cofunding: list[Row] = [
        (kinds.get(k, k), [v["pledged"], v["received"]], _projects_url(place, period))
        for k, v in figures["cofunding_by_kind"].items()
    ]
    amount = _("金额（元）")
    return [
        _table("money", _("本期经费收支（元）"), [_("科目"), amount], money, "bar", [amount]),
        _table(
            "cofunding",
            _("社会共建（元）"),
            [_("共建方类型"), _("共建认捐"), _("共建到账")],
            cofunding,
            "bar",
            [_("共建认捐"), _("共建到账")],
        ),
    ]


def _outcome_tables(place: Place, figures: dict[str, Any], period: Period) -> list[dict[str, Any]]:
    """The evaluation's ballots by choice, and the median days per stage."""
    closed = {"closed_from": period.start.isoformat(), "closed_to": period.end.isoformat()}
    ev = figures["evaluation"]
    ballots: list[Row] = [
        (str(EvaluationChoice(c).label), [ev[c]], _projects_url(place, None, **closed))
        for c in EvaluationChoice.values
    ]
    stages: list[Row] = [
        (
            str(State(s).label),
            [d, figures["stays_by_stage"][s]],
            _projects_url(place, period, state=s),
        )
        for s, d in figures["median_days_by_stage"].items()
    ]
    return [
        _table(
            "evaluation", _("群众评议结果"), [_("评价"), _("票数")], ballots, "pie", [_("票数")]
        ),
        _table(
            "stages",
            _("各阶段用时中位数（天）"),
            [_("阶段"), _("中位数（天）"), _("次数")],
            stages,
            "bar",
            [_("中位数（天）")],
        ),
    ]


def _children_table(figures: dict[str, Any], period: Period) -> dict[str, Any]:
    """The places right below, ranked, each row linking to its own dashboard."""
    rows: list[Row] = [
        (
            c["name"],
            [
                c["projects"],
                c["spent"],
                _pct(c["satisfaction_rate"]),
                _pct(c["turnout"]),
                _pct(c["on_time_share"]),
            ],
            reverse("place-dashboard", args=[c["id"]]) + "?" + urlencode(period.query),
        )
        for c in figures["children"]
    ]
    columns = [_("地区"), _("项目数"), _("已支出"), _("满意率"), _("参与率"), _("按期完成率")]
    return _table("children", _("下级地区排名"), columns, rows, "bar", [_("项目数")])


def tables(place: Place, figures: dict[str, Any], period: Period) -> list[dict[str, Any]]:
    """Each chart's table: a title, column headers, rows (label, values, link) and the chart."""
    return [
        *_project_tables(place, figures, period),
        *_money_tables(place, figures, period),
        *_outcome_tables(place, figures, period),
        _children_table(figures, period),
    ]


def _csv_value(v: Any) -> str:
    return "" if v is None else str(v)


def _context(request: HttpRequest, place: Place) -> dict[str, Any]:
    period = period_of(request)
    supervisor = supervises(request.user, place)
    figures = place_figures(place, period.start, period.end, supervisor=supervisor)
    return {
        "place": place,
        "period": period,
        "figures": figures,
        "supervisor": supervisor,
        "tables": tables(place, figures, period),
    }


def place_csv(request: HttpRequest, pk: int, table: str) -> HttpResponse:
    place = get_object_or_404(Place, pk=pk)
    ctx = _context(request, place)
    found = next((t for t in ctx["tables"] if t["id"] == table), None)
    if found is None:
        raise Http404
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(found["columns"])
    for label, values, _link in found["rows"]:
        writer.writerow([label, *(_csv_value(v) for v in values)])
    period = ctx["period"]
    name = f"place-{place.pk}-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def place_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    place = get_object_or_404(Place, pk=pk)
    ctx = _context(request, place)
    period: Period = ctx["period"]
    figures = ctx["figures"]
    ancestors = list(
        Place.objects.filter(pk__in=place.ancestor_ids()).exclude(pk=place.pk).order_by("path")
    )
    kpis = _kpis(place, figures, period)
    charts = [_chart(t) for t in ctx["tables"]]
    today = timezone.localdate()
    ctx.update(
        {
            "ancestors": ancestors,
            "kpis": kpis,
            "charts": charts,
            "years": list(range(today.year, today.year - 6, -1)),
            "period_query": urlencode(period.query),
            "kind_label": PlaceKind(place.kind).label,
        }
    )
    return render(request, "dashboards/place.html", ctx)


def _chart_number(v: Any) -> float | int | None:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, int):
        return v
    return None


def _kpis(
    place: Place, figures: dict[str, Any], period: Period
) -> list[tuple[str, Any, str | None]]:
    """The headline figures: a label, the figure and the projects behind it."""
    closed = {"closed_from": period.start.isoformat(), "closed_to": period.end.isoformat()}
    return [
        # A count with its noun: plural-correct in English ("1 community", "5 communities").
        (
            npgettext("看板计数", "社区", "社区", figures["communities"]),
            figures["communities"],
            None,
        ),
        (
            npgettext("看板计数", "项目", "项目", figures["projects"]),
            figures["projects"],
            _projects_url(place, period),
        ),
        (
            _("受益人数（估计）"),
            figures["people_served"],
            _projects_url(place, period, state=State.CLOSED),
        ),
        (_("已支出（元）"), figures["money"]["spent"], _projects_url(place, period)),
        (_("满意率"), _pct(figures["satisfaction_rate"]), _projects_url(place, None, **closed)),
        (_("参与率"), _pct(figures["turnout"]), _projects_url(place, None, **closed)),
        (
            _("按期完成率"),
            _pct(figures["on_time_share"]),
            _projects_url(place, None, state=State.CLOSED, **closed),
        ),
    ]


def _chart(t: dict[str, Any]) -> dict[str, Any]:
    """The ECharts configuration of one table."""
    return {
        "id": t["id"],
        "type": t["chart"],
        "title": t["title"],
        "series": t["series"],
        "labels": [r[0] for r in t["rows"]],
        "values": [[_chart_number(r[1][i]) for r in t["rows"]] for i in range(len(t["series"]))],
        "links": [r[2] for r in t["rows"]],
    }
