"""The project list's filters that a dashboard figure links to: ``place`` (everything below a
place), ``category``, ``from``/``to`` (submitted in the period: the figures' "period's projects")
and ``closed_from``/``closed_to`` (closed in the period: finished, evaluated)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from projects.models import Project
from projects.models.places import Place, under_q

SCOPE_KEYS = ("place", "category", "from", "to", "closed_from", "closed_to")


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """``[start 00:00, end+1 00:00)`` in the site's time zone (the dashboards' periods too)."""
    tz = timezone.get_default_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz)
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    return lo, hi


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def dashboard_scope(
    qs: QuerySet[Project], params: QueryDict
) -> tuple[QuerySet[Project], dict[str, Any]]:
    """``qs`` narrowed by the dashboard filters in ``params``, and what the page shows of them."""
    kept: dict[str, str] = {}
    place = None
    pk = params.get("place") or ""
    if pk.isdigit():
        place = Place.objects.filter(pk=int(pk)).first()
        if place is not None:
            qs = qs.filter(under_q(place))
            kept["place"] = pk
    category = params.get("category") or ""
    if category in Project.Category.values:
        qs = qs.filter(category=category)
        kept["category"] = category
    for lo_key, hi_key, field in (
        ("from", "to", "submitted_at"),
        ("closed_from", "closed_to", "closed_at"),
    ):
        lo, hi = _date(params.get(lo_key)), _date(params.get(hi_key))
        if lo and hi and lo <= hi:
            start, end = period_bounds(lo, hi)
            qs = qs.filter(**{f"{field}__gte": start, f"{field}__lt": end})
            kept[lo_key], kept[hi_key] = lo.isoformat(), hi.isoformat()
    return qs, {
        "scope": kept,
        "scope_place": place,
        "scope_query": urlencode(kept),
        "scope_category": Project.Category(category).label if "category" in kept else "",
    }
