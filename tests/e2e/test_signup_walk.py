"""A new resident joins from the hall screen's QR code, on a phone (390×844), through the pages
only: the screen's 扫码加入 link → sign-up (the code read from the in-process SMS outbox) →
signed in → signs out → signs in with a code → 我的数据 (page and JSON download) → closes the account.

Every page of the walk is checked in zh-Hans, zh-Hant and English (``page_checks.problems``:
console errors, overflow at 390 px, contrast, axe-core) and screenshotted under
``tests/e2e/artifacts/signup/``. The live server runs in this process (pytest-django's
``live_server``), so the locmem SMS backend's outbox is the one the test reads, and time-machine
moves the server's clock past the 60 s between two codes to one number.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By

from accounts import sms
from projects.models import Community, Grid, Street
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cycle_walk import PHONE, Clock, Walk, driver  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "signup"
NUMBER = "13812341234"


@pytest.fixture
def sms_outbox(settings: Any) -> list[sms.SMSMessage]:
    settings.SMS_BACKEND = "accounts.sms.LocmemBackend"
    sms.outbox.clear()
    return sms.outbox


def fill(w: Walk, **fields: str) -> None:
    for name, text in fields.items():
        el = w.d.find_element(By.NAME, name)
        el.clear()
        el.send_keys(text)


def press(w: Walk, field: str) -> None:
    """Press the main button of the form holding ``field``."""
    form = w.d.find_element(By.NAME, field).find_element(By.XPATH, "./ancestor::form")
    w.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def test_a_new_resident_joins_from_the_screen_qr_code(
    driver: Any,  # noqa: F811
    live_server: Any,
    sms_outbox: list[sms.SMSMessage],
) -> None:
    street = Street.objects.create(name="走读街道")
    community = Community.objects.create(street=street, name="幸福里社区", slug="xingfuli")
    Grid.objects.create(community=community, name="第一网格")
    w = Walk(driver, live_server.url, check=True, shots=SHOTS)
    w.size = PHONE
    driver.set_window_size(*PHONE)
    clock = Clock()
    try:
        # the hall screen (desk size: it hangs on a wall) shows the 扫码加入 code and its link
        driver.set_window_size(1280, 800)
        w.go(f"/screen/{community.slug}/")
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / "00-screen-1280.png"))
        join = driver.find_element(By.CSS_SELECTOR, ".screen-join a")
        href = join.get_attribute("href")
        assert href.endswith(f"/account/signup/?community={community.slug}"), href
        assert join.find_element(By.TAG_NAME, "svg")  # the QR code itself
        driver.set_window_size(*PHONE)

        # 注册: number → code → name → signed in
        driver.get(href)
        assert "幸福里社区" in w.text()
        w.look("signup-number")
        fill(w, phone=NUMBER)
        press(w, "phone")
        assert [m.to for m in sms_outbox] == ["+8613812341234"]
        assert "138****1234" in w.text()
        w.look("signup-code")
        fill(w, code=sms_outbox[-1].params["code"], name="3号楼王阿姨")
        press(w, "name")
        user = get_user_model().objects.get(phone__number="+8613812341234")
        assert user.first_name == "3号楼王阿姨"
        w.look("signed-up-home")
        driver.find_element(By.CSS_SELECTOR, "details.menu > summary").click()
        assert "3号楼王阿姨" in w.text()

        # 退出登录 from the menu
        logout = driver.find_element(
            By.CSS_SELECTOR, "details.menu form[action$='/logout/'] button"
        )
        w.submit(logout)
        assert "3号楼王阿姨" not in driver.page_source

        # 验证码登录, from the password sign-in page's link; a minute later (one code a minute)
        clock.advance(timedelta(seconds=61))
        w.go("/accounts/login/")
        w.look("login")
        w.submit(driver.find_element(By.CSS_SELECTOR, "a[href^='/account/signin/']"))
        w.look("signin-number")
        fill(w, phone="+86 138 1234 1234")
        press(w, "phone")
        assert len(sms_outbox) == 2 and "登录" in sms_outbox[-1].body
        w.look("signin-code")
        fill(w, code=sms_outbox[-1].params["code"])
        press(w, "code")

        # 我的数据: the page, then the download (fetched as the browser would save it)
        driver.find_element(By.CSS_SELECTOR, "details.menu > summary").click()
        w.submit(driver.find_element(By.CSS_SELECTOR, "details.menu a[href='/account/data/']"))
        assert "+8613812341234" in w.text()
        w.look("my-data")
        link = driver.find_element(By.CSS_SELECTOR, "a[href='/account/data/download/']")
        body = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => r.text()).then(done, e => done(String(e)));",
            link.get_attribute("href"),
        )
        data = json.loads(body)
        assert data["phone"]["number"] == "+8613812341234"
        assert data["profile"]["name"] == "3号楼王阿姨"
        assert data["secret_ballots_taken_part_in"] == []

        # 注销账号, confirmed by a code (they have no password)
        clock.advance(timedelta(seconds=61))
        w.submit(driver.find_element(By.CSS_SELECTOR, "a[href='/account/close/']"))
        w.look("close")
        w.submit(driver.find_element(By.CSS_SELECTOR, "form button[data-countdown]"))
        assert len(sms_outbox) == 3 and "注销" in sms_outbox[-1].body
        fill(w, code=sms_outbox[-1].params["code"])
        press(w, "code")
        user.refresh_from_db()
        assert not user.is_active and user.first_name == "已注销用户"
        assert "+8613812341234" not in driver.page_source
        w.look("closed-home")
    finally:
        clock.stop()
    assert not w.failures, "\n".join(w.failures)
