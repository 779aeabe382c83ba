"""The project page in headless Chromium: its evaluation card follows votes cast elsewhere
(here through the API) within two seconds, without a reload."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e import live
from tests.e2e.conftest import ARTIFACTS, Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def card_field(driver: Any, name: str) -> str:
    text = driver.execute_script(
        "const e = document.querySelector('#evaluation [data-field=\"' + arguments[0] + '\"]');"
        " return e ? e.textContent : '';",
        name,
    )
    return str(text or "").strip()


def test_the_evaluation_card_follows_votes_without_reload(browser: Any, stack: Stack) -> None:
    data = stack.seed("project-live", voters=4)
    browser.get(f"{stack.server.url}/projects/{data['project_id']}/")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "evaluation").get_attribute("data-live") == "open"
    )
    browser.execute_script("window.__sameDocument = true;")
    assert (card_field(browser, "votes"), card_field(browser, "eligible")) == ("0", "4")
    url = f"{stack.server.url}/api/v1/projects/{data['project_id']}/evaluation/"
    for voter, choice in ((1, "satisfied"), (2, "dissatisfied")):
        status, body = live.api_post(url, data["tokens"][voter], {"choice": choice})
        assert status == 201, body
    WebDriverWait(browser, 2.0, poll_frequency=0.05).until(lambda d: card_field(d, "votes") == "2")
    assert card_field(browser, "satisfied") == "1"
    assert card_field(browser, "dissatisfied") == "1"
    assert card_field(browser, "satisfaction") == "50.0%"
    assert card_field(browser, "turnout") == "50.0%"
    assert browser.execute_script("return window.__sameDocument === true;"), "the page reloaded"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "project-live.png"))
