"""The project page's comment form refusing bad input, in a phone-sized browser in 简体, 繁體
and English: the form's own translated error is shown (400), the page passes the shared checks
(console, overflow, contrast, axe-core) and nothing is posted. Screenshots go to
tests/e2e/artifacts/speed/ — look at them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from deliberation.forms import CommentForm
from projects.models import Comment
from tests.conftest import new_project
from tests.e2e import page_checks
from tests.e2e.test_pages_look_browser import PHONE, _sign_in, chrome  # noqa: F401
from tests.projects.money_helpers import walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parent / "artifacts" / "speed"


def test_a_blank_comment_shows_the_forms_error_in_each_language(
    chrome: Any,  # noqa: F811 - the fixture
    live_server: Any,
    cast: dict[str, Any],
    community: Any,
    fund: Any,
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    project = walk_to(
        new_project(community, cast["resident"], title="社区老年助餐点"), "executing", cast
    )
    base, problems = live_server.url, []
    chrome.set_window_size(*PHONE)
    for lang in page_checks.LANGUAGES:
        _sign_in(chrome, base, cast["resident"], lang)
        chrome.get(f"{base}/projects/{project.pk}/")
        box = chrome.find_element("css selector", "form[action$='/comments/'] textarea")
        box.send_keys("   ")  # passes the browser's "required"; the form strips it to nothing
        page = chrome.find_element("tag name", "main")
        chrome.find_element("css selector", "form[action$='/comments/'] button").click()
        WebDriverWait(chrome, 20).until(staleness_of(page))  # the answer to the post, not the form
        with translation.override(lang):
            message = str(CommentForm({"body": "   "}).errors["body"][0])
        text = chrome.find_element("tag name", "main").text
        if message not in text:
            problems.append(f"{lang}: {message!r} not shown")
        found = page_checks.problems(chrome, phone=True, status=400)
        if found:
            problems.append(f"{lang}: {found}")
        chrome.save_screenshot(str(SHOTS / f"comment-error-{lang}.png"))
    assert not Comment.objects.exists()
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
