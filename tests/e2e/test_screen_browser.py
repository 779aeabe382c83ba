"""The public screen in headless Chromium: votes cast through the API change the tally on the open
page within two seconds, without a reload; after the server goes away and comes back the page
reconnects by itself and keeps updating."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e import live
from tests.e2e.conftest import ARTIFACTS, Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]
UPDATE_WITHIN = 2.0


def field(driver: Any, project_id: int, name: str, attribute: str = "") -> str:
    """The card's field as shown (its text, or the value of ``attribute`` when one is named)."""
    selector = f'.card-eval[data-project-id="{project_id}"] [data-field="{name}"]'
    # Read in one script call: the screen re-renders the card on every event, so an element
    # found first and read afterwards may already be gone (StaleElementReferenceException).
    text = driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        " return e ? (arguments[1] ? e.getAttribute(arguments[1]) : e.innerText) : '';",
        selector,
        attribute,
    )
    return str(text or "").strip()


def open_screen(driver: Any, stack: Stack, slug: str) -> None:
    driver.get(f"{stack.server.url}/screen/{slug}/")
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, "conn").get_attribute("data-state") == "open"
    )
    driver.execute_script("window.__sameDocument = true;")


def vote_and_wait(
    driver: Any,
    stack: Stack,
    data: dict[str, Any],
    voter: int,
    choice: str,
    expect: Callable[[Any], bool],
) -> float:
    """Cast a vote through the API; return how long the page took to show it (≤ 2 s or fail)."""
    started = time.monotonic()
    status, body = live.api_post(
        f"{stack.server.url}/api/v1/projects/{data['project_id']}/evaluation/",
        data["tokens"][voter],
        {"choice": choice},
    )
    assert status == 201, body
    left = UPDATE_WITHIN - (time.monotonic() - started)
    WebDriverWait(driver, max(left, 0.05), poll_frequency=0.05).until(expect)
    return time.monotonic() - started


def test_tally_on_the_open_screen_follows_votes_without_reload(browser: Any, stack: Stack) -> None:
    data = stack.seed("screen-live", voters=5)
    pid = data["project_id"]
    open_screen(browser, stack, data["slug"])
    assert field(browser, pid, "votes") == "0"
    assert field(browser, pid, "eligible") == "5"
    assert browser.find_elements(
        By.CSS_SELECTOR, f'.card-eval[data-project-id="{pid}"] .qr-code svg'
    )

    # One ballot alone never shows: the tally moves only when a batch of two is sealed.
    status, body = live.api_post(
        f"{stack.server.url}/api/v1/projects/{pid}/evaluation/",
        data["tokens"][1],
        {"choice": "satisfied"},
    )
    assert status == 201, body
    time.sleep(1.0)
    assert field(browser, pid, "votes") == "0"
    took = vote_and_wait(
        browser,
        stack,
        data,
        2,
        "dissatisfied",
        lambda d: field(d, pid, "votes") == "2" and field(d, pid, "satisfaction") == "50.0%",
    )
    assert field(browser, pid, "dissatisfied") == "1"
    assert field(browser, pid, "turnout") == "40.0%"
    assert field(browser, pid, "passing", "data-passing") == "0"
    assert browser.execute_script("return window.__sameDocument === true;"), "the page reloaded"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "screen-live.png"))
    print(f"page updated {took:.2f}s after the batch's second vote was cast")


def test_screen_reconnects_by_itself_after_the_server_restarts(browser: Any, stack: Stack) -> None:
    data = stack.seed("screen-restart", voters=4)
    pid = data["project_id"]
    open_screen(browser, stack, data["slug"])
    stack.server.stop()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "conn").get_attribute("data-state") == "closed"
    )
    # A batch of votes while the page is cut off: it must show up once the page is back
    # (snapshot re-read).
    stack.server.start()
    for voter in (1, 2):
        status, _ = live.api_post(
            f"{stack.server.url}/api/v1/projects/{pid}/evaluation/",
            data["tokens"][voter],
            {"choice": "satisfied"},
        )
        assert status == 201
    WebDriverWait(browser, 20, poll_frequency=0.1).until(
        lambda d: (
            d.find_element(By.ID, "conn").get_attribute("data-state") == "open"
            and field(d, pid, "votes") == "2"
        )
    )
    status, _ = live.api_post(
        f"{stack.server.url}/api/v1/projects/{pid}/evaluation/",
        data["tokens"][3],
        {"choice": "satisfied"},
    )
    assert status == 201
    vote_and_wait(
        browser, stack, data, 0, "basically_satisfied", lambda d: field(d, pid, "votes") == "4"
    )
    assert browser.execute_script("return window.__sameDocument === true;"), "the page reloaded"
    browser.save_screenshot(str(ARTIFACTS / "screen-reconnected.png"))


def test_header_badge_counts_a_new_notification_without_reload(browser: Any, stack: Stack) -> None:
    data = stack.seed("badge-live", voters=4)
    browser.get(f"{stack.server.url}/accounts/login/?next=/notifications/")
    browser.find_element(By.NAME, "username").send_keys(data["usernames"][0])
    browser.find_element(By.NAME, "password").send_keys(data["password"])
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "unread-count").get_attribute("data-live") == "open"
    )
    browser.execute_script("window.__sameDocument = true;")
    before = int(browser.find_element(By.ID, "unread-count").get_attribute("textContent") or 0)
    # A neighbour co-signs the proposer's collecting proposal: the threshold (1) is met, the
    # proposal moves to screening, and the proposer is told.
    started = time.monotonic()
    status, body = live.api_post(
        f"{stack.server.url}/api/v1/projects/{data['collecting_id']}/cosign/", data["tokens"][2], {}
    )
    assert status == 201, body
    WebDriverWait(browser, UPDATE_WITHIN - (time.monotonic() - started), poll_frequency=0.05).until(
        lambda d: (
            d.find_element(By.ID, "unread-count").get_attribute("textContent") == str(before + 1)
        )
    )
    notice = browser.find_element(By.ID, "live-notice")
    assert "hidden" not in (notice.get_attribute("class") or "")
    assert "单元门禁维修" in notice.text
    assert browser.execute_script("return window.__sameDocument === true;"), "the page reloaded"
    browser.save_screenshot(str(ARTIFACTS / "header-badge.png"))
