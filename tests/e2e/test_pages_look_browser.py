"""The pages in headless Chromium, as each role, at phone size (390×844) and desk size (1280×900),
in 简体, 繁體 and English: every visible button and link-button has text contrast ≥ 4.5:1
(computed from the rendered styles), nothing overflows sideways on the phone, no console error,
no serious or critical axe-core violation (the checks of ``page_checks``, shared with the page
walk), and the phone header is one bar whose menu opens. Screenshots go to
tests/e2e/artifacts/pages_look/ — look at them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import new_project
from tests.e2e import page_checks
from tests.projects.money_helpers import walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = Path(__file__).resolve().parent / "artifacts" / "pages_look"
LANGUAGES = page_checks.LANGUAGES
PHONE, DESK = (390, 844), (1280, 900)


@pytest.fixture
def chrome(tmp_path: Path) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def scene(cast: dict[str, Any], community: Any, fund: Any) -> dict[str, Any]:
    executing = walk_to(
        new_project(community, cast["resident"], title="社区老年助餐点"), "executing", cast
    )
    fresh = new_project(community, cast["resident"], title="小区主干道减速带")
    return {"cast": cast, "executing": executing, "fresh": fresh}


def _pages(scene: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    ex, fresh = scene["executing"].pk, scene["fresh"].pk
    month = timezone.localdate().strftime("%Y-%m")
    return {
        "visitor": [
            ("home", "/"),
            ("projects", "/projects/"),
            ("project", f"/projects/{ex}/"),
            ("login", "/accounts/login/"),
            ("board", "/board/"),
            ("statement", f"/communities/xingfu/statements/{month}/"),
            ("rounds", "/rounds/"),
            ("404", "/projets/"),
        ],
        "resident": [
            ("home", "/"),
            ("propose", "/projects/new/"),
            ("fresh", f"/projects/{fresh}/"),
            ("inbox", "/inbox/"),
            ("notifications", "/notifications/"),
        ],
        "clerk": [("project", f"/projects/{ex}/"), ("inbox", "/inbox/")],
        "supervisor": [("overdue", "/supervision/overdue/"), ("funds", "/funds/")],
    }


def _sign_in(driver: Any, base: str, user: Any, lang: str) -> None:
    driver.get(base + "/static/css/yishi.css")
    driver.delete_all_cookies()
    driver.add_cookie({"name": "django_language", "value": lang, "path": "/"})
    if user is not None:
        client = Client()
        client.force_login(user)
        driver.add_cookie(
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"}
        )


def test_every_page_is_readable_on_a_phone_and_a_desk(
    chrome: Any, live_server: Any, scene: dict[str, Any]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    problems: list[str] = []
    visited = 0
    for who, pages in _pages(scene).items():
        user = None if who == "visitor" else scene["cast"][who]
        for lang in LANGUAGES:
            _sign_in(chrome, base, user, lang)
            for width, height in (PHONE, DESK):
                chrome.set_window_size(width, height)
                for name, url in pages:
                    chrome.get(base + url)
                    visited += 1
                    lang_attr = chrome.find_element("tag name", "html").get_attribute("lang")
                    if lang_attr != lang:
                        problems.append(f"{who} {url} {lang}: page language {lang_attr}")
                    # one checker for every page test: console, overflow, contrast, axe-core
                    found = page_checks.problems(
                        chrome, phone=width == PHONE[0], status=404 if name == "404" else None
                    )
                    if found:
                        problems.append(f"{who} {url} {width} {lang}: {found}")
                    full = chrome.execute_script("return document.documentElement.scrollHeight")
                    chrome.set_window_size(width, min(max(height, full), 5000))
                    chrome.save_screenshot(str(SHOTS / f"{who}-{name}-{width}-{lang}.png"))
                    chrome.set_window_size(width, height)
    assert visited == sum(len(p) for p in _pages(scene).values()) * 6
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_phone_header_is_one_bar_with_a_menu_that_opens(
    chrome: Any, live_server: Any, scene: dict[str, Any]
) -> None:
    for lang in LANGUAGES:
        _sign_in(chrome, live_server.url, scene["cast"]["resident"], lang)
        chrome.set_window_size(*PHONE)
        chrome.get(live_server.url + "/")
        bar = chrome.find_element("css selector", "header.topbar")
        assert bar.size["height"] <= 60, (lang, bar.size)
        panel = chrome.find_element("css selector", ".menu-panel")
        assert not panel.is_displayed()
        chrome.find_element("css selector", ".menu > summary").click()
        assert panel.is_displayed()
        links = [a.get_attribute("pathname") for a in panel.find_elements("css selector", "a")]
        assert "/projects/new/" in links and "/inbox/" in links
        chrome.save_screenshot(str(SHOTS / f"resident-menu-390-{lang}.png"))


def test_large_type_switch_makes_the_text_bigger_and_stays(
    chrome: Any, live_server: Any, scene: dict[str, Any]
) -> None:
    _sign_in(chrome, live_server.url, scene["cast"]["resident"], "zh-hans")
    chrome.set_window_size(*PHONE)
    chrome.get(live_server.url + "/projects/")
    size = "return parseFloat(getComputedStyle(document.body).fontSize)"
    before = chrome.execute_script(size)
    chrome.find_element("css selector", ".menu > summary").click()
    chrome.find_element("css selector", "button[name=large][value='1']").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(chrome, 10).until(  # the form posts, then the same page comes back
        lambda d: d.execute_script(
            "return document.documentElement.classList.contains('large-type')"
        )
    )
    assert chrome.current_url.endswith("/projects/")
    after = chrome.execute_script(size)
    assert after >= before * 1.2
    chrome.get(live_server.url + "/")
    assert chrome.execute_script(size) == after
    assert not chrome.execute_script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"
    )
