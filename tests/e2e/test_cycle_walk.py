"""The whole 三会一评 cycle through the pages only — no API, no admin, no database edits — as each
person at their own viewport (residents on a phone, 390×844; staff at 1280×900).

Project A: propose with a photo → co-sign → 初审 → 可行性评估 → 议事会 → 党委 roll-call → 公示
with an objection → 开工 → spending → progress → 验收 → evaluation votes → the window closes by the clock →
已结项, the holdback paid. Project B: acceptance fails once, then passes; the evaluation fails → 整改 → re-evaluation → 已结项.

Time moves with time-machine (the live server runs in this process), never by editing rows. On
every page of project A's walk, in all three languages: no console error (so no 4xx/5xx), no
horizontal overflow at 390 px, visible buttons with contrast ≥ 4.5:1 and no serious or critical
axe-core violation (``page_checks``). A screenshot of each step at each viewport and language
is saved under ``tests/e2e/artifacts/walk/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from projects import ledger
from projects.models import (
    Community,
    EntryKind,
    Fund,
    Grid,
    LedgerEntry,
    Membership,
    Project,
    Role,
    State,
    Street,
)
from tests.e2e import page_checks
from tests.e2e.conftest import ARTIFACTS, CHROMEDRIVER, CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)
DESK = (1280, 900)
PASSWORD = "walk-the-cycle-2026"
SHOTS = ARTIFACTS / "walk"


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    d.set_script_timeout(60)
    try:
        yield d
    finally:
        d.quit()


class Clock:
    """Moves the live server's time forward with time-machine (ticking, so time still runs)."""

    def __init__(self) -> None:
        import time_machine

        self._tm = time_machine
        self.offset = timedelta(0)
        self._traveller: Any = None

    def advance(self, delta: timedelta) -> None:
        self.offset += delta
        target = timezone.now() + delta  # from the travelled time, so advances add up
        self.stop()
        self._traveller = self._tm.travel(target, tick=True)
        self._traveller.start()

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = None


