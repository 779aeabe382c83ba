"""The ledger's rules, through the real lifecycle services and the money services."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.texts import Text
from projects import ledger
from projects import services as ps
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import EntryKind, Fund, LedgerEntry, Project, State
from projects.models.money import AppendOnlyError
from tests.conftest import new_project
from tests.projects.money_helpers import assert_money, pdf_upload, png_upload, walk_to

pytestmark = pytest.mark.django_db
FUND = Decimal("1000000.00")


def spend(project: Project, by: Any, amount: str, **kw: Any) -> LedgerEntry:
    args: dict[str, Any] = {
        "payee": "明亮照明工程公司",
        "paid_on": timezone.localdate(),
        "receipt": png_upload(),
    }
    args.update(kw)
    return ledger.expenditure_record(project=project, by=by, amount=amount, **args)


def entry_count() -> int:
    return LedgerEntry.objects.count()


# --- the lifecycle moves the money ---------------------------------------------------------
def test_approve_allocates_from_fund(project_in: Any, fund: Fund) -> None:
    p = project_in(State.PUBLICIZING, amount="12000.00")
    assert_money(p, allocated="12000.00", released=0, spent=0, available=FUND - Decimal("12000"))
    entry = LedgerEntry.objects.get(project=p)
    assert (entry.kind, entry.amount, entry.fund_id) == (
        EntryKind.ALLOCATION,
        Decimal("12000.00"),
        fund.pk,
    )
    assert entry.actor is not None and entry.actor.username == "committee"


def test_approve_cannot_exceed_fund(project_in: Any, cast: dict[str, Any], fund: Fund) -> None:
    project_in(State.PUBLICIZING, amount="999000.00")
    p = project_in(State.DECIDING, amount="1000.01")
    before = entry_count()
    with pytest.raises(Invalid) as exc:
        ps.project_approve(project=p, by=cast["committee"], amount="1000.01")
    assert exc.value.errors["amount"]
    p.refresh_from_db()
    assert p.state == State.DECIDING and p.approved_amount is None
    assert entry_count() == before
    ps.project_approve(project=p, by=cast["committee"], amount="1000.00")
    assert ledger.fund_balances(fund).available == 0


def test_start_execution_releases_advance_at_community_ratio(
    project_in: Any, community: Any
) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    assert_money(p, allocated="10000.00", released="7000.00", spent=0)
    community.advance_ratio = Decimal("0.333")
    community.save()
    q = project_in(State.EXECUTING, amount="100.00", title="健身器材维修")
    assert_money(q, allocated="100.00", released="33.30")


def test_passing_evaluation_returns_unspent_advance_and_pays_holdback(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    spend(p, cast["clerk"], "6500.00")
    p = walk_to(p, State.EVALUATING, cast)
    assert_money(p, allocated="10000.00", released="7000.00", spent="6500.00")
    p = ps.project_pass_evaluation(project=p, by=cast["clerk"], reason="满意率 92%")
    kinds = list(LedgerEntry.objects.filter(project=p).values_list("kind", "amount"))
    assert kinds[-2:] == [
        (EntryKind.RETURN_UNSPENT, Decimal("500.00")),
        (EntryKind.HOLDBACK_RELEASE, Decimal("3000.00")),
    ]
    assert_money(
        p,
        allocated="9500.00",
        released="9500.00",
        spent="6500.00",
        available=FUND - Decimal("9500.00"),
    )


def test_failed_evaluation_keeps_holdback_held(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.RECTIFYING, amount="10000.00")
    assert_money(p, allocated="10000.00", released="7000.00")
    p = ps.project_finish_rectification(project=p, by=cast["clerk"], report="已整改")
    assert_money(p, allocated="10000.00", released="7000.00")


def test_final_fail_returns_holdback_and_unspent_advance(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    spend(p, cast["clerk"], "4000.00")
    p = walk_to(p, State.FAILED, cast)
    assert_money(
        p,
        allocated="4000.00",
        released="4000.00",
        spent="4000.00",
        available=FUND - Decimal("4000.00"),
    )
    returned = dict(
        LedgerEntry.objects.filter(
            project=p, kind__in=[EntryKind.RETURN_UNRELEASED, EntryKind.RETURN_UNSPENT]
        ).values_list("kind", "amount")
    )
    assert returned == {
        EntryKind.RETURN_UNRELEASED: Decimal("3000.00"),
        EntryKind.RETURN_UNSPENT: Decimal("3000.00"),
    }


def test_upheld_objection_returns_allocation(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.PUBLICIZING, amount="20000.00")
    Project.objects.filter(pk=p.pk).update(has_pending_objection=True)
    p = ps.project_uphold_objection(project=p, by=cast["committee"], reason="选址有争议")
    assert p.state == State.DECIDING
    assert_money(p, allocated=0, released=0, available=FUND)
    # an upheld objection calls for a hearing before the committee decides again (issue 16)
    with pytest.raises(Conflict, match="听证会"):
        ps.project_approve(project=p, by=cast["committee"], amount="15000.00")
    assert_money(p, allocated=0, released=0, available=FUND)
    p = ps.project_hearing_held(
        project=p, by=cast["clerk"], note=Text("hearing.held", {"meeting": "听证会", "speakers": 2})
    )
    ps.project_approve(project=p, by=cast["committee"], amount="15000.00")
    assert_money(p, allocated="15000.00", available=FUND - Decimal("15000"))


# --- expenditures ----------------------------------------------------------------------------
def test_expenditure_cannot_exceed_released(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    spend(p, cast["clerk"], "6999.99")
    before = entry_count()
    with pytest.raises(Invalid) as exc:
        spend(p, cast["clerk"], "0.02")
    assert "0.01" in exc.value.message and exc.value.errors["amount"]
    assert entry_count() == before
    spend(p, cast["clerk"], "0.01")
    assert_money(p, released="7000.00", spent="7000.00")


def test_expenditure_records_payee_date_and_receipt(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING)
    day = timezone.localdate()
    e = spend(
        p,
        cast["clerk"],
        "1200.50",
        payee="李师傅水电维修",
        paid_on=day.isoformat(),
        receipt=pdf_upload("发票.pdf"),
        memo="更换灯具",
    )
    e.refresh_from_db()
    assert (e.kind, e.amount, e.payee, e.paid_on, e.memo) == (
        EntryKind.EXPENDITURE,
        Decimal("1200.50"),
        "李师傅水电维修",
        day,
        "更换灯具",
    )
    assert e.receipt.name.endswith(".pdf") and e.receipt.size > 0
    assert e.actor == cast["clerk"]


@pytest.mark.parametrize("state", [State.EVALUATING, State.RECTIFYING])
def test_expenditure_allowed_while_evaluating_or_rectifying(
    project_in: Any, cast: dict[str, Any], state: str
) -> None:
    p = project_in(state)
    spend(p, cast["clerk"], "100.00")
    assert_money(p, spent="100.00")


def test_final_invoice_is_paid_from_the_holdback_after_close(
    project_in: Any, cast: dict[str, Any]
) -> None:
    # The advance (70 %) is spent while the work runs; the passing vote releases the holdback
    # (30 %), which the service center then pays on to the contractor, with its receipt.
    p = project_in(State.EXECUTING, amount="10000.00")
    spend(p, cast["clerk"], "7000.00")
    p = walk_to(p, State.CLOSED, cast)
    assert_money(p, allocated="10000.00", released="10000.00", spent="7000.00")
    before = entry_count()
    with pytest.raises(Invalid) as exc:
        spend(p, cast["clerk"], "3000.01")
    assert "3000.00" in str(exc.value)
    assert entry_count() == before
    e = spend(p, cast["clerk"], "3000.00")
    assert e.kind == EntryKind.EXPENDITURE and e.project_id == p.pk
    assert_money(p, allocated="10000.00", released="10000.00", spent="10000.00")
    with pytest.raises(Invalid):
        spend(p, cast["clerk"], "0.01")
    assert_money(p, spent="10000.00")


@pytest.mark.parametrize("state", [State.PUBLICIZING, State.FAILED, State.REJECTED, State.DECIDING])
def test_expenditure_refused_outside_execution(
    project_in: Any, cast: dict[str, Any], state: str
) -> None:
    p = project_in(state)
    before = entry_count()
    with pytest.raises(Conflict) as exc:
        spend(p, cast["clerk"], "1.00")
    assert exc.value.state == state
    assert "expenditure" not in exc.value.allowed
    assert entry_count() == before


@pytest.mark.parametrize("who", ["committee", "supervisor", "resident", "council", "outsider"])
def test_only_clerk_records_expenditure(project_in: Any, cast: dict[str, Any], who: str) -> None:
    p = project_in(State.EXECUTING)
    with pytest.raises(Forbidden):
        spend(p, cast[who], "1.00")
    assert_money(p, spent=0)


def test_clerk_of_other_community_cannot_record(
    project_in: Any, cast: dict[str, Any], other_community: Any
) -> None:
    from tests.conftest import add_role, make_user

    stranger = make_user("clerk-heping")
    add_role(stranger, other_community, "clerk")
    p = project_in(State.EXECUTING)
    with pytest.raises(Forbidden):
        spend(p, stranger, "1.00")


@pytest.mark.parametrize(
    "amount, message",
    [
        ("0", "大于零"),
        ("0.00", "大于零"),
        ("-5", "大于零"),
        ("1.005", "两位小数"),
        ("12.3456", "两位小数"),
        ("abc", "格式"),
        ("NaN", "格式"),
        ("Infinity", "格式"),
        ("", "格式"),
        ("1000000000000", "过大"),
    ],
)
def test_bad_amount_refused_and_nothing_written(
    project_in: Any, cast: dict[str, Any], amount: str, message: str
) -> None:
    p = project_in(State.EXECUTING)
    before = entry_count()
    with pytest.raises(Invalid) as exc:
        spend(p, cast["clerk"], amount)
    assert message in exc.value.message and "amount" in exc.value.errors
    with pytest.raises(Invalid):
        ledger.cofund_receive(
            project=p,
            by=cast["clerk"],
            amount=amount,
            contributor="物业公司",
            contributor_kind="company",
        )
    assert entry_count() == before


def test_float_amount_refused(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING)
    with pytest.raises(Invalid):
        spend(p, cast["clerk"], 10.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile(
                "r.pdf", b"this is not a pdf at all", content_type="application/pdf"
            ),
            "PDF",
        ),
        (SimpleUploadedFile("r.png", b"\x89PNG\r\n\x1a\nbroken", content_type="image/png"), "PDF"),
        (
            SimpleUploadedFile(
                "r.exe", b"MZ\x90\x00" * 64, content_type="application/octet-stream"
            ),
            "PDF",
        ),
        (
            SimpleUploadedFile(
                "r.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", content_type="image/svg+xml"
            ),
            "PDF",
        ),
        (SimpleUploadedFile("r.pdf", b"", content_type="application/pdf"), "空"),
    ],
)
def test_receipt_must_be_image_or_pdf(
    project_in: Any, cast: dict[str, Any], upload: Any, message: str
) -> None:
    p = project_in(State.EXECUTING)
    before = entry_count()
    with pytest.raises(Invalid) as exc:
        spend(p, cast["clerk"], "10.00", receipt=upload)
    assert message in exc.value.message and "receipt" in exc.value.errors
    assert entry_count() == before


def test_receipt_over_size_limit_refused(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING)
    big = SimpleUploadedFile(
        "big.pdf", b"%PDF-1.4\n" + b"0" * ledger.RECEIPT_MAX_BYTES, content_type="application/pdf"
    )
    with pytest.raises(Invalid) as exc:
        spend(p, cast["clerk"], "10.00", receipt=big)
    assert "MB" in exc.value.message
    assert_money(p, spent=0)


def test_receipt_is_required_and_stored_under_its_real_type(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in(State.EXECUTING)
    with pytest.raises(Invalid) as exc:
        spend(p, cast["clerk"], "10.00", receipt=None)
    assert "receipt" in exc.value.errors
    e = spend(p, cast["clerk"], "10.00", receipt=png_upload("evil.html"))
    assert e.receipt.name.endswith(".png")


def test_expenditure_date_must_be_real_not_future_not_before_approval(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in(State.EXECUTING)
    for bad, field_msg in [
        ("2025-02-30", "格式"),
        ("yesterday", "格式"),
        (timezone.localdate() + timedelta(days=1), "晚于今天"),
        (timezone.localdate() - timedelta(days=400), "早于项目批准"),
    ]:
        with pytest.raises(Invalid) as exc:
            spend(p, cast["clerk"], "1.00", paid_on=bad)
        assert field_msg in exc.value.message and "paid_on" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        spend(p, cast["clerk"], "1.00", payee="  ")
    assert "payee" in exc.value.errors
    assert_money(p, spent=0)


# --- co-funding ------------------------------------------------------------------------------
def test_cofunding_beside_the_fund_share(project_in: Any, cast: dict[str, Any], fund: Fund) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    ledger.cofund_pledge(
        project=p,
        by=cast["clerk"],
        amount="5000",
        contributor="幸福物业公司",
        contributor_kind="company",
    )
    ledger.cofund_receive(
        project=p,
        by=cast["clerk"],
        amount="3000.00",
        contributor="幸福物业公司",
        contributor_kind="company",
        receipt=pdf_upload(),
    )
    ledger.cofund_receive(
        project=p,
        by=cast["clerk"],
        amount="800.00",
        contributor="区医院",
        contributor_kind="unit",
        in_kind=True,
        in_kind_description="捐赠 4 张长椅",
    )
    b = ledger.project_balances(p)
    assert (b.pledged, b.cofunded, b.cofunded_in_kind, b.cofunded_cash) == (
        Decimal("5000.00"),
        Decimal("3800.00"),
        Decimal("800.00"),
        Decimal("3000.00"),
    )
    # co-funding is shown beside the fund's share: it does not change what the fund holds
    assert_money(p, allocated="10000.00", released="7000.00", available=FUND - Decimal("10000"))


def test_in_kind_cofunding_needs_description_and_valid_kind(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in(State.PUBLICIZING)
    with pytest.raises(Invalid) as exc:
        ledger.cofund_receive(
            project=p,
            by=cast["clerk"],
            amount="800",
            contributor="区医院",
            contributor_kind="unit",
            in_kind=True,
            in_kind_description="",
        )
    assert "in_kind_description" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        ledger.cofund_pledge(
            project=p, by=cast["clerk"], amount="800", contributor="区医院", contributor_kind="bank"
        )
    assert "contributor_kind" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        ledger.cofund_pledge(
            project=p, by=cast["clerk"], amount="800", contributor="", contributor_kind="unit"
        )
    assert "contributor" in exc.value.errors
    assert_money(p, pledged=0, cofunded=0)


@pytest.mark.parametrize("state", [State.REJECTED, State.FAILED, State.DRAFT])
def test_cofunding_refused_on_dead_project(
    project_in: Any, cast: dict[str, Any], state: str
) -> None:
    p = project_in(state)
    before = entry_count()
    for record in (ledger.cofund_pledge, ledger.cofund_receive):
        with pytest.raises(Conflict) as exc:
            record(
                project=p,
                by=cast["clerk"],
                amount="100",
                contributor="某公司",
                contributor_kind="company",
            )
        assert exc.value.state == state and exc.value.allowed == []
    assert entry_count() == before


def test_cofunding_refused_on_withdrawn_and_lapsed(
    community: Any, cast: dict[str, Any], fund: Fund
) -> None:
    withdrawn = new_project(community, cast["resident"], submit=True)
    withdrawn = ps.project_withdraw(project=withdrawn, by=cast["resident"])
    lapsed = new_project(community, cast["resident"], submit=True)
    Project.objects.filter(pk=lapsed.pk).update(
        cosign_deadline=timezone.now() - timedelta(seconds=1)
    )
    lapsed = ps.project_expire(project=lapsed)
    for p in (withdrawn, lapsed):
        with pytest.raises(Conflict):
            ledger.cofund_pledge(
                project=p,
                by=cast["clerk"],
                amount="100",
                contributor="某公司",
                contributor_kind="company",
            )
    assert LedgerEntry.objects.filter(project__in=[withdrawn, lapsed]).count() == 0


def test_cofunding_allowed_while_collecting_and_after_closing(
    project_in: Any, cast: dict[str, Any]
) -> None:
    collecting = project_in(State.COLLECTING)
    ledger.cofund_pledge(
        project=collecting,
        by=cast["clerk"],
        amount="100",
        contributor="张阿姨",
        contributor_kind="resident",
    )
    closed = project_in(State.CLOSED, title="长椅更换工程")
    ledger.cofund_receive(
        project=closed,
        by=cast["clerk"],
        amount="100",
        contributor="张阿姨",
        contributor_kind="resident",
    )
    assert_money(collecting, pledged="100")
    assert_money(closed, cofunded="100")


# --- reversals and append-only ----------------------------------------------------------------
def test_reversal_names_the_entry_and_restores_balances(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in(State.EXECUTING)
    e = spend(p, cast["clerk"], "500.00")
    r = ledger.entry_reverse(entry=e, by=cast["clerk"], reason="金额录错")
    assert (r.kind, r.amount, r.reverses_id, r.project_id) == (
        EntryKind.REVERSAL,
        Decimal("500.00"),
        e.pk,
        p.pk,
    )
    assert f"#{e.pk}" in r.memo and "金额录错" in r.memo
    assert_money(p, spent=0, released="7000.00")
    e.refresh_from_db()
    assert e.amount == Decimal("500.00")  # the original stands, unchanged
    with pytest.raises(Conflict):
        ledger.entry_reverse(entry=e, by=cast["clerk"], reason="再冲一次")
    with pytest.raises(Conflict):
        ledger.entry_reverse(entry=r, by=cast["clerk"], reason="冲正冲正")


def test_reversal_needs_reason_and_role(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING)
    e = spend(p, cast["clerk"], "500.00")
    with pytest.raises(Invalid):
        ledger.entry_reverse(entry=e, by=cast["clerk"], reason=" ")
    with pytest.raises(Forbidden):
        ledger.entry_reverse(entry=e, by=cast["committee"], reason="错")
    assert_money(p, spent="500.00")


def test_lifecycle_entries_cannot_be_reversed_by_hand(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in(State.EXECUTING)
    for entry in LedgerEntry.objects.filter(project=p):
        with pytest.raises(Conflict):
            ledger.entry_reverse(entry=entry, by=cast["clerk"], reason="想撤销")
    assert_money(p, allocated="10000.00", released="7000.00")


def test_reversed_cofunding_leaves_the_totals(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING)
    e = ledger.cofund_receive(
        project=p,
        by=cast["clerk"],
        amount="800.00",
        contributor="区医院",
        contributor_kind="unit",
        in_kind=True,
        in_kind_description="长椅",
    )
    ledger.entry_reverse(entry=e, by=cast["clerk"], reason="重复登记")
    b = ledger.project_balances(p)
    assert (b.cofunded, b.cofunded_in_kind) == (0, 0)


def test_reversing_expenditure_of_settled_project_returns_the_money(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in(State.EXECUTING, amount="10000.00")
    e = spend(p, cast["clerk"], "7000.00")
    p = walk_to(p, State.CLOSED, cast)
    assert_money(
        p,
        allocated="10000.00",
        released="10000.00",
        spent="7000.00",
        available=FUND - Decimal("10000"),
    )
    ledger.entry_reverse(entry=e, by=cast["clerk"], reason="票据作废，款项未付")
    # the freed 7,000.00 goes back to the fund; the holdback the vote paid stays paid
    assert_money(
        p, allocated="3000.00", released="3000.00", spent=0, available=FUND - Decimal("3000")
    )
    q = project_in(State.EXECUTING, amount="10000.00", title="长椅更换工程")
    f = spend(q, cast["clerk"], "4000.00")
    q = walk_to(q, State.FAILED, cast)
    ledger.entry_reverse(entry=f, by=cast["clerk"], reason="重复记账")
    assert_money(q, allocated=0, released=0, spent=0, available=FUND - Decimal("3000"))


def test_entries_cannot_be_edited_or_deleted(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in(State.EXECUTING)
    e = spend(p, cast["clerk"], "500.00")
    e.amount = Decimal("1.00")
    with pytest.raises(AppendOnlyError):
        e.save()
    with pytest.raises(AppendOnlyError):
        e.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=e.pk).update(amount=Decimal("1.00"))
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=e.pk).delete()
    assert LedgerEntry.objects.get(pk=e.pk).amount == Decimal("500.00")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database trigger is PostgreSQL's"
)
def test_database_refuses_to_edit_or_delete_entries(project_in: Any, cast: dict[str, Any]) -> None:
    from django.db import IntegrityError, transaction

    p = project_in(State.EXECUTING)
    e = spend(p, cast["clerk"], "500.00")
    for sql in (
        "UPDATE projects_ledgerentry SET amount = 1 WHERE id = %s",
        "DELETE FROM projects_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, [e.pk])
    assert LedgerEntry.objects.get(pk=e.pk).amount == Decimal("500.00")


# --- funds: created, appropriated, carried over by supervisors --------------------------------
def test_supervisor_creates_fund_once_per_year(community: Any, cast: dict[str, Any]) -> None:
    f = ledger.fund_create(
        community=community,
        year=2031,
        by=cast["supervisor"],
        amount="1200000.00",
        name="2031 年公益金",
    )
    assert ledger.fund_balances(f).available == Decimal("1200000.00")
    with pytest.raises(Conflict):
        ledger.fund_create(community=community, year=2031, by=cast["supervisor"])
    for who in ("clerk", "committee", "resident"):
        with pytest.raises(Forbidden):
            ledger.fund_create(community=community, year=2032, by=cast[who])
    with pytest.raises(Invalid):
        ledger.fund_create(community=community, year="19", by=cast["supervisor"])
    assert Fund.objects.filter(community=community).count() == 1


def test_only_supervisor_appropriates(fund: Fund, cast: dict[str, Any]) -> None:
    with pytest.raises(Forbidden):
        ledger.appropriate(fund=fund, amount="10", by=cast["clerk"])
    ledger.appropriate(fund=fund, amount="500000", by=cast["supervisor"], memo="追加拨款")
    assert ledger.fund_balances(fund).appropriated == Decimal("1500000.00")


def test_reversing_appropriation_refused_when_it_is_allocated(
    project_in: Any, cast: dict[str, Any], fund: Fund
) -> None:
    extra = ledger.appropriate(fund=fund, amount="500000", by=cast["supervisor"])
    project_in(State.PUBLICIZING, amount="1200000.00")
    with pytest.raises(Conflict):
        ledger.entry_reverse(entry=extra, by=cast["supervisor"], reason="重复拨款")
    with pytest.raises(Forbidden):
        ledger.entry_reverse(entry=extra, by=cast["clerk"], reason="重复拨款")
    assert ledger.fund_balances(fund).available == Decimal("300000.00")


def _at(day: date) -> Any:
    moment = timezone.make_aware(datetime(day.year, day.month, day.day, 10, 0))
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_carry_over_moves_unallocated_into_next_year(
    project_in: Any, cast: dict[str, Any], fund: Fund, community: Any
) -> None:
    project_in(State.PUBLICIZING, amount="400000.00")
    with pytest.raises(Conflict) as exc:
        ledger.fund_carry_over(fund=fund, by=cast["supervisor"])
    assert "尚未结束" in exc.value.message
    with _at(date(fund.year + 1, 1, 6)):
        with pytest.raises(Conflict) as exc:
            ledger.fund_carry_over(fund=fund, by=cast["supervisor"])
        assert exc.value.allowed == ["fund_create"]
        nxt = ledger.fund_create(
            community=community,
            year=fund.year + 1,
            by=cast["supervisor"],
            amount="1000000",
            carry_over=True,
        )
        with pytest.raises(Conflict):  # nothing left to carry
            ledger.fund_carry_over(fund=fund, by=cast["supervisor"])
    old, new = ledger.fund_balances(fund), ledger.fund_balances(nxt)
    assert (old.available, old.allocated) == (0, Decimal("400000.00"))
    assert new.available == Decimal("1600000.00")
    assert LedgerEntry.objects.get(fund=fund, kind=EntryKind.CARRY_FORWARD).amount == Decimal(
        "600000.00"
    )
    assert LedgerEntry.objects.get(fund=nxt, kind=EntryKind.CARRY_OVER).amount == Decimal(
        "600000.00"
    )


def test_money_returned_after_carry_over_can_be_carried_again(
    project_in: Any, cast: dict[str, Any], fund: Fund, community: Any
) -> None:
    p = project_in(State.PUBLICIZING, amount="400000.00")
    with _at(date(fund.year + 1, 1, 6)):
        nxt = ledger.fund_create(
            community=community, year=fund.year + 1, by=cast["supervisor"], carry_over=True
        )
        Project.objects.filter(pk=p.pk).update(has_pending_objection=True)
        ps.project_uphold_objection(project=p, by=cast["committee"], reason="异议成立")
        assert ledger.fund_balances(fund).available == Decimal("400000.00")
        ledger.fund_carry_over(fund=fund, by=cast["supervisor"])
    assert ledger.fund_balances(nxt).available == FUND
    assert ledger.fund_balances(fund).available == 0


# --- balances are aggregate queries --------------------------------------------------------
def test_balance_is_one_query_whatever_the_entry_count(
    project_in: Any, cast: dict[str, Any], fund: Fund
) -> None:
    p = project_in(State.EXECUTING)
    with CaptureQueriesContext(connection) as few:
        ledger.fund_balances(fund)
        ledger.project_balances(p)
    for _ in range(30):
        spend(p, cast["clerk"], "1.00")
    with CaptureQueriesContext(connection) as many:
        ledger.fund_balances(fund)
        ledger.project_balances(p)
    assert len(few) == len(many) == 2
