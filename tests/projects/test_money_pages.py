"""Money pages: the project's money panel, the clerk's forms, fund admin for supervisors, and the
read-only admin for the ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from projects import ledger
from projects.models import Community, EntryKind, Fund, LedgerEntry, State
from tests.conftest import make_user
from tests.projects.money_helpers import assert_money, at, png_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("money_urls")]


def form(**over: Any) -> dict[str, Any]:
    data = {
        "amount": "1500.00",
        "payee": "李师傅水电维修",
        "paid_on": timezone.localdate().isoformat(),
        "receipt": png_upload(),
        "memo": "更换线路",
    }
    data.update(over)
    return data


# --- the panel ------------------------------------------------------------------------------
def test_project_page_shows_money_panel(
    project_in: Any, cast: dict[str, Any], client_for: Any
) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    ledger.expenditure_record(
        project=p,
        by=cast["clerk"],
        amount="1200",
        payee="明亮照明",
        paid_on=timezone.localdate(),
        receipt=png_upload(),
    )
    for path in (f"/projects/{p.pk}/", f"/projects/{p.pk}/money/"):
        html = Client().get(path).content.decode()
        assert 'data-figure="allocated">10,000.00<' in html
        assert 'data-figure="released">7,000.00<' in html
        assert 'data-figure="spent">1,200.00<' in html
        assert "明亮照明" in html and "尾款 3,000.00 元待群众评议通过后拨付" in html
        assert "记录支出" not in html  # not for the public
    clerk_html = client_for(cast["clerk"]).get(f"/projects/{p.pk}/money/").content.decode()
    assert f"/projects/{p.pk}/money/expenditures/new/" in clerk_html
    assert "/reverse/" in clerk_html
    resident_html = client_for(cast["resident"]).get(f"/projects/{p.pk}/money/").content.decode()
    assert "/reverse/" not in resident_html and "登记共建" not in resident_html


def test_panel_template_renders_by_include(project_in: Any) -> None:
    from django.template.loader import render_to_string

    p = project_in(State.PUBLICIZING, amount="8000.00")
    html = render_to_string("money/panel.html", {"project": p})
    assert 'data-figure="allocated">8,000.00<' in html and 'id="money"' in html


# --- the clerk's forms ------------------------------------------------------------------------
def test_clerk_records_expenditure_by_form(
    project_in: Any, cast: dict[str, Any], client_for: Any
) -> None:
    p = project_in(State.EXECUTING)
    c = client_for(cast["clerk"])
    page = c.get(f"/projects/{p.pk}/money/expenditures/new/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    r = c.post(f"/projects/{p.pk}/money/expenditures/new/", form())
    assert r.status_code == 302 and r["Location"].startswith(f"/projects/{p.pk}/")
    e = LedgerEntry.objects.get(project=p, kind=EntryKind.EXPENDITURE)
    assert (e.amount, e.payee, e.memo) == (Decimal("1500.00"), "李师傅水电维修", "更换线路")


@pytest.mark.parametrize(
    "over, message, field",
    [
        ({"amount": "-3"}, "大于零", "amount"),
        ({"amount": "2.345"}, "两位小数", "amount"),
        ({"amount": "9000"}, "超出已拨付未支出余额", "amount"),
        (
            {
                "receipt": SimpleUploadedFile(
                    "a.pdf", b"GIF89a-not-really", content_type="application/pdf"
                )
            },
            "PDF",
            "receipt",
        ),
    ],
)
def test_bad_expenditure_form_shows_error_and_writes_nothing(
    project_in: Any,
    cast: dict[str, Any],
    client_for: Any,
    over: dict[str, Any],
    message: str,
    field: str,
) -> None:
    p = project_in(State.EXECUTING)
    before = LedgerEntry.objects.count()
    r = client_for(cast["clerk"]).post(f"/projects/{p.pk}/money/expenditures/new/", form(**over))
    assert r.status_code == 400
    html = r.content.decode()
    assert message in html and 'class="errorlist"' in html
    assert LedgerEntry.objects.count() == before


def test_expenditure_form_on_failed_project_is_409(
    project_in: Any, cast: dict[str, Any], client_for: Any
) -> None:
    p = project_in(State.FAILED)
    before = LedgerEntry.objects.count()
    r = client_for(cast["clerk"]).post(
        f"/projects/{p.pk}/money/expenditures/new/", form(amount="1")
    )
    assert r.status_code == 409 and "评议未通过" in r.content.decode()
    assert LedgerEntry.objects.count() == before


def test_closed_project_takes_the_final_invoice(
    project_in: Any, cast: dict[str, Any], client_for: Any
) -> None:
    # Nothing spent during the work: on closing, the unspent advance went back to the fund and
    # the holdback (30 % of 10,000.00) was released; the final invoice pays it on.
    p = project_in(State.CLOSED)
    c = client_for(cast["clerk"])
    page = c.get(f"/projects/{p.pk}/").content.decode()
    assert f"/projects/{p.pk}/money/expenditures/new/" in page
    r = c.post(f"/projects/{p.pk}/money/expenditures/new/", form(amount="3000.01"))
    assert r.status_code == 400 and "3000.00" in r.content.decode()
    r = c.post(f"/projects/{p.pk}/money/expenditures/new/", form(amount="3000.00"))
    assert r.status_code == 302
    assert_money(p, allocated="3000.00", released="3000.00", spent="3000.00")
    resident_page = client_for(cast["resident"]).get(f"/projects/{p.pk}/").content.decode()
    assert f"/projects/{p.pk}/money/expenditures/new/" not in resident_page


def test_forms_are_for_clerks(project_in: Any, cast: dict[str, Any], client_for: Any) -> None:
    p = project_in(State.EXECUTING)
    for who in ("resident", "committee", "supervisor"):
        c = client_for(cast[who])
        assert c.get(f"/projects/{p.pk}/money/expenditures/new/").status_code == 403
        assert c.post(f"/projects/{p.pk}/money/expenditures/new/", form()).status_code == 403
        assert c.get(f"/projects/{p.pk}/money/cofunding/new/").status_code == 403
    anon = Client().get(f"/projects/{p.pk}/money/expenditures/new/")
    assert anon.status_code == 302 and "login" in anon["Location"]
    assert_money(p, spent=0)


def test_cofunding_form(project_in: Any, cast: dict[str, Any], client_for: Any) -> None:
    p = project_in(State.EXECUTING)
    c = client_for(cast["clerk"])
    assert c.get(f"/projects/{p.pk}/money/cofunding/new/").status_code == 200
    r = c.post(
        f"/projects/{p.pk}/money/cofunding/new/",
        {
            "kind": "receipt",
            "contributor": "区医院",
            "contributor_kind": "unit",
            "amount": "800",
            "in_kind": "on",
            "in_kind_description": "4 张长椅",
            "paid_on": timezone.localdate().isoformat(),
        },
    )
    assert r.status_code == 302
    r = c.post(
        f"/projects/{p.pk}/money/cofunding/new/",
        {
            "kind": "pledge",
            "contributor": "幸福物业",
            "contributor_kind": "company",
            "amount": "5000",
        },
    )
    assert r.status_code == 302
    r = c.post(
        f"/projects/{p.pk}/money/cofunding/new/",
        {"kind": "pledge", "contributor": "幸福物业", "contributor_kind": "company", "amount": "0"},
    )
    assert r.status_code == 400
    assert_money(p, cofunded="800", pledged="5000")
    assert ledger.project_balances(p).cofunded_in_kind == Decimal("800.00")


def test_reverse_form(project_in: Any, cast: dict[str, Any], client_for: Any) -> None:
    p = project_in(State.EXECUTING)
    e = ledger.expenditure_record(
        project=p,
        by=cast["clerk"],
        amount="500",
        payee="李师傅",
        paid_on=timezone.localdate(),
        receipt=png_upload(),
    )
    c = client_for(cast["clerk"])
    assert c.get(f"/ledger/{e.pk}/reverse/").status_code == 200
    assert c.post(f"/ledger/{e.pk}/reverse/", {"reason": ""}).status_code == 400
    assert c.post(f"/ledger/{e.pk}/reverse/", {"reason": "票据作废"}).status_code == 302
    assert c.post(f"/ledger/{e.pk}/reverse/", {"reason": "再冲"}).status_code == 409
    assert client_for(cast["committee"]).get(f"/ledger/{e.pk}/reverse/").status_code == 403
    allocation = LedgerEntry.objects.get(project=p, kind=EntryKind.ALLOCATION)
    assert c.get(f"/ledger/{allocation.pk}/reverse/").status_code == 403
    assert_money(p, spent=0)
    assert "已冲正" in c.get(f"/projects/{p.pk}/money/").content.decode()


# --- fund admin -------------------------------------------------------------------------------
def test_fund_admin_is_for_supervisors(fund: Fund, cast: dict[str, Any], client_for: Any) -> None:
    r = client_for(cast["supervisor"]).get("/funds/")
    assert r.status_code == 200 and f"/funds/{fund.pk}/" in r.content.decode()
    for who in ("clerk", "committee", "resident"):
        assert client_for(cast[who]).get("/funds/").status_code == 403
        assert client_for(cast[who]).get("/funds/new/").status_code == 403
    assert Client().get("/funds/").status_code == 302


def test_supervisor_creates_fund_and_appropriates_by_form(
    community: Community, cast: dict[str, Any], client_for: Any
) -> None:
    c = client_for(cast["supervisor"])
    assert c.get("/funds/new/").status_code == 200
    r = c.post(
        "/funds/new/", {"community": community.pk, "year": 2031, "name": "", "amount": "900000"}
    )
    assert r.status_code == 302
    fund = Fund.objects.get(community=community, year=2031)
    assert c.post("/funds/new/", {"community": community.pk, "year": 2031}).status_code == 409
    assert (
        c.post(
            "/funds/new/", {"community": community.pk, "year": 2032, "amount": "1.234"}
        ).status_code
        == 400
    )
    assert (
        c.post(f"/funds/{fund.pk}/appropriate/", {"amount": "100000", "memo": "追加"}).status_code
        == 302
    )
    assert (
        client_for(cast["clerk"])
        .post(f"/funds/{fund.pk}/appropriate/", {"amount": "1"})
        .status_code
        == 403
    )
    page = Client().get(f"/funds/{fund.pk}/").content.decode()  # the fund's page is public
    assert 'data-figure="available">1,000,000.00<' in page and "拨入经费" in page
    assert "money-fund-appropriate" not in page and "/appropriate/" not in page


def test_supervisor_carries_over_by_form(
    community: Community, cast: dict[str, Any], client_for: Any
) -> None:
    with at(datetime(2030, 3, 1, 9)):
        old = ledger.fund_create(
            community=community, year=2030, by=cast["supervisor"], amount="300000"
        )
    with at(datetime(2031, 1, 8, 9)):
        new = ledger.fund_create(community=community, year=2031, by=cast["supervisor"])
        c = client_for(cast["supervisor"])
        assert "年末结转" in c.get(f"/funds/{old.pk}/").content.decode()
        r = c.post(f"/funds/{old.pk}/carry-over/")
        assert r.status_code == 302 and r["Location"] == f"/funds/{new.pk}/"
        assert c.post(f"/funds/{old.pk}/carry-over/").status_code == 409
    assert ledger.fund_balances(new).available == Decimal("300000.00")
    assert ledger.fund_balances(old).available == 0


# --- the admin ------------------------------------------------------------------------------
def test_admin_shows_ledger_read_only(
    project_in: Any, cast: dict[str, Any], client_for: Any
) -> None:
    p = project_in(State.EXECUTING)
    admin = make_user("root", is_staff=True, is_superuser=True)
    c = client_for(admin)
    entry = LedgerEntry.objects.filter(project=p).first()
    assert entry is not None
    assert c.get("/admin/projects/ledgerentry/").status_code == 200
    assert c.get(f"/admin/projects/ledgerentry/{entry.pk}/change/").status_code == 200  # view only
    assert c.get("/admin/projects/ledgerentry/add/").status_code == 403
    assert (
        c.post(f"/admin/projects/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert (
        c.post(f"/admin/projects/ledgerentry/{entry.pk}/change/", {"amount": "1"}).status_code
        == 403
    )
    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount
    for path in (
        "/admin/projects/project/",
        f"/admin/projects/project/{p.pk}/change/",
        "/admin/projects/fund/",
        "/admin/projects/projectevent/",
        "/admin/projects/community/",
        "/admin/projects/membership/",
        "/admin/projects/place/",
        "/admin/projects/grid/",
        "/admin/projects/comment/",
    ):
        assert c.get(path).status_code == 200, path
    assert c.get("/admin/projects/project/add/").status_code == 403
    html = c.get(f"/admin/projects/project/{p.pk}/change/").content.decode()
    assert 'name="state"' not in html  # the state is read-only here