class Walk:
    """One browser, signed in as one person at a time, checking each page it visits."""

    def __init__(
        self,
        driver: Any,
        base: str,
        *,
        check: bool,
        shots: Path = SHOTS,
        also_check: frozenset[str] = frozenset(),
    ) -> None:
        self.d = driver
        self.shots = shots
        self.base = base
        self.check = check
        self.also_check = also_check  # pages checked even when ``check`` is off
        self.step = 0
        self.size = DESK
        self.failures: list[str] = []

    # --- moving around ------------------------------------------------------------------------
    def as_(self, username: str, size: tuple[int, int]) -> None:
        self.d.delete_all_cookies()
        self.size = size
        self.d.set_window_size(*size)
        self.go("/accounts/login/")
        # the walk reads its pages in zh-Hans (Chromium itself asks for English); look() checks
        # each page in the three languages
        self.d.add_cookie({"name": "django_language", "value": "zh-hans", "path": "/"})
        self.go("/accounts/login/")
        password = self.d.find_element(By.NAME, "password")
        self.d.find_element(By.NAME, "username").send_keys(username)
        password.send_keys(PASSWORD)
        # the sign-in form's own button (the header's menu has forms of its own)
        form = password.find_element(By.XPATH, "./ancestor::form")
        self.submit(form.find_element(By.CSS_SELECTOR, "[type=submit], button"))
        assert "/accounts/login/" not in self.d.current_url, f"{username} could not sign in"

    def go(self, path: str) -> None:
        self.d.get(self.base + path)

    def submit(self, button: WebElement, *, navigates: bool = True) -> None:
        """Click as a person would (scrolled into view), accepting a confirmation if one asks,
        and wait for the next page to arrive (as a person waits before reading it)."""
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.d.find_element(By.TAG_NAME, "html")
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()
        try:
            self.d.switch_to.alert.accept()
        except NoAlertPresentException:
            pass
        if navigates:
            WebDriverWait(self.d, 30).until(lambda _: _gone(page))
            self.d.find_element(By.TAG_NAME, "body")

    def form(self, action_part: str) -> WebElement:
        forms = [
            f
            for f in self.d.find_elements(By.CSS_SELECTOR, "form")
            if action_part in (f.get_attribute("action") or "")
        ]
        assert forms, f"no form posting to …{action_part} on {self.d.current_url}"
        return forms[0]

    def press(self, action_part: str, value: str | None = None, **fields: str) -> None:
        """Fill ``fields`` of the form posting to ``action_part`` and press its button (the one
        with ``value`` when several submit different values)."""
        form = self.form(action_part)
        for name, text in fields.items():
            el = form.find_element(By.NAME, name)
            if el.tag_name == "select":
                from selenium.webdriver.support.ui import Select

                Select(el).select_by_value(text)
            elif el.get_attribute("type") == "file":
                el.send_keys(text)
            else:
                el.clear()
                el.send_keys(text)
        buttons = form.find_elements(By.CSS_SELECTOR, "button, input[type=submit]")
        if value is not None:
            buttons = [b for b in buttons if b.get_attribute("value") == value]
        buttons = [b for b in buttons if b.is_displayed()] or buttons
        assert buttons, f"no button in the form posting to …{action_part}"
        self.submit(buttons[0])
        self.d.find_element(By.TAG_NAME, "body")

    def expect(self, pk: int, state: str) -> None:
        """The project is now in ``state``; if not, say what the page in front of the person says."""
        now = Project.objects.get(pk=pk).state
        assert now == state, f"{now} != {state} at {self.d.current_url}:\n{self.text()[:1500]}"

    def text(self) -> str:
        return str(self.d.find_element(By.TAG_NAME, "body").text)

    # --- what each page must hold -----------------------------------------------------------
    def look(self, name: str) -> None:
        """Check the page now shown in all three languages and save a screenshot of each."""
        self.step += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        check = self.check or name in self.also_check
        languages = page_checks.LANGUAGES if check else ("zh-hans",)
        # without its fragment: after a post that lands on "…/#decisions", loading the same URL
        # again only scrolls, and the page would stay in the language it was first shown in
        url = self.d.current_url.split("#")[0]
        self.d.get_log("browser")  # what came before this page is not this page's fault
        for lang in languages:
            self.d.add_cookie({"name": "django_language", "value": lang, "path": "/"})
            self.d.get(url)
            shot = self.shots / f"{self.step:02d}-{name}-{self.size[0]}-{lang}.png"
            shown = self.d.execute_script("return document.documentElement.lang")
            assert shown == lang, f"{shot.name}: the page came in {shown!r}, not {lang!r}"
            if check:
                found = page_checks.problems(self.d, phone=self.size == PHONE)
                if found:
                    self.failures.append(f"{shot.name}: {found}")
            # the whole page, top to bottom, at the person's width (then back to their screen)
            full = self.d.execute_script("return document.documentElement.scrollHeight")
            self.d.set_window_size(self.size[0], min(max(self.size[1], full), 6000))
            self.d.save_screenshot(str(shot))
            self.d.set_window_size(*self.size)
        self.d.add_cookie({"name": "django_language", "value": "zh-hans", "path": "/"})
        self.d.get(url)


