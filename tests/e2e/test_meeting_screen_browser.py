"""The hall screen's meeting page in headless Chromium: a member signing in and voting through
the API change attendance and the vote counts on the open page, without a reload."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e import live
from tests.e2e.conftest import ARTIFACTS, Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = ARTIFACTS / "meeting_screen"


def seed_meeting(stack: Stack, slug: str, body: str = "council") -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.seed_meeting", "--slug", slug, "--body", body],
        cwd=live.ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def read(driver: Any, selector: str, attribute: str = "") -> str:
    return str(
        driver.execute_script(
            "const e = document.querySelector(arguments[0]);"
            "return e ? (arguments[1] ? e.getAttribute(arguments[1]) : e.innerText) : '';",
            selector,
            attribute,
        )
        or ""
    ).strip()


def test_the_meeting_screen_follows_sign_in_and_votes_without_reload(
    browser: Any, stack: Stack
) -> None:
    data = stack.seed("screen-meeting", voters=2)
    meeting = seed_meeting(stack, data["slug"])
    browser.get(f"{stack.server.url}/screen/{data['slug']}/meeting/")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "conn").get_attribute("data-state") == "open"
    )
    browser.execute_script("window.__sameDocument = true;")
    assert read(browser, '[data-field="quorum"]', "data-present") == "0"
    assert read(browser, '[data-count="yes"]') == "0"

    base = f"{stack.server.url}/api/v1"
    status, body = live.api_post(
        f"{base}/meetings/{meeting['meeting_id']}/signin/", meeting["council"], {"how": "qr"}
    )
    assert status == 200, body
    WebDriverWait(browser, 5).until(
        lambda d: read(d, '[data-field="quorum"]', "data-present") == "1"
    )
    assert read(browser, '[data-field="quorum"]', "data-reached") == "1"
    status, body = live.api_post(
        f"{base}/meeting-items/{meeting['item_id']}/votes/", meeting["council"], {"choice": "yes"}
    )
    assert status == 201, body
    WebDriverWait(browser, 5).until(lambda d: read(d, '[data-count="yes"]') == "1")
    assert read(browser, '[data-count="no"]') == "0"
    assert browser.execute_script("return window.__sameDocument === true;")  # no reload
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "screen-after-vote.png"))


def test_a_hearing_on_the_screen_counts_residents_signed_in_without_a_quorum(
    browser: Any, stack: Stack
) -> None:
    data = stack.seed("screen-hearing", voters=2)
    meeting = seed_meeting(stack, data["slug"], body="hearing")
    browser.set_window_size(1280, 800)
    browser.get(f"{stack.server.url}/screen/{data['slug']}/meeting/")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "conn").get_attribute("data-state") == "open"
    )
    browser.execute_script("window.__sameDocument = true;")
    assert read(browser, '[data-field="quorum"]') == "已签到 0 人"
    status, body = live.api_post(
        f"{stack.server.url}/api/v1/meetings/{meeting['meeting_id']}/signin/",
        meeting["resident"],
        {"how": "qr"},
    )
    assert status == 200, body
    # the live update says the same as the page: no members, no quorum, residents counted
    WebDriverWait(browser, 5).until(lambda d: read(d, '[data-field="quorum"]') == "已签到 1 人")
    assert browser.execute_script("return window.__sameDocument === true;")  # no reload
    # residents speak at a hearing; nothing on the screen asks for a vote
    assert browser.find_elements(By.CSS_SELECTOR, "[data-count]") == []
    assert "法定人数" not in read(browser, "#meeting-live")
    assert "待表决" not in read(browser, '[data-field="items"]')
    assert "居民扫码签到" in read(browser, ".qr-sign")
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "hearing-screen-after-signin.png"))
    browser.set_window_size(390, 844)  # the same page on a phone that opened the screen's link
    assert browser.find_element(By.CSS_SELECTOR, '[data-field="quorum"]').is_displayed()
    browser.save_screenshot(str(SHOTS / "hearing-screen-after-signin-390.png"))
