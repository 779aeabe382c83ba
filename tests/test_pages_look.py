"""What a person sees around every page: the links they are offered, the type size they chose,
plain words instead of technical text, our own error pages, and a quiet server log."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from projects.context_processors import LARGE_TYPE_COOKIE
from projects.log_filters import ExpectedRefusalFilter
from projects.models import UserPreference
from projects.templatetags.ui import cny, fraction_words, verdict_plain
from tests.conftest import new_project

ROOT = Path(__file__).resolve().parents[1]


def page(client: Client, url: str, lang: str = "zh-hans") -> tuple[int, str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    r = client.get(url)
    return r.status_code, r.content.decode()


# --- DEBUG and the 404 page ------------------------------------------------------------------
def test_debug_is_off_unless_the_environment_turns_it_on() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    code = "import config.settings as s; print(s.DEBUG)"
    off = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    on = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert off.stdout.strip() == "False"
    assert on.stdout.strip() == "True"


def test_make_run_turns_debug_on_for_the_demo() -> None:
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "-p", "-n", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "run: DJANGO_DEBUG = 1" in out and "demo: DJANGO_DEBUG = 1" in out


@pytest.mark.parametrize("lang", ["zh-hans", "zh-hant", "en"])
def test_a_mistyped_url_shows_our_404_page_not_the_route_list(db: None, lang: str) -> None:
    status, html = page(Client(), "/projets/1/", lang)
    assert status == 404
    assert f'<html lang="{lang}"' in html
    assert 'class="topbar"' in html and 'href="/"' in html  # our page, with a way home
    assert "URLconf" not in html and "Django" not in html and "api/v1/" not in html


def test_404_page_says_what_happened_in_plain_words(db: None) -> None:
    _status, html = page(Client(), "/no-such-page/")
    assert "找不到这个页面" in html and "返回首页" in html


# --- the header offers what each person can use -----------------------------------------------
def test_resident_is_offered_to_propose_but_not_supervision(
    cast: dict[str, Any], client_for: Any
) -> None:
    _s, html = page(client_for(cast["resident"]), "/")
    assert 'href="/projects/new/"' in html
    assert "/supervision/overdue/" not in html and 'href="/funds/"' not in html
    # the public board of the resident's own community
    assert 'href="/communities/xingfu/statements/"' in html


def test_staff_are_not_offered_the_proposal_form(cast: dict[str, Any], client_for: Any) -> None:
    for who in ("clerk", "committee", "council"):
        _s, html = page(client_for(cast[who]), "/")
        assert 'href="/projects/new/"' not in html, who
        assert "/supervision/overdue/" not in html, who


def test_supervisor_is_offered_overdue_tasks_and_funds(
    cast: dict[str, Any], client_for: Any
) -> None:
    c = client_for(cast["supervisor"])
    _s, html = page(c, "/")
    assert 'href="/supervision/overdue/"' in html and 'href="/funds/"' in html
    assert 'href="/projects/new/"' not in html
    _s, inbox = page(c, "/inbox/")
    assert "/supervision/overdue/" in inbox


def test_inbox_offers_overdue_tasks_only_to_supervisors(
    cast: dict[str, Any], client_for: Any
) -> None:
    for who in ("resident", "clerk", "committee"):
        status, html = page(client_for(cast[who]), "/inbox/")
        assert status == 200
        assert "/supervision/overdue/" not in html, who


def test_every_link_in_the_header_opens_for_that_person(
    cast: dict[str, Any], client_for: Any, other_community: Any
) -> None:
    import re

    for who in ("resident", "clerk", "committee", "supervisor", None):
        c = client_for(cast[who]) if who else Client()
        _s, html = page(c, "/")
        header = html.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]
        for href in set(re.findall(r'<a href="(/[^"?#]*)', header)):
            r = c.get(href, follow=True)
            assert r.status_code == 200, (who, href, r.status_code)


def test_public_board_lists_communities_for_visitors(
    db: None, community: Any, other_community: Any
) -> None:
    status, html = page(Client(), "/board/")
    assert status == 200
    assert "/communities/xingfu/statements/" in html and "/communities/heping/statements/" in html


# --- 大字 ------------------------------------------------------------------------------------
def test_large_type_is_remembered_for_the_user_on_any_device(
    cast: dict[str, Any], client_for: Any
) -> None:
    phone = client_for(cast["resident"])
    r = phone.post("/settings/text-size/", {"large": "1", "next": "/projects/"})
    assert r.status_code == 302 and r["Location"] == "/projects/"
    assert UserPreference.objects.get(user=cast["resident"]).large_type is True
    desktop = client_for(cast["resident"])  # another device: no cookie
    _s, html = page(desktop, "/")
    assert '<html lang="zh-hans" class="large-type">' in html
    desktop.post("/settings/text-size/", {"large": "0"})
    _s, html = page(phone, "/")
    assert "large-type" not in html.split(">", 2)[1]


def test_large_type_for_a_visitor_lives_in_a_cookie(db: None) -> None:
    c = Client()
    r = c.post("/settings/text-size/", {"large": "1", "next": "https://evil.example/"})
    assert r["Location"] == "/"  # never redirects off the site
    assert r.cookies[LARGE_TYPE_COOKIE].value == "1"
    _s, html = page(c, "/")
    assert 'class="large-type"' in html
    assert UserPreference.objects.count() == 0


# --- plain words --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stored", "zh", "en"),
    [
        (Decimal("0.667"), "三分之二", "two thirds"),
        ("2/3", "三分之二", "two thirds"),
        (Fraction(1, 2), "二分之一", "one half"),
        (0.75, "四分之三", "three quarters"),
        ((3, 5), "五分之三", "three fifths"),
    ],
)
def test_quorum_is_said_as_a_fraction_in_words(stored: Any, zh: str, en: str) -> None:
    with translation.override("zh-hans"):
        assert fraction_words(stored) == zh
    with translation.override("en"):
        assert fraction_words(stored) == en


def test_fraction_words_leaves_nonsense_alone() -> None:
    assert fraction_words(None) == ""
    assert fraction_words("abc") == "abc"


def test_amounts_read_as_yuan_without_approximation_signs() -> None:
    with translation.override("zh-hans"):
        assert cny("32857.142") == "32,857.14 元"
        assert cny(Decimal("5")) == "5.00 元"
        assert cny(None) == ""


def test_budget_verdicts_in_everyday_words() -> None:
    with translation.override("zh-hans"):
        assert "剩下的预算不够" in verdict_plain("does_not_fit")
        assert verdict_plain("unknown") == ""


def test_proposal_form_errors_are_clear_not_djangos_stock_wording(
    cast: dict[str, Any], client_for: Any
) -> None:
    c = client_for(cast["resident"])
    r = c.post("/projects/new/", {"title": "ab", "summary": "x", "category": "other"})
    html = r.content.decode()
    assert r.status_code == 400
    assert "确保该变量" not in html and "目前字符数" not in html
    assert "太短了：至少要写 4 个字，现在是 2 个。" in html


def test_fresh_proposal_shows_no_rows_of_zero_money(
    cast: dict[str, Any], client_for: Any, community: Any
) -> None:
    p = new_project(community, cast["resident"])
    _s, html = page(client_for(cast["resident"]), f"/projects/{p.pk}/")
    money = html.split('id="money"', 1)[1].split("</section>", 1)[0]
    assert "0.00" not in money
    assert "批准后" in money


def test_statement_tables_stack_into_labelled_cards(
    cast: dict[str, Any], client_for: Any, fund: Any
) -> None:
    from django.utils import timezone

    month = timezone.localdate().strftime("%Y-%m")
    status, html = page(Client(), f"/communities/xingfu/statements/{month}/")
    assert status == 200
    assert 'class="data statement-summary cards"' in html
    assert 'data-label="期末"' in html


# --- favicon and logging --------------------------------------------------------------------------
def test_pages_have_a_favicon(db: None) -> None:
    _s, html = page(Client(), "/")
    assert 'rel="icon"' in html
    r = Client().get("/favicon.ico")
    assert r.status_code == 301 and r["Location"].endswith("favicon/favicon.ico")
    assert (ROOT / "static" / "favicon" / "favicon.ico").stat().st_size > 0


def _record(status: int, exc: bool = True) -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError:
        info = sys.exc_info() if exc else None
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", (), info)
    record.status_code = status
    return record


def test_an_expected_refusal_is_not_logged_again_with_a_traceback() -> None:
    f = ExpectedRefusalFilter()
    assert f.filter(_record(403)) is False
    assert f.filter(_record(404)) is False
    assert f.filter(_record(409)) is False
    assert f.filter(_record(500)) is True  # real errors keep their traceback


def test_each_access_line_is_printed_once() -> None:
    loggers = settings.LOGGING["loggers"]
    for name in ("django", "django.request", "django.server", "django.channels.server"):
        assert loggers[name]["propagate"] is False, name
        assert len(loggers[name]["handlers"]) == 1, name


# --- money actions on a settled project -----------------------------------------------------------
def test_closed_project_offers_no_money_actions_once_nothing_is_owed(
    cast: dict[str, Any], client_for: Any, community: Any, fund: Any
) -> None:
    from django.utils import timezone

    from projects import ledger
    from tests.projects.money_helpers import png_upload, walk_to

    closed = walk_to(new_project(community, cast["resident"]), "closed", cast)
    clerk = client_for(cast["clerk"])
    _s, html = page(clerk, f"/projects/{closed.pk}/")
    # the holdback the vote released is still to be paid on: that payment is offered, and why
    money = html.split('id="money"', 1)[1].split("</section>", 1)[0]
    assert "记录支出" in money and "尾款" in money
    owed = ledger.project_balances(closed).unspent
    ledger.expenditure_record(
        project=closed,
        by=cast["clerk"],
        amount=str(owed),
        payee="施工队",
        paid_on=timezone.localdate().isoformat(),
        receipt=png_upload(),
    )
    _s, html = page(clerk, f"/projects/{closed.pk}/")
    money = html.split('id="money"', 1)[1].split("</section>", 1)[0]
    assert "记录支出" not in money and "登记共建" not in money
    assert ledger.clerk_money_actions(closed.state, ledger.project_balances(closed)) == []
    assert "expenditure" in ledger.clerk_money_actions("executing")


def test_a_refused_action_states_its_reason_once(
    cast: dict[str, Any], client_for: Any, community: Any
) -> None:
    from tests.projects.money_helpers import walk_to

    p = walk_to(new_project(community, cast["resident"]), "screening", cast)
    c = client_for(make_other_resident(community))
    r = c.post(f"/projects/{p.pk}/cosign/", HTTP_REFERER=f"/projects/{p.pk}/")
    assert r.status_code == 409
    body = r.content.decode().split('id="main"', 1)[1]
    assert body.count('class="alert alert-error"') == 1, body


def make_other_resident(community: Any) -> Any:
    from projects.models import Role
    from tests.conftest import add_role, make_user

    user = make_user("neighbour")
    add_role(user, community, Role.RESIDENT, household="H99")
    return user
