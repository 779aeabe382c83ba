"""The monthly public statement (公示栏): public, month by month, opening + movements = closing,
the same figures on the page, in the CSV and in the API; and the street supervisors' view."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects import ledger
from projects.models import Community, Fund, LedgerEntry, State
from tests.conftest import new_project
from tests.projects.money_helpers import at, png_upload, walk_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("money_urls")]
YEAR = 2030


def url(slug: str, month: str, suffix: str = "/") -> str:
    return f"/communities/{slug}/statements/{month}{suffix}"


def csv_rows(response: Any) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # so spreadsheet programs read the Chinese right
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def two_months(community: Community, cast: dict[str, Any]) -> dict[str, Any]:
    """January: fund set up, a project approved, a pledge. February: work starts, money spent,
    co-funding received in kind, more money in, a second project approved."""
    with at(datetime(YEAR, 1, 10, 9)):
        fund = ledger.fund_create(
            community=community, year=YEAR, by=cast["supervisor"], amount="1000000.00"
        )
        a = walk_to(
            new_project(community, cast["resident"], title="东门路灯改造"),
            State.PUBLICIZING,
            cast,
            amount="10000.00",
        )
        ledger.cofund_pledge(
            project=a,
            by=cast["clerk"],
            amount="500",
            contributor="幸福物业",
            contributor_kind="company",
        )
    with at(datetime(YEAR, 2, 3, 9)):
        a = walk_to(a, State.EXECUTING, cast)
        ledger.expenditure_record(
            project=a,
            by=cast["clerk"],
            amount="2500.50",
            payee="=明亮照明",
            paid_on=date(YEAR, 2, 2),
            receipt=png_upload(),
            memo='=HYPERLINK("x")',
        )
        ledger.cofund_receive(
            project=a,
            by=cast["clerk"],
            amount="800",
            contributor="区医院",
            contributor_kind="unit",
            in_kind=True,
            in_kind_description="4 张长椅",
        )
        ledger.appropriate(fund=fund, amount="200000", by=cast["supervisor"], memo="追加")
        b = walk_to(
            new_project(community, cast["resident"], title="健身器材更新"),
            State.PUBLICIZING,
            cast,
            amount="50000.00",
        )
    return {"fund": fund, "a": a, "b": b}


def test_statement_is_public_and_lists_every_movement(
    two_months: dict[str, Any], community: Community
) -> None:
    r = Client().get(url(community.slug, f"{YEAR}-02"))
    assert r.status_code == 200
    html = r.content.decode()
    feb = LedgerEntry.objects.filter(created_at__month=2)
    assert feb.count() == 5  # advance, expenditure, co-funding, appropriation, B's allocation
    for e in feb:
        assert f'id="entry-{e.pk}"' in html
    for text in ("东门路灯改造", "健身器材更新", "区医院", "4 张长椅", "预付款拨付", "支出"):
        assert text in html
    assert 'class="table-wrap"' in html


def test_months_chain_opening_to_closing(two_months: dict[str, Any], community: Community) -> None:
    jan = ledger.statement_build(community=community, month=date(YEAR, 1, 1))
    feb = ledger.statement_build(community=community, month=date(YEAR, 2, 1))
    mar = ledger.statement_build(community=community, month=date(YEAR, 3, 1))
    assert jan.opening == ledger.Balances()
    assert feb.opening == jan.closing and mar.opening == feb.closing == mar.closing
    assert (jan.closing.appropriated, jan.closing.allocated, jan.closing.pledged) == (
        Decimal("1000000.00"),
        Decimal("10000.00"),
        Decimal("500.00"),
    )
    m = feb.movement
    assert (m.appropriated, m.allocated, m.released, m.spent, m.cofunded, m.cofunded_in_kind) == (
        Decimal("200000.00"),
        Decimal("50000.00"),
        Decimal("7000.00"),
        Decimal("2500.50"),
        Decimal("800.00"),
        Decimal("800.00"),
    )
    assert feb.closing.available == Decimal("1140000.00")
    assert mar.lines == []
    by_title = {row.project.title: row for row in feb.projects}
    assert by_title["东门路灯改造"].moved.spent == Decimal("2500.50")
    assert by_title["东门路灯改造"].closing.allocated == Decimal("10000.00")
    assert by_title["健身器材更新"].moved.allocated == Decimal("50000.00")
    assert [ln.entry.in_kind_description for ln in feb.cofunding] == ["4 张长椅"]


def test_csv_sums_to_the_page_figures(two_months: dict[str, Any], community: Community) -> None:
    client = Client()
    page = client.get(url(community.slug, f"{YEAR}-02")).content.decode()
    for response in (
        client.get(url(community.slug, f"{YEAR}-02"), {"format": "csv"}),
        client.get(url(community.slug, f"{YEAR}-02", ".csv")),
    ):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert f"statement-{community.slug}-{YEAR}-02.csv" in response["Content-Disposition"]
        rows = csv_rows(response)
        header, opening, *entries, total, closing = rows
        assert (opening[0], total[0], closing[0]) == ("期初", "本月合计", "期末")
        first = header.index("经费总额")
        names = [n for n, _ in ledger.CSV_COLUMNS]
        for i, name in enumerate(names):
            col = first + i
            moved = sum((Decimal(r[col]) for r in entries), Decimal("0"))
            assert moved == Decimal(total[col])
            assert Decimal(opening[col]) + moved == Decimal(closing[col])
            assert f'data-figure="opening-{name}" data-value="{opening[col]}"' in page
            assert f'data-figure="movement-{name}" data-value="{total[col]}"' in page
            assert f'data-figure="closing-{name}" data-value="{closing[col]}"' in page


def test_csv_neutralises_spreadsheet_formulas(
    two_months: dict[str, Any], community: Community
) -> None:
    rows = csv_rows(Client().get(url(community.slug, f"{YEAR}-02", ".csv")))
    spent = next(r for r in rows if r[5] == "支出")
    assert spent[8].startswith("'=") and spent[7].startswith("'=")


def test_statement_query_count_does_not_grow_with_entries(
    two_months: dict[str, Any], community: Community, cast: dict[str, Any]
) -> None:
    client = Client()
    with CaptureQueriesContext(connection) as few:
        client.get(url(community.slug, f"{YEAR}-02"))
    a = two_months["a"]
    with at(datetime(YEAR, 2, 20, 9)):
        for i in range(25):
            ledger.cofund_receive(
                project=a,
                by=cast["clerk"],
                amount=f"{i + 1}.00",
                contributor=f"居民{i}",
                contributor_kind="resident",
            )
    with CaptureQueriesContext(connection) as many:
        r = client.get(url(community.slug, f"{YEAR}-02"))
    assert r.status_code == 200 and "居民24" in r.content.decode()
    assert len(many) == len(few)


def test_statement_index_lists_months_and_funds(
    two_months: dict[str, Any], community: Community
) -> None:
    r = Client().get(f"/communities/{community.slug}/statements/")
    html = r.content.decode()
    assert r.status_code == 200
    assert url(community.slug, f"{YEAR}-01") in html and url(community.slug, f"{YEAR}-02") in html
    assert url(community.slug, f"{YEAR}-03") not in html
    assert "1,200,000.00" in html  # the fund's total so far


@pytest.mark.parametrize(
    "path, status",
    [
        ("/communities/nowhere/statements/2030-02/", 404),
        ("/communities/xingfu/statements/2030-13/", 404),
        ("/communities/xingfu/statements/30-02/", 404),
        ("/communities/xingfu/statements/2030-02.xls", 404),
    ],
)
def test_bad_statement_addresses_are_not_found(
    community: Community, path: str, status: int
) -> None:
    assert Client().get(path).status_code == status


def test_empty_month_shows_zero_figures(community: Community) -> None:
    r = Client().get(url(community.slug, "2024-05"))
    assert r.status_code == 200
    assert 'data-figure="closing-available" data-value="0.00"' in r.content.decode()


# --- the street view ------------------------------------------------------------------------
def test_street_view_is_for_the_streets_supervisors(
    two_months: dict[str, Any],
    community: Community,
    other_community: Community,
    cast: dict[str, Any],
    client_for: Any,
) -> None:
    path = f"/streets/{community.place.parent_id}/statements/{YEAR}-02/"
    r = client_for(cast["supervisor"]).get(path)
    html = r.content.decode()
    assert r.status_code == 200
    assert community.name in html and other_community.name in html
    assert f'data-figure="closing-available-{community.slug}">1,140,000.00<' in html
    assert 'data-figure="closing-available-total">1,140,000.00<' in html
    for who in ("clerk", "committee", "resident"):
        assert client_for(cast[who]).get(path).status_code == 403
    assert Client().get(path).status_code == 302  # to the login page


def test_street_view_csv(
    two_months: dict[str, Any], community: Community, cast: dict[str, Any], client_for: Any
) -> None:
    r = client_for(cast["supervisor"]).get(
        f"/streets/{community.place.parent_id}/statements/{YEAR}-02.csv"
    )
    rows = csv_rows(r)
    assert rows[0][0] == "社区"
    xingfu = next(row for row in rows if row[0] == community.name)
    assert (Decimal(xingfu[1]), Decimal(xingfu[5]), Decimal(xingfu[7])) == (
        Decimal("990000.00"),
        Decimal("2500.50"),
        Decimal("1140000.00"),
    )
    assert rows[-1][0] == "合计"


def test_street_view_query_count_does_not_grow_with_communities(
    community: Community, cast: dict[str, Any], client_for: Any
) -> None:
    client = client_for(cast["supervisor"])
    path = f"/streets/{community.place.parent_id}/statements/{YEAR}-02/"
    with CaptureQueriesContext(connection) as few:
        client.get(path)
    with at(datetime(YEAR, 2, 5, 9)):
        for i in range(6):
            c = Community.objects.create(parent=community.parent, name=f"社区{i}", slug=f"s{i}")
            f = Fund.objects.create(community=c, year=YEAR)
            ledger.appropriate(fund=f, amount="1000", by=cast["supervisor"])
    with CaptureQueriesContext(connection) as many:
        client.get(path)
    assert len(many) == len(few)
