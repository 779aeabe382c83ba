"""The money API: public reads, clerk and supervisor writes; 403 wrong role, 409 wrong state with
what is allowed now, 400 bad input; never a 500, and nothing written on an error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from projects import ledger
from projects.models import EntryKind, Fund, LedgerEntry, Project, State
from tests.projects.money_helpers import assert_money, pdf_upload, png_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("money_urls")]


def api(user: Any = None) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def expenditure(project: Project, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "amount": "1200.00",
        "payee": "明亮照明工程公司",
        "paid_on": timezone.localdate().isoformat(),
        "receipt": png_upload(),
        "memo": "灯具",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def no_new_entries(before: int) -> None:
    assert LedgerEntry.objects.count() == before


# --- reads --------------------------------------------------------------------------------
def test_fund_and_its_entries_are_public(project_in: Any, fund: Fund) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    r = api().get(f"/api/v1/funds/{fund.pk}/")
    assert r.status_code == 200
    body = r.json()
    assert body["year"] == fund.year and body["community"]["slug"] == "xingfu"
    assert (
        body["balances"]["available"] == "990000.00" and body["balances"]["released"] == "7000.00"
    )
    r = api().get(f"/api/v1/funds/{fund.pk}/entries/")
    assert r.status_code == 200
    kinds = [e["kind"] for e in r.json()["results"]]
    assert kinds == ["appropriation", "allocation", "advance_release"]
    assert (
        r.json()["results"][1]["project"] == p.pk and r.json()["results"][1]["amount"] == "10000.00"
    )
    r = api().get(
        f"/api/v1/funds/{fund.pk}/entries/",
        {"kind": "allocation", "project": p.pk, "month": this_month()},
    )
    assert [e["kind"] for e in r.json()["results"]] == ["allocation"]
    listing = api().get("/api/v1/funds/", {"community": "xingfu"}).json()
    assert [f["id"] for f in listing] == [fund.pk] and listing[0]["balances"][
        "allocated"
    ] == "10000.00"


@pytest.mark.parametrize(
    "query", [{"kind": "bribe"}, {"month": "2025-13"}, {"month": "May"}, {"project": "x"}]
)
def test_bad_entry_filters_are_400(fund: Fund, query: dict[str, str]) -> None:
    r = api().get(f"/api/v1/funds/{fund.pk}/entries/", query)
    assert r.status_code == 400 and r.json()["detail"]


def test_unknown_fund_is_404(db: None) -> None:
    assert api().get("/api/v1/funds/999999/").status_code == 404
    assert api().get("/api/v1/funds/999999/entries/").status_code == 404


def test_statement_api_is_public(project_in: Any, community: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    ledger.cofund_receive(
        project=p, by=cast["clerk"], amount="300", contributor="张阿姨", contributor_kind="resident"
    )
    r = api().get(f"/api/v1/communities/{community.pk}/statements/{this_month()}/")
    assert r.status_code == 200
    body = r.json()
    assert body["month"] == this_month()
    assert body["closing"]["available"] == "990000.00" and body["closing"]["cofunded"] == "300.00"
    assert Decimal(body["opening"]["spent"]) + Decimal(body["movement"]["spent"]) == Decimal(
        body["closing"]["spent"]
    )
    assert [e["kind"] for e in body["entries"]] == [
        "appropriation",
        "allocation",
        "advance_release",
        "cofund_receipt",
    ]
    assert [c["contributor"] for c in body["cofunding"]] == ["张阿姨"]
    assert body["projects"][0]["title"] == p.title
    months = api().get(f"/api/v1/communities/{community.pk}/statements/").json()["months"]
    assert months == [this_month()]


@pytest.mark.parametrize("month", ["2025-13", "2025-00", "abcd-ef", "2025-1"])
def test_statement_api_bad_month_is_400(community: Any, month: str) -> None:
    r = api().get(f"/api/v1/communities/{community.pk}/statements/{month}/")
    assert r.status_code == 400 and "YYYY-MM" in r.json()["detail"]


def test_project_money(project_in: Any, cast: dict[str, Any], community: Any) -> None:
    from tests.conftest import new_project

    p = project_in(State.EXECUTING, amount="10000.00")
    body = api().get(f"/api/v1/projects/{p.pk}/money/").json()
    assert (
        body["balances"]["allocated"] == "10000.00" and body["balances"]["unreleased"] == "3000.00"
    )
    assert [e["kind"] for e in body["entries"]] == ["allocation", "advance_release"]
    draft = new_project(community, cast["resident"])
    assert api().get(f"/api/v1/projects/{draft.pk}/money/").status_code == 404
    assert api(cast["resident"]).get(f"/api/v1/projects/{draft.pk}/money/").status_code == 200


def test_street_statement_api_for_supervisors(
    community: Any, cast: dict[str, Any], fund: Fund
) -> None:
    path = f"/api/v1/streets/{community.place.parent_id}/statements/{this_month()}/"
    r = api(cast["supervisor"]).get(path)
    assert r.status_code == 200
    assert r.json()["communities"][0]["closing"]["available"] == "1000000.00"
    assert api(cast["clerk"]).get(path).status_code == 403
    assert api().get(path).status_code in (401, 403)


# --- expenditures ---------------------------------------------------------------------------
def test_clerk_records_expenditure(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/expenditures/",
        expenditure(p, receipt=pdf_upload()),
        format="multipart",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["kind"], body["amount"], body["payee"], body["actor"]) == (
        "expenditure",
        "1200.00",
        "明亮照明工程公司",
        "clerk",
    )
    assert body["receipt"].endswith(".pdf")
    assert_money(p, released="7000.00", spent="1200.00")


def test_json_number_amount_is_taken_as_written(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING)
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/cofunding/",
        {"kind": "receipt", "amount": 0.1, "contributor": "张阿姨", "contributor_kind": "resident"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["amount"] == "0.10"
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/cofunding/",
        {
            "kind": "receipt",
            "amount": 0.001,
            "contributor": "张阿姨",
            "contributor_kind": "resident",
        },
        format="json",
    )
    assert r.status_code == 400


@pytest.mark.parametrize("who", ["resident", "committee", "supervisor", "council"])
def test_wrong_role_is_403(project_in: Any, cast: dict[str, Any], who: str) -> None:
    p = project_in(State.EXECUTING)
    before = LedgerEntry.objects.count()
    r = api(cast[who]).post(
        f"/api/v1/projects/{p.pk}/expenditures/", expenditure(p), format="multipart"
    )
    assert r.status_code == 403 and r.json()["detail"]
    no_new_entries(before)


def test_anonymous_write_is_refused(project_in: Any) -> None:
    p = project_in(State.EXECUTING)
    r = api().post(f"/api/v1/projects/{p.pk}/expenditures/", expenditure(p), format="multipart")
    assert r.status_code in (401, 403)


@pytest.mark.parametrize("state", [State.FAILED, State.PUBLICIZING])
def test_expenditure_in_wrong_state_is_409_with_allowed(
    project_in: Any, cast: dict[str, Any], state: str
) -> None:
    p = project_in(state)
    before = LedgerEntry.objects.count()
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/expenditures/", expenditure(p), format="multipart"
    )
    assert r.status_code == 409
    body = r.json()
    assert body["state"] == state and "expenditure" not in body["allowed"]
    assert body["allowed"] == ([] if state == State.FAILED else ["cofund_pledge", "cofund_receipt"])
    no_new_entries(before)


@pytest.mark.parametrize(
    "over, field",
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "999999"}, "amount"),
        ({"amount": None}, "amount"),
        ({"payee": ""}, "payee"),
        ({"paid_on": "2025-02-31"}, "paid_on"),
        ({"receipt": None}, "receipt"),
        (
            {
                "receipt": SimpleUploadedFile(
                    "x.pdf", b"<html>not a pdf</html>", content_type="application/pdf"
                )
            },
            "receipt",
        ),
        ({"receipt": SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")}, "receipt"),
    ],
)
def test_bad_expenditure_input_is_400_and_writes_nothing(
    project_in: Any, cast: dict[str, Any], over: dict[str, Any], field: str
) -> None:
    p = project_in(State.EXECUTING)
    before = LedgerEntry.objects.count()
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/expenditures/", expenditure(p, **over), format="multipart"
    )
    assert r.status_code == 400, r.content
    assert field in r.json()["errors"], r.json()
    no_new_entries(before)


def test_oversized_receipt_is_400(project_in: Any, cast: dict[str, Any], settings: Any) -> None:
    p = project_in(State.EXECUTING)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    big = SimpleUploadedFile(
        "big.pdf",
        b"%PDF-1.4\n" + b"0" * (ledger.RECEIPT_MAX_BYTES + 1),
        content_type="application/pdf",
    )
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/expenditures/", expenditure(p, receipt=big), format="multipart"
    )
    assert r.status_code == 400 and "receipt" in r.json()["errors"]
    assert_money(p, spent=0)


def test_malformed_bodies_are_400_not_500(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING)
    c = api(cast["clerk"])
    for path in (f"/api/v1/projects/{p.pk}/expenditures/", f"/api/v1/projects/{p.pk}/cofunding/"):
        assert c.post(path, [1, 2], format="json").status_code == 400
        assert c.post(path, {"amount": {"x": 1}}, format="json").status_code == 400
        assert c.post(path, "{not json", content_type="application/json").status_code == 400
    assert c.post("/api/v1/entries/1/reverse/", ["x"], format="json").status_code in (400, 404)


# --- co-funding -----------------------------------------------------------------------------
def test_cofunding_pledge_and_in_kind_receipt(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.PUBLICIZING)
    c = api(cast["clerk"])
    r = c.post(
        f"/api/v1/projects/{p.pk}/cofunding/",
        {
            "kind": "pledge",
            "amount": "5000",
            "contributor": "幸福物业",
            "contributor_kind": "company",
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["kind"] == "cofund_pledge"
    r = c.post(
        f"/api/v1/projects/{p.pk}/cofunding/",
        {
            "kind": "receipt",
            "amount": "800",
            "contributor": "区医院",
            "contributor_kind": "unit",
            "in_kind": "true",
            "in_kind_description": "4 张长椅",
            "receipt": png_upload(),
        },
        format="multipart",
    )
    assert r.status_code == 201, r.content
    assert (r.json()["in_kind"], r.json()["in_kind_description"]) == (True, "4 张长椅")
    assert_money(p, pledged="5000", cofunded="800")


@pytest.mark.parametrize("state", [State.REJECTED, State.FAILED])
def test_cofunding_on_dead_project_is_409(
    project_in: Any, cast: dict[str, Any], state: str
) -> None:
    p = project_in(state)
    before = LedgerEntry.objects.count()
    r = api(cast["clerk"]).post(
        f"/api/v1/projects/{p.pk}/cofunding/",
        {
            "kind": "receipt",
            "amount": "100",
            "contributor": "某公司",
            "contributor_kind": "company",
        },
        format="json",
    )
    assert r.status_code == 409 and r.json()["allowed"] == []
    no_new_entries(before)


@pytest.mark.parametrize(
    "over, field",
    [
        ({"kind": "gift"}, "kind"),
        ({"contributor_kind": "bank"}, "contributor_kind"),
        ({"contributor": ""}, "contributor"),
        ({"in_kind": True, "in_kind_description": ""}, "in_kind_description"),
        ({"amount": "1.999"}, "amount"),
    ],
)
def test_bad_cofunding_input_is_400(
    project_in: Any, cast: dict[str, Any], over: dict[str, Any], field: str
) -> None:
    p = project_in(State.EXECUTING)
    data = {
        "kind": "receipt",
        "amount": "100",
        "contributor": "某公司",
        "contributor_kind": "company",
        **over,
    }
    before = LedgerEntry.objects.count()
    r = api(cast["clerk"]).post(f"/api/v1/projects/{p.pk}/cofunding/", data, format="json")
    assert r.status_code == 400 and field in r.json()["errors"]
    no_new_entries(before)


# --- reversals ------------------------------------------------------------------------------
def test_reverse_entry(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING)
    e = ledger.expenditure_record(
        project=p,
        by=cast["clerk"],
        amount="500",
        payee="李师傅",
        paid_on=timezone.localdate(),
        receipt=png_upload(),
    )
    path = f"/api/v1/entries/{e.pk}/reverse/"
    assert api(cast["clerk"]).post(path, {}, format="json").status_code == 400
    assert api(cast["committee"]).post(path, {"reason": "错"}, format="json").status_code == 403
    r = api(cast["clerk"]).post(path, {"reason": "金额录错"}, format="json")
    assert r.status_code == 201 and r.json()["reverses"] == e.pk and r.json()["kind"] == "reversal"
    again = api(cast["clerk"]).post(path, {"reason": "再来"}, format="json")
    assert again.status_code == 409 and again.json()["allowed"] == []
    assert (
        api().get(f"/api/v1/projects/{p.pk}/money/").json()["entries"][2]["reversed_by"]
        == r.json()["id"]
    )
    allocation = LedgerEntry.objects.get(project=p, kind=EntryKind.ALLOCATION)
    assert (
        api(cast["clerk"])
        .post(f"/api/v1/entries/{allocation.pk}/reverse/", {"reason": "x"}, format="json")
        .status_code
        == 409
    )
    assert_money(p, spent=0)


# --- funds (supervisors) ----------------------------------------------------------------------
def test_supervisor_sets_up_and_funds_a_fund(community: Any, cast: dict[str, Any]) -> None:
    r = api(cast["supervisor"]).post(
        "/api/v1/funds/",
        {"community": community.pk, "year": 2031, "amount": "800000.00", "name": "2031 公益金"},
        format="json",
    )
    assert r.status_code == 201, r.content
    fund_id = r.json()["id"]
    assert r.json()["balances"]["available"] == "800000.00"
    dup = api(cast["supervisor"]).post(
        "/api/v1/funds/", {"community": "xingfu", "year": 2031}, format="json"
    )
    assert dup.status_code == 409
    assert (
        api(cast["clerk"])
        .post("/api/v1/funds/", {"community": community.pk, "year": 2032}, format="json")
        .status_code
        == 403
    )
    assert (
        api(cast["supervisor"])
        .post("/api/v1/funds/", {"community": "nowhere", "year": 2032}, format="json")
        .status_code
        == 400
    )
    assert (
        api(cast["supervisor"])
        .post("/api/v1/funds/", {"community": community.pk, "year": "abc"}, format="json")
        .status_code
        == 400
    )
    r = api(cast["supervisor"]).post(
        f"/api/v1/funds/{fund_id}/appropriations/",
        {"amount": "200000", "memo": "追加"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["kind"] == "appropriation"
    assert (
        api(cast["clerk"])
        .post(f"/api/v1/funds/{fund_id}/appropriations/", {"amount": "1"}, format="json")
        .status_code
        == 403
    )
    r = api(cast["supervisor"]).post(f"/api/v1/funds/{fund_id}/carry-over/", {}, format="json")
    assert r.status_code == 409
    assert api().get(f"/api/v1/funds/{fund_id}/").json()["balances"]["appropriated"] == "1000000.00"