def _gone(element: WebElement) -> bool:
    """The page this element was on has been replaced (Chromium says so in one of two ways)."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException, or "node ... not in document"
        return True
    return False


def _person(username: str, community: Community, role: str, household: str = "") -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    if role == Role.SUPERVISOR:
        Membership.objects.create(user=user, role=role, place=community.parent)
    else:
        Membership.objects.create(user=user, role=role, community=community, household=household)
    return user


@pytest.fixture
def town(settings: Any) -> dict[str, Any]:
    settings.ROOT_URLCONF = "tests.e2e.urls"
    street = Street.objects.create(name="花溪街道")
    c = Community.objects.create(
        parent=street, name="清风社区", slug="qingfeng", cosign_threshold=2
    )
    Grid.objects.create(community=c, name="一网格")
    people = {f"res{i}": _person(f"res{i}", c, Role.RESIDENT, f"H{i}") for i in range(1, 7)}
    people["clerk"] = _person("clerk", c, Role.CLERK)
    people["council"] = _person("council", c, Role.COUNCIL)
    for i in (1, 2, 3):
        people[f"cm{i}"] = _person(f"cm{i}", c, Role.COMMITTEE)
    people["sup"] = _person("sup", c, Role.SUPERVISOR)
    fund = Fund.objects.create(community=c, year=timezone.localdate().year)
    ledger.appropriate(fund=fund, amount=Decimal("1000000.00"), by=people["sup"])
    return {"community": c, "people": people, "fund": fund}


def photo(tmp_path: Path) -> str:
    from PIL import Image

    path = tmp_path / "lamp.png"
    Image.new("RGB", (64, 48), (200, 160, 40)).save(path)
    return str(path)


def propose(w: Walk, tmp_path: Path, title: str) -> int:
    w.as_("res1", PHONE)
    w.go("/")
    w.look("home-resident")
    w.go("/projects/new/")
    w.look("propose-form")
    form = w.form("/projects/new/")
    form.find_element(By.NAME, "title").send_keys(title)
    form.find_element(By.NAME, "summary").send_keys(
        "3号楼楼道灯坏了半年，晚上老人上下楼很危险，希望换成声控灯。"
    )
    form.find_element(By.NAME, "location").send_keys("3号楼")
    form.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(photo(tmp_path))
    submit_now = form.find_elements(By.NAME, "submit_now")
    if submit_now and not submit_now[0].is_selected():
        w.submit(submit_now[0], navigates=False)
    w.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit], button:not([type])"))
    m = re.search(r"/projects/(\d+)/", w.d.current_url)
    assert m, f"proposing did not lead to the project page: {w.d.current_url}\n{w.text()[:500]}"
    pk = int(m.group(1))
    w.expect(pk, State.COLLECTING)
    assert w.d.find_elements(By.CSS_SELECTOR, ".photos img, img[src*='/media/']"), "photo not shown"
    w.look("proposed")
    return pk


def cosign(w: Walk, pk: int) -> None:
    for who in ("res2", "res3"):
        w.as_(who, PHONE)
        w.go(f"/projects/{pk}/")
        w.press(f"/projects/{pk}/cosign/")
    w.look("cosigned")
    w.expect(pk, State.SCREENING)


def screen_and_assess(w: Walk, pk: int) -> None:
    w.as_("clerk", DESK)
    w.go("/inbox/")
    w.look("clerk-inbox")
    assert f"/projects/{pk}/" in w.d.page_source, "the clerk's inbox does not list the project"
    w.go(f"/projects/{pk}/")
    w.look("screening")
    w.press(f"/projects/{pk}/act/accept/", reason="符合公益事业范围")
    w.expect(pk, State.ASSESSING)
    w.look("assessing")
    w.press(
        f"/projects/{pk}/act/assess/",
        assessed_cost="12000.00",
        plan="更换 3 号楼 1-6 层楼道声控灯 24 盏，含线路检修。",
        duration_days="10",
    )
    w.expect(pk, State.DELIBERATING)
    w.look("deliberating")


def council_recommends(w: Walk, pk: int) -> None:
    """The council's step is a council meeting: the clerk convenes it from the project page and
    opens it, the council member signs in on their phone and votes, the clerk closes the item."""
    from meetings.models import Meeting

    w.as_("clerk", DESK)
    w.go(f"/projects/{pk}/")
    w.look("council")
    assert "/act/recommend/" not in w.d.page_source, "a free-text recommendation is offered"
    w.go(f"/meetings/new/?project={pk}")
    w.press("/meetings/new/")
    meeting = Meeting.objects.latest("pk")
    item = meeting.items.get()
    w.press(f"/meetings/{meeting.pk}/open/")
    w.as_("council", PHONE)
    w.go(f"/meetings/{meeting.pk}/")
    w.press(f"/meetings/{meeting.pk}/signin/")
    w.press(f"/meetings/items/{item.pk}/vote/", value="yes")
    w.as_("clerk", DESK)
    w.go(f"/meetings/{meeting.pk}/")
    w.press(f"/meetings/items/{item.pk}/close/")
    w.expect(pk, State.DECIDING)


def committee_approves(w: Walk, pk: int) -> None:
    w.as_("cm1", DESK)
    w.go(f"/projects/{pk}/")
    w.look("deciding")
    w.press(f"/projects/{pk}/decisions/open/", motion="approve", amount="12000.00")
    for member in ("cm1", "cm2", "cm3"):
        if member != "cm1":
            w.as_(member, PHONE)
            w.go(f"/projects/{pk}/")
        w.press("/vote/", value="yes")
    w.look("rollcall-voted")
    w.as_("cm1", DESK)
    w.go(f"/projects/{pk}/")
    w.press("/close/", minutes="三名委员出席，全票赞成。")
    w.expect(pk, State.PUBLICIZING)
    w.look("publicizing")


def publicity_with_objection(w: Walk, pk: int) -> None:
    w.as_("res4", PHONE)
    w.go(f"/projects/{pk}/")
    w.press(f"/projects/{pk}/objections/", body="声控灯夜里太亮，影响休息。")
    w.look("objection-filed")
    w.as_("cm2", DESK)
    w.go(f"/projects/{pk}/")
    w.press("/resolve/", value="0", resolution="亮度可调，异议不成立。")
    w.expect(pk, State.PUBLICIZING)
    w.look("objection-dismissed")


def execute(
    w: Walk, clock: Clock, pk: int, receipt: str, *, fail_acceptance_once: bool = False
) -> None:
    """开工 → spending → a progress post with a photo → 申请验收 → the council's inspector signs
    on the phone (failing it once first, if asked: back to execution with the reasons, then
    requested again) → accepted, the public evaluation opens."""
    clock.advance(timedelta(days=8))  # past the 7-day 公示
    w.as_("clerk", DESK)
    w.go(f"/projects/{pk}/")
    w.press(f"/projects/{pk}/act/start_execution/")
    w.expect(pk, State.EXECUTING)
    w.look("executing")
    w.go(f"/projects/{pk}/money/expenditures/new/")
    w.look("spending-form")
    w.press(
        f"/projects/{pk}/money/expenditures/new/",
        amount="7800.00",
        payee="明亮照明工程队",
        memo="声控灯 24 盏及安装",
        receipt=receipt,  # the invoice, photographed
    )
    spent = LedgerEntry.objects.filter(project_id=pk, kind=EntryKind.EXPENDITURE)
    assert spent.exists(), f"the expenditure was not recorded:\n{w.text()[:1500]}"
    w.go(f"/projects/{pk}/")
    w.look("spent")
    w.press(
        f"/projects/{pk}/progress/",
        percent="100",
        body="24 盏声控灯已安装完毕。",
        contractor="明亮照明工程队",
        photos=receipt,
    )
    assert "24 盏声控灯已安装完毕" in w.text(), w.text()[:1500]
    w.press(f"/projects/{pk}/act/deliver/", report="24 盏声控灯已安装，申请验收。")
    w.expect(pk, State.ACCEPTING)
    if fail_acceptance_once:
        acceptance(w, pk, passed=False)
        w.expect(pk, State.EXECUTING)
        w.as_("clerk", DESK)
        w.go(f"/projects/{pk}/")
        assert "5 楼两盏灯不亮" in w.text(), "the reasons are not on the record"
        w.look("acceptance-failed")
        w.press(f"/projects/{pk}/act/deliver/", report="已更换 5 楼两盏灯，再次申请验收。")
        w.expect(pk, State.ACCEPTING)
    acceptance(w, pk, passed=True)
    w.expect(pk, State.EVALUATING)


def acceptance(w: Walk, pk: int, *, passed: bool) -> None:
    """The council's inspector checks the list on the phone and signs."""
    w.as_("council", PHONE)
    w.go(f"/projects/{pk}/")
    w.look("acceptance")
    tick_items(w, pk, fail_first=not passed)
    if passed:
        w.press(f"/projects/{pk}/acceptance/sign/", value="1")
    else:
        w.press(f"/projects/{pk}/acceptance/sign/", value="0", reasons="5 楼两盏灯不亮。")


