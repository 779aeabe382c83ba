"""One continuous walk of a new resident, on a phone (390×844), through the pages only: the hall
screen's 扫码加入 QR link → sign-up by phone with the code (read from the in-process locmem SMS
outbox) → declares residency with a photo → the clerk (1280×900) approves it in the inbox's
verification queue → the new resident co-signs a project and casts an evaluation vote. The
community votes one per household: the new resident's housemate is then told the household has
voted, and the ballot is counted once.

Every key page is checked in zh-Hans, zh-Hant and English (``page_checks``: console errors,
overflow at 390 px, contrast, axe-core) and saved under ``tests/e2e/artifacts/join/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By

from accounts import sms
from deliberation import services as ds
from deliberation.models import CoSign, EvaluationParticipation
from projects.models import Membership
from residents.models import Declaration
from tests.conftest import new_project
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cycle_walk import (  # noqa: F401 (fixtures)
    DESK,
    PASSWORD,
    PHONE,
    Walk,
    driver,
    photo,
    town,
)
from tests.e2e.test_signup_walk import fill, press, sms_outbox  # noqa: F401 (fixture)
from tests.projects.money_helpers import walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "join"
NUMBER = "13812345678"
NAME = "7号楼小李"


def test_a_new_resident_joins_from_the_screen_and_takes_part(
    driver: Any,  # noqa: F811
    live_server: Any,
    town: Any,  # noqa: F811
    sms_outbox: list[sms.SMSMessage],  # noqa: F811
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    c, people = town["community"], town["people"]
    c.evaluation_per_household = True
    c.save()
    cast = {"clerk": people["clerk"], "council": people["council"], "committee": people["cm1"]}
    collecting = new_project(c, people["res2"], title="楼下增设休息座椅", submit=True)
    w = Walk(driver, live_server.url, check=True, shots=SHOTS)

    # 1. the hall screen (on the wall: desk size) shows 扫码加入 with its QR code and link
    driver.set_window_size(*DESK)
    w.go(f"/screen/{c.slug}/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "00-screen-1280.png"))
    join = driver.find_element(By.CSS_SELECTOR, ".screen-join a")
    assert join.find_element(By.TAG_NAME, "svg")  # the QR code itself
    href = join.get_attribute("href")
    assert href.endswith(f"/account/signup/?community={c.slug}"), href

    # 2. on the phone: sign up with the number and the code texted to it
    w.size = PHONE
    driver.set_window_size(*PHONE)
    driver.delete_all_cookies()
    driver.get(href)
    assert "清风社区" in w.text()
    w.look("signup-number")
    fill(w, phone=NUMBER)
    press(w, "phone")
    assert [m.to for m in sms_outbox] == ["+8613812345678"]
    assert "138****5678" in w.text()
    w.look("signup-code")
    fill(w, code=sms_outbox[-1].params["code"], name=NAME, password=PASSWORD)
    press(w, "name")
    newcomer = get_user_model().objects.get(phone__number="+8613812345678")
    assert newcomer.first_name == NAME

    # 3. declare residency (sign-up from the screen leads to this community's form)
    if "/residents/declare/" not in driver.current_url:
        w.go(f"/residents/declare/?community={c.slug}")
    assert "清风社区" in w.text()
    w.look("declare-form")
    w.press("/residents/declare/", building="7", unit="1", room="302", photo=photo(tmp_path))
    d = Declaration.objects.get(user=newcomer)
    assert d.status == Declaration.Status.PENDING and d.photo
    assert "7栋1单元302" in w.text()
    w.look("declared")
    # not yet a resident: the project offers no co-signing
    w.go(f"/projects/{collecting.pk}/")
    assert not driver.find_elements(By.CSS_SELECTOR, "form[action$='/cosign/']")

    # 4. the clerk approves it in the inbox's verification queue, into res1's household
    w.as_("clerk", DESK)
    w.go("/inbox/")
    assert NAME in w.text() and "7栋1单元302" in w.text()
    w.look("clerk-inbox-queue")
    w.press(f"/residents/declarations/{d.pk}/approve/", household="H1")
    m = Membership.objects.residents().get(user=newcomer, community=c)
    assert m.household == "H1"
    assert not Path(d.photo.path).exists()  # the photo is gone once decided
    w.look("clerk-approved")

    # a project reaches its evaluation now that the newcomer is on the roll
    evaluating = walk_to(new_project(c, people["res3"], title="单元门禁维修"), "evaluating", cast)
    rnd = ds.current_round(evaluating) or ds.evaluation_open_round(project=evaluating)

    # 5. the new resident (signing in with the password chosen at sign-up) co-signs and votes
    w.as_(newcomer.username, PHONE)
    w.go("/residents/")
    assert "清风社区" in w.text()
    w.look("residency-verified")
    w.go(f"/projects/{collecting.pk}/")
    w.press(f"/projects/{collecting.pk}/cosign/")
    assert CoSign.objects.filter(project=collecting, user=newcomer).exists()
    w.go(f"/projects/{collecting.pk}/")
    w.look("cosigned")
    w.go(f"/projects/{evaluating.pk}/")
    w.look("evaluation-open")
    w.press(f"/projects/{evaluating.pk}/evaluate/", value="satisfied")
    assert EvaluationParticipation.objects.filter(round=rnd, voter=newcomer).exists()
    w.go(f"/projects/{evaluating.pk}/")
    w.look("evaluated")

    # 6. the housemate is told the household has voted; the ballot counts once
    w.as_("res1", PHONE)
    w.go(f"/projects/{evaluating.pk}/")
    assert driver.find_elements(By.ID, "household-voted")
    assert not driver.find_elements(By.CSS_SELECTOR, "form[action$='/evaluate/'] button")
    w.look("household-voted")
    before = ds.evaluation_tally(rnd).as_dict()
    # a ballot posted anyway (an old page kept open) is not counted a second time
    w.d.execute_script(
        "const f = document.createElement('form'); f.method = 'post';"
        "f.action = arguments[0];"
        "const t = document.createElement('input'); t.name = 'csrfmiddlewaretoken';"
        "t.value = document.querySelector('[name=csrfmiddlewaretoken]').value; f.appendChild(t);"
        "const ch = document.createElement('input'); ch.name = 'choice'; ch.value = 'dissatisfied';"
        "f.appendChild(ch); document.body.appendChild(f); f.id = 'stale-ballot';",
        f"/projects/{evaluating.pk}/evaluate/",
    )
    stale = driver.find_element(By.ID, "stale-ballot")
    page = driver.find_element(By.TAG_NAME, "html")
    driver.execute_script("arguments[0].submit();", stale)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda _: _stale(page))
    assert not EvaluationParticipation.objects.filter(round=rnd, voter=people["res1"]).exists()
    assert ds.evaluation_tally(rnd).as_dict() == before
    assert EvaluationParticipation.objects.filter(round=rnd).count() == 1

    assert not w.failures, "\n".join(w.failures)


def _stale(element: Any) -> bool:
    from tests.e2e.test_cycle_walk import _gone

    return _gone(element)
