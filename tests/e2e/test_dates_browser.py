"""Dates stay whole on a phone: on the project page (summary, steps, progress, comments, the
timeline) and the project list at 390 px, in the three languages, no date or date-and-time is
broken across two lines. Screenshots: tests/e2e/artifacts/dates/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deliberation import actions
from tests.conftest import new_project
from tests.e2e import page_checks
from tests.e2e.test_pages_look_browser import _sign_in, chrome  # noqa: F401 - the fixture
from tests.projects.money_helpers import walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parent / "artifacts" / "dates"


def test_no_date_breaks_across_lines_at_390(
    chrome: Any,  # noqa: F811 - the imported fixture
    live_server: Any,
    cast: dict[str, Any],
    community: Any,
    fund: Any,
) -> None:
    p = walk_to(new_project(community, cast["resident"], title="社区老年助餐点"), "executing", cast)
    for n in range(3):
        actions.comment(project=p, by=cast["resident"], body=f"第{n + 1}条意见：什么时候开工？")
    SHOTS.mkdir(parents=True, exist_ok=True)
    broken: dict[str, list[str]] = {}
    seen = 0
    for lang in page_checks.LANGUAGES:
        for who in ("resident", "clerk"):
            _sign_in(chrome, live_server.url, cast[who], lang)
            chrome.set_window_size(390, 844)
            for name, url in (("project", f"/projects/{p.pk}/"), ("list", "/projects/")):
                chrome.get(live_server.url + url)
                seen += len(
                    chrome.execute_script(
                        r"return document.body.innerText.match(/\d{4}-\d{2}-\d{2}/g) || []"
                    )
                )
                found = page_checks.wrapped_dates(chrome)
                if found:
                    broken[f"{who} {name} {lang}"] = found
                full = chrome.execute_script("return document.documentElement.scrollHeight")
                chrome.set_window_size(390, min(max(844, full), 5000))
                chrome.save_screenshot(str(SHOTS / f"{who}-{name}-390-{lang}.png"))
                chrome.set_window_size(390, 844)
    assert seen > 12, "the pages show dates"
    assert not broken, json.dumps(broken, ensure_ascii=False, indent=1)
