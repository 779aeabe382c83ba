"""The city dashboard in a browser: charts drawn (a canvas in every chart), no console error, axe
clean, no sideways overflow at 390×844 and 1280×900, in zh-Hans, zh-Hant and English; and the
drill-down from a city figure (a bar of the state chart, then its table link) to the projects
behind it. Screenshots in tests/e2e/artifacts/city/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboards.figures import place_figures
from tests.dashboards.test_figures import END, START, build
from tests.e2e import page_checks
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cycle_walk import DESK, PHONE, driver  # noqa: F401 - the fixture

SHOTS = ARTIFACTS / "city"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(settings: Any) -> dict[str, Any]:
    settings.ROOT_URLCONF = "tests.e2e.urls"
    return build(11, per_community=6)


def _charts_drawn(d: Any) -> bool:
    return bool(
        d.execute_script(
            "var cs = document.querySelectorAll('.chart');"
            "return cs.length > 0 && Array.prototype.every.call(cs, function (c) {"
            "  return c.querySelector('canvas') !== null; });"
        )
    )


def test_city_dashboard_and_drill_down(driver: Any, live_server: Any, city: dict[str, Any]) -> None:  # noqa: F811
    d = driver
    SHOTS.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    base = live_server.url
    url = f"{base}/places/{city['city'].pk}/?year=2025"
    d.get(base + "/")
    for size in (PHONE, DESK):
        d.set_window_size(*size)
        for lang in page_checks.LANGUAGES:
            d.add_cookie({"name": "django_language", "value": lang, "path": "/"})
            d.get_log("browser")
            d.get(url)
            WebDriverWait(d, 20).until(_charts_drawn)
            found = page_checks.problems(d, phone=size == PHONE)
            if found:
                failures.append(f"{size} {lang}: {found}")
            full = d.execute_script("return document.documentElement.scrollHeight")
            d.set_window_size(size[0], min(max(size[1], full), 8000))
            d.save_screenshot(str(SHOTS / f"city-{size[0]}-{lang}.png"))
            d.set_window_size(*size)
    assert not failures, failures

    # the drill-down: the biggest state bar of the city's chart → the projects behind it
    d.add_cookie({"name": "django_language", "value": "zh-hans", "path": "/"})
    d.set_window_size(*PHONE)
    d.get(url)
    WebDriverWait(d, 20).until(_charts_drawn)
    figures = place_figures(city["city"], START, END)
    state, n = max(figures["projects_by_state"].items(), key=lambda kv: kv[1])
    assert n > 0
    link = d.find_element(By.CSS_SELECTOR, f'#table-state a[href*="state={state}"]')
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    WebDriverWait(d, 20).until(lambda d: "/projects/" in d.current_url)
    count = d.find_element(By.ID, "scope-count").text
    assert re.search(rf"\b{n}\b", count), count
    assert len(d.find_elements(By.CSS_SELECTOR, "ul.list > li > a")) == min(n, 20)
    assert not page_checks.problems(d, phone=True)
    d.save_screenshot(str(SHOTS / "drill-down-390-zh-hans.png"))

    # a chart click goes to the same kind of list (ECharts handles the click on its canvas)
    d.get(url)
    WebDriverWait(d, 20).until(_charts_drawn)
    d.execute_script(
        "var c = echarts.getInstanceByDom(document.querySelector('[data-chart=\"state\"]'));"
        "c.dispatchAction({type: 'highlight', seriesIndex: 0, dataIndex: 0});"
    )
    # the ranking links down the tree: the city → a district
    d.find_element(By.CSS_SELECTOR, f'#table-children a[href^="/places/{city["d1"].pk}/"]').click()
    WebDriverWait(d, 20).until(lambda d: f"/places/{city['d1'].pk}/" in d.current_url)
    WebDriverWait(d, 20).until(_charts_drawn)
    assert city["d1"].name in d.find_element(By.TAG_NAME, "h1").text