def tick_items(w: Walk, pk: int, *, fail_first: bool = False) -> None:
    """Decide every checklist item (none is pre-ticked, and the form will not send without):
    the first one failed when ``fail_first``, the rest passed."""
    form = w.form(f"/projects/{pk}/acceptance/sign/")
    items = form.find_elements(By.CSS_SELECTOR, "fieldset.check-item")
    assert items, "the acceptance form lists the checklist"
    for n, item in enumerate(items):
        verdict = "fail" if fail_first and n == 0 else "pass"
        radio = item.find_element(By.CSS_SELECTOR, f"input[type=radio][value={verdict}]")
        assert not radio.is_selected(), "no item is decided for the inspector"
        radio.click()


def evaluate(w: Walk, pk: int, choices: dict[str, str], *, look: bool = True) -> None:
    for who, choice in choices.items():
        w.as_(who, PHONE)
        w.go(f"/projects/{pk}/")
        if look and who == next(iter(choices)):
            w.look("evaluation-open")
        w.press(f"/projects/{pk}/evaluate/", value=choice)
    if look:
        w.look("evaluated")


def let_the_window_close(clock: Clock) -> None:
    clock.advance(timedelta(days=8))  # past the 7-day evaluation window
    call_command("tick")  # the clock process: closes what is due


