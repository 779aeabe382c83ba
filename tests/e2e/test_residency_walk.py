"""Residency through the pages: a newcomer declares where they live on a phone (390×844) → the
clerk (1280×900) finds the declaration in the inbox's verification queue and approves it → the
new resident co-signs a project; a resident unit's representative votes in a committee roll-call
and the roll-call shows the unit beside their name. Every page is checked in zh-Hans, zh-Hant and
English (``page_checks``: console errors, overflow at 390 px, contrast, axe-core) and saved under
``tests/e2e/artifacts/residency/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from deliberation import services as ds
from deliberation.models import CoSign, DecisionVote
from projects.models import Membership, Role
from residents import services
from residents.models import Declaration
from tests.conftest import new_project
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cycle_walk import DESK, PASSWORD, PHONE, Walk, driver, photo, town  # noqa: F401
from tests.projects.money_helpers import walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "residency"


def test_residency_through_the_pages(
    driver: Any,  # noqa: F811
    live_server: Any,
    town: Any,  # noqa: F811
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    c, people = town["community"], town["people"]
    cast = {"clerk": people["clerk"], "council": people["council"], "committee": people["cm1"]}
    collecting = new_project(c, people["res1"], title="楼下增设休息座椅", submit=True)
    newcomer = get_user_model().objects.create_user(
        username="newbie", password=PASSWORD, first_name="新来的小李"
    )
    w = Walk(driver, live_server.url, check=True, shots=SHOTS)

    # 1. the newcomer declares residency on a phone
    w.as_("newbie", PHONE)
    w.go("/residents/")
    w.look("residency-home-new")
    w.go(f"/residents/declare/?community={c.slug}")
    w.look("declare-form")
    w.press(
        "/residents/declare/",
        building="7",
        unit="1",
        room="302",
        photo=photo(tmp_path),
    )
    d = Declaration.objects.get(user=newcomer)
    assert d.status == Declaration.Status.PENDING and d.photo
    assert "7栋1单元302" in w.text()
    w.look("declared")
    # not yet a resident: the project page offers no co-signing
    w.go(f"/projects/{collecting.pk}/")
    assert not w.d.find_elements(
        By.CSS_SELECTOR, f"form[action$='/projects/{collecting.pk}/cosign/']"
    )

    # 2. the clerk approves in the queue of the inbox
    w.as_("clerk", DESK)
    w.go("/inbox/")
    assert "新来的小李" in w.text()
    w.look("clerk-inbox-queue")
    w.go(f"/residents/{c.slug}/queue/")
    w.look("clerk-queue")
    w.press(f"/residents/declarations/{d.pk}/approve/", household="7-1-302")
    m = Membership.objects.residents().get(user=newcomer, community=c)
    assert m.household == "7-1-302"
    assert not Path(d.photo.path).exists()
    w.look("clerk-approved")

    # 3. the new resident co-signs
    w.as_("newbie", PHONE)
    w.go("/residents/")
    w.look("residency-home-verified")
    w.go(f"/projects/{collecting.pk}/")
    w.press(f"/projects/{collecting.pk}/cosign/")
    assert CoSign.objects.filter(project=collecting, user=newcomer).exists()
    w.go(f"/projects/{collecting.pk}/")
    w.look("cosigned")

    # 4. a resident unit's representative votes in a committee roll-call
    principal = get_user_model().objects.create_user(
        username="principal", password=PASSWORD, first_name="王校长"
    )
    school = services.unit_create(by=people["clerk"], community=c, name="清风小学", kind="school")
    services.unit_representative_add(by=people["clerk"], unit=school, user=principal)
    w.as_("sup", DESK)
    w.go(f"/residents/{c.slug}/units/")
    w.look("units-supervisor")
    form = next(
        f
        for f in w.d.find_elements(By.CSS_SELECTOR, "form")
        if f.find_elements(By.CSS_SELECTOR, "input[name=action][value=seat]")
    )
    w.d.execute_script("arguments[0].closest('details').open = true;", form)
    Select(form.find_element(By.NAME, "user")).select_by_value(str(principal.pk))
    w.submit(form.find_element(By.CSS_SELECTOR, "button"))
    assert Membership.objects.current().filter(user=principal, role=Role.COMMITTEE).exists()
    deciding = walk_to(new_project(c, people["res1"], title="文化墙翻新"), "deciding", cast)
    decision = ds.decision_open(
        project=deciding, by=people["cm1"], motion="approve", amount="10000.00"
    )
    w.as_("principal", PHONE)
    w.go(f"/projects/{deciding.pk}/")
    w.press(f"/decisions/{decision.pk}/vote/", value="yes")
    assert DecisionVote.objects.filter(decision=decision, member=principal).exists()
    w.go(f"/projects/{deciding.pk}/")  # (the vote's redirect ends in #decisions: reload whole)
    assert "清风小学" in w.text()
    w.look("unit-rep-voted")
    w.go(f"/decisions/{decision.pk}/")
    assert "王校长" in w.text() and "清风小学" in w.text()
    w.look("rollcall-record")

    assert not w.failures, "\n".join(w.failures)
