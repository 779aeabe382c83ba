"""The street's supervisor sets a community's rules on a phone (390×844), through the pages
only: the menu's 社区规则 → the community → a hearing amount and a lower pass rate, with a note →
saved; a wrong quorum is refused in words and changes nothing; a resident then reads the rules
and the record of the change, read only.

Every page is checked in zh-Hans, zh-Hant and English (``page_checks``) and screenshotted under
``tests/e2e/artifacts/rules/``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from projects.models import Community
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cycle_walk import PHONE, Walk, driver, town  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "rules"


def test_the_supervisor_sets_the_rules_and_a_resident_reads_them(
    driver: Any,  # noqa: F811
    live_server: Any,
    town: dict[str, Any],  # noqa: F811
) -> None:
    community: Community = town["community"]
    w = Walk(driver, live_server.url, check=True, shots=SHOTS)
    try:
        w.as_("sup", PHONE)
        w.go("/rules/")
        w.look("rules-index")
        link = w.d.find_element(By.CSS_SELECTOR, f"a[href$='/communities/{community.slug}/rules/']")
        w.submit(link)
        w.look("rules-form")
        w.press(
            "/rules/",
            hearing_amount="50000",
            pass_rate="75",
            reason="经居民议事会讨论通过",
        )
        community.refresh_from_db()
        assert community.hearing_amount == Decimal("50000.00")
        assert community.pass_rate == Decimal("0.750")
        assert "社区规则已修改" in w.text()
        w.look("rules-changed")
        # A quorum under one half: refused, in words, on the field; nothing changes.
        w.press("/rules/", committee_quorum_numerator="1", committee_quorum_denominator="4")
        assert "法定出席比例须在二分之一到全体之间" in w.text()
        w.look("rules-refused")
        community.refresh_from_db()
        assert (community.committee_quorum_numerator, community.committee_quorum_denominator) == (
            2,
            3,
        )
        # A resident reads the rules and the record, with no form.
        w.as_("res1", PHONE)
        w.go(f"/communities/{community.slug}/rules/")
        text = w.text()
        assert "75 %" in text and "50,000.00" in text and "经居民议事会讨论通过" in text
        assert not w.d.find_elements(By.ID, "rules-form")
        w.look("rules-read")
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "failures.txt").write_text("\n".join(w.failures) + "\n", encoding="utf-8")
    assert not w.failures, "\n".join(w.failures)
