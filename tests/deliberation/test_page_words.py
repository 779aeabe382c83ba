"""Three things a person reads on the pages, in the three languages:

- the 当前环节 card: a resident (or a visitor) reads what happens next in plain words, staff keep
  the workflow's task and its deadline;
- dates stay whole on a phone (one no-wrap span each);
- a count on the dashboard agrees with its noun ("1 community", "5 communities").
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from deliberation import actions, services, workflow
from projects.models import Community
from projects.models.places import Place, PlaceKind
from tests.conftest import new_project
from tests.dashboards.test_figures import build

pytestmark = pytest.mark.django_db

NEXT = {
    "zh-hans": "服务中心正在估算费用、核实地点和工期，之后交给居民议事会商量。",
    "zh-hant": "服務中心正在估算費用、核實地點和工期，之後交給居民議事會商量。",
    "en": "The service center is estimating the cost and checking the place",
}
STAFF_TASK = {"zh-hans": "可行性评估", "zh-hant": "可行性評估", "en": "Feasibility assessment"}
DEADLINE = {"zh-hans": "期限", "zh-hant": "期限", "en": "Due"}


def _steps_card(html: str) -> str:
    found = re.search(r'<section class="card" id="steps">(.*?)</section>', html, re.S)
    assert found, "the 当前环节 card is on the page"
    return found.group(1)


@pytest.fixture
def assessing(community: Community, cast: dict[str, Any], fund: Any, make_resident: Any) -> Any:
    """A project in the workflow at the clerk's assessment (a task with a deadline)."""
    p = new_project(community, cast["resident"], submit=True)
    for _ in range(community.cosign_threshold):
        services.cosign_add(project=p, by=make_resident())
    p = actions.act(project=p, name="accept", by=cast["clerk"])
    assert [i.task.flow_task.name for i in workflow.project_tasks(p)] == ["assess"]
    return p


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_resident_reads_what_happens_next_in_plain_words(
    assessing: Any, cast: dict[str, Any], client_for: Any, language: str
) -> None:
    html = (
        client_for(cast["resident"])
        .get(f"/projects/{assessing.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    card = _steps_card(html)
    assert NEXT[language] in card
    assert STAFF_TASK[language] not in card and DEADLINE[language] not in card


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_a_visitor_reads_the_same_plain_words(assessing: Any, language: str) -> None:
    html = Client().get(f"/projects/{assessing.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert NEXT[language] in _steps_card(html.content.decode())


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_staff_keep_the_task_and_its_deadline(
    assessing: Any, cast: dict[str, Any], client_for: Any, language: str
) -> None:
    html = (
        client_for(cast["clerk"])
        .get(f"/projects/{assessing.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    card = _steps_card(html)
    assert STAFF_TASK[language] in card and NEXT[language] not in card


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_dates_on_the_project_page_are_one_unbreakable_span(
    assessing: Any, cast: dict[str, Any], client_for: Any, language: str
) -> None:
    html = (
        client_for(cast["clerk"])
        .get(f"/projects/{assessing.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    moments = re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", html)
    assert moments, "the page shows when things happened"
    wrapped = re.findall(r'<span class="nowrap">(\d{4}-\d{2}-\d{2} \d{2}:\d{2})</span>', html)
    assert len(wrapped) == len(moments), "every date-and-time is kept on one line"


def _tiles(html: str) -> dict[str, int]:
    found = re.findall(r"<strong>(\d+)</strong><span>([^<]+)</span>", html)
    return {label: int(value) for value, label in found}


@pytest.mark.parametrize(
    ("language", "one", "many"),
    [("zh-hans", "社区", "社区"), ("zh-hant", "社區", "社區"), ("en", "community", "communities")],
)
def test_dashboard_counts_agree_with_their_noun(language: str, one: str, many: str) -> None:
    city = build(7, per_community=2)["city"]
    html = Client().get(f"/places/{city.pk}/?year=2025", HTTP_ACCEPT_LANGUAGE=language)
    tiles = _tiles(html.content.decode())
    many_count = Place.objects.filter(kind=PlaceKind.COMMUNITY).count()
    assert many_count > 1 and tiles.get(many) == many_count, tiles
    community = Place.objects.filter(kind=PlaceKind.COMMUNITY).order_by("pk").first()
    assert community is not None
    html = Client().get(f"/places/{community.pk}/?year=2025", HTTP_ACCEPT_LANGUAGE=language)
    tiles = _tiles(html.content.decode())
    assert tiles.get(one) == 1, tiles