def holdback_paid(pk: int) -> Decimal:
    rows = LedgerEntry.objects.filter(project_id=pk, kind=EntryKind.HOLDBACK_RELEASE)
    return sum((r.amount for r in rows), Decimal("0.00"))


def test_the_cycle_through_the_pages(
    driver: Any, live_server: Any, town: Any, tmp_path: Path
) -> None:
    w = Walk(driver, live_server.url, check=True)
    clock = Clock()
    try:
        pk = propose(w, tmp_path, "3号楼楼道照明改造")
        cosign(w, pk)
        screen_and_assess(w, pk)
        council_recommends(w, pk)
        committee_approves(w, pk)
        publicity_with_objection(w, pk)
        execute(w, clock, pk, photo(tmp_path))
        evaluate(
            w,
            pk,
            {
                "res1": "satisfied",
                "res2": "satisfied",
                "res3": "basically_satisfied",
                "res5": "satisfied",
                "res6": "satisfied",
            },
        )
        let_the_window_close(clock)
        w.expect(pk, State.CLOSED)
        assert holdback_paid(pk) == Decimal("3600.00")  # 30 % of 12,000.00, paid on the vote
        w.as_("res1", PHONE)
        w.go(f"/projects/{pk}/")
        w.look("closed")
        w.go(f"/communities/{town['community'].slug}/statements/")
        w.look("statement")
    finally:
        clock.stop()
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "failures.txt").write_text("\n".join(w.failures) + "\n", encoding="utf-8")
    assert not w.failures, "\n".join(w.failures)


def test_a_failed_evaluation_is_rectified_and_evaluated_again(
    driver: Any, live_server: Any, town: Any, tmp_path: Path
) -> None:
    # the pages the first walk does not visit are checked in the three languages; the rest were
    w = Walk(
        driver,
        live_server.url,
        check=False,
        shots=SHOTS / "rectification",
        also_check=frozenset(
            {"acceptance-failed", "rectifying", "evaluation-open", "closed-after-rectification"}
        ),
    )
    clock = Clock()
    try:
        pk = propose(w, tmp_path, "小区健身器材更新")
        cosign(w, pk)
        screen_and_assess(w, pk)
        council_recommends(w, pk)
        committee_approves(w, pk)
        execute(w, clock, pk, photo(tmp_path), fail_acceptance_once=True)
        evaluate(w, pk, {f"res{i}": "dissatisfied" for i in (1, 2, 3)}, look=False)
        let_the_window_close(clock)
        w.expect(pk, State.RECTIFYING)
        assert holdback_paid(pk) == Decimal("0.00")  # held through rectification
        w.as_("clerk", DESK)
        w.go(f"/projects/{pk}/")
        w.look("rectifying")
        w.press(f"/projects/{pk}/act/finish_rectification/", report="更换了两台损坏器材。")
        w.expect(pk, State.EVALUATING)
        evaluate(w, pk, {f"res{i}": "satisfied" for i in (1, 2, 3, 4)})  # the second round
        let_the_window_close(clock)
        w.expect(pk, State.CLOSED)
        assert holdback_paid(pk) == Decimal("3600.00")
        w.as_("res1", PHONE)
        w.go(f"/projects/{pk}/")
        w.look("closed-after-rectification")
    finally:
        clock.stop()
        (SHOTS / "rectification").mkdir(parents=True, exist_ok=True)
        (SHOTS / "rectification" / "failures.txt").write_text(
            "\n".join(w.failures) + "\n", encoding="utf-8"
        )
    assert not w.failures, "\n".join(w.failures)
