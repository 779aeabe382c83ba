"""The dashboard pages: public figures with charts and tables, CSV per table, drill-down to the
projects behind a figure, the supervisor's extra overdue card."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from django.test import Client

from dashboards.figures import place_figures
from projects.models import Membership, Role
from tests.conftest import make_user
from tests.dashboards.test_figures import END, START, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def city() -> dict[str, Any]:
    return build(7, per_community=5)


def test_places_leads_to_the_top_of_the_tree(client: Client, city: dict[str, Any]) -> None:
    response = client.get("/places/?year=2025")
    assert response.status_code == 302
    assert response["Location"] == f"/places/{city['city'].pk}/?year=2025"


def test_dashboard_is_public_with_a_chart_and_table_per_figure(
    client: Client, city: dict[str, Any]
) -> None:
    response = client.get(f"/places/{city['city'].pk}/?year=2025")
    assert response.status_code == 200
    html = response.content.decode()
    charts = json.loads(
        re.search(
            r'<script id="dashboard-charts" type="application/json">(.*?)</script>', html, re.S
        ).group(1)  # type: ignore[union-attr]
    )
    ids = {c["id"] for c in charts}
    assert {"state", "category", "money", "cofunding", "evaluation", "stages", "children"} <= ids
    for c in charts:
        assert f'data-chart="{c["id"]}"' in html and f'id="table-{c["id"]}"' in html
    figures = place_figures(city["city"], START, END)
    state_chart = next(c for c in charts if c["id"] == "state")
    assert sum(state_chart["values"][0]) == figures["projects"]
    # the ranking links down the tree
    assert f'href="/places/{city["d1"].pk}/?year=2025"' in html
    assert "逾期待办" not in html  # not a supervisor


def test_csv_of_a_table(client: Client, city: dict[str, Any]) -> None:
    response = client.get(f"/places/{city['city'].pk}/state.csv?year=2025")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    figures = place_figures(city["city"], START, END)
    assert sum(int(r[1]) for r in rows[1:]) == figures["projects"]
    assert client.get(f"/places/{city['city'].pk}/nope.csv").status_code == 404


def test_a_figure_links_to_the_projects_behind_it(client: Client, city: dict[str, Any]) -> None:
    figures = place_figures(city["d1"], START, END)
    state, n = max(figures["projects_by_state"].items(), key=lambda kv: kv[1])
    html = client.get(f"/places/{city['d1'].pk}/?year=2025").content.decode()
    link = re.search(rf'href="(/projects/\?place={city["d1"].pk}[^"]*state={state}[^"]*)"', html)
    assert link is not None
    listing = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert re.search(rf'id="scope-count">共 {n} 个项目<', listing), listing[-2000:]


def test_supervisor_of_the_place_sees_overdue_tasks(client: Client, city: dict[str, Any]) -> None:
    boss = make_user("district_boss")
    Membership.objects.create(user=boss, role=Role.SUPERVISOR, place=city["d1"])
    client.force_login(boss)
    assert "逾期待办" in client.get(f"/places/{city['s1'].pk}/").content.decode()
    assert "逾期待办" not in client.get(f"/places/{city['d2'].pk}/").content.decode()


@pytest.mark.parametrize("query", ["?month=2025-03", "?from=2025-02-01&to=2025-04-30", "?year=x"])
def test_periods(client: Client, city: dict[str, Any], query: str) -> None:
    assert client.get(f"/places/{city['city'].pk}/{query}").status_code == 200
