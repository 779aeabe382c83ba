"""The open-data page in headless Chromium at phone size (390×844), in 简体, 繁體 and English:
every dataset with its hash and data dictionary, the licence, no console error, no sideways
overflow, contrast and axe-core clean (``page_checks``). Screenshots go to
tests/e2e/artifacts/opendata/ — look at them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By

from opendata import snapshot
from tests.deliberation.votes_support import (  # noqa: F401
    make_round,
    project_in,
    roll_voter,
    spare_residents,
)
from tests.e2e import page_checks
from tests.opendata.conftest import world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = Path(__file__).resolve().parent / "artifacts" / "opendata"
PHONE = (390, 844)


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


def test_open_data_page_on_a_phone_in_three_languages(
    chrome: Any,
    live_server: Any,
    world: dict[str, Any],  # noqa: F811
) -> None:
    call_command("build_open_data", stdout=io.StringIO())
    snap = snapshot.latest()
    assert snap is not None
    SHOTS.mkdir(parents=True, exist_ok=True)
    for lang in page_checks.LANGUAGES:
        chrome.get(live_server.url + "/static/css/yishi.css")
        chrome.delete_all_cookies()
        chrome.add_cookie({"name": "django_language", "value": lang, "path": "/"})
        chrome.set_window_size(*PHONE)
        chrome.get(live_server.url + "/open-data/")
        body = chrome.find_element(By.TAG_NAME, "body").text
        assert "CC BY 4.0" in body and snap.day in body
        ledger = snap.file("ledger.csv")
        assert ledger is not None and ledger["sha256"] in body
        # the ledger's data dictionary opens and lists its columns
        chrome.find_element(By.CSS_SELECTOR, "#ledger details > summary").click()
        assert "entry_id" in chrome.find_element(By.ID, "ledger").text
        chrome.execute_script("window.scrollTo(0, 0)")
        found = page_checks.problems(chrome, phone=True)
        full = chrome.execute_script("return document.documentElement.scrollHeight")
        chrome.set_window_size(PHONE[0], min(max(PHONE[1], full), 6000))
        chrome.save_screenshot(str(SHOTS / f"open-data-390-{lang}.png"))
        chrome.set_window_size(*PHONE)
        assert not found, (lang, found)
