"""The ledger of every fund: appropriations, allocations, releases, expenditures, co-funding and
returns, inside the invariants and hash-chained per fund."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from opendata.city.bulk import (
    chained,
    load,
)
from opendata.city.shape import (
    PAYEES,
    TZ,
    UNITS,
    Ctx,
    _actor,
)
from projects.ledger.balances import money
from projects.models import (
    Fund,
    LedgerEntry,
    Project,
    Role,
    State,
)
from projects.models.money import EntryKind


class _Row:
    """A ledger row without a model instance (building 300,000 of those is most of the load's
    time): the model's attributes with their defaults, and its ``_meta``, which is all that
    ``projects.audit.row_hash`` (the same hash as a saved entry's) and ``load`` read."""

    _meta = LedgerEntry._meta


_ENTRY_DEFAULTS = {
    f.attname: f.get_default() for f in LedgerEntry._meta.concrete_fields if f.attname != "id"
}


def entry_row(**values: Any) -> Any:
    row = _Row()
    row.__dict__.update(_ENTRY_DEFAULTS, id=None, **values)
    return row


# The year's entries as they are written: (time, order written, row), sorted before the load.
_Moves = list[tuple[datetime, int, LedgerEntry]]


def ledger(ctx: Ctx) -> int:
    """Per fund: the appropriation first, then each project's money in the order it moved."""
    total = 0
    for year in ctx.years:
        funded = [
            p for p in ctx.projects if p.approved_amount is not None and p.created_at.year == year
        ]
        fixed = 4 * len(funded) + len(ctx.communities)
        spend_each = max(1, (ctx.sizes.ledger_per_year - fixed) // max(1, len(funded)))
        moves: _Moves = []
        _appropriations(ctx, year, funded, moves)
        for p in funded:
            _project_money(ctx, p, ctx.funds[(p.community_id, year)], spend_each, moves)
        moves.sort(key=lambda m: (m[2].fund_id, m[0], m[1]))
        rows = [m[2] for m in moves]
        total += load(LedgerEntry, chained(rows, "fund_id"))
    return total


def _appropriations(ctx: Ctx, year: int, funded: list[Project], moves: _Moves) -> None:
    """Each community's fund of the year, and its appropriation on January 1st: what its funded
    projects need and a tenth more, at least 1,000,000."""
    need: dict[int, Decimal] = {}
    for p in funded:
        need[p.community_id] = need.get(p.community_id, Decimal(0)) + (p.approved_amount or 0)
    for c in ctx.communities:
        fund = Fund.objects.create(community=c, year=year, name=f"{c.name} {year} 年公益事业经费")
        ctx.funds[(c.pk, year)] = fund
        base = max(Decimal("1000000.00"), money(need.get(c.pk, Decimal(0)) * Decimal("1.1")))
        moves.append(
            (
                datetime(year, 1, 1, 8, tzinfo=TZ),
                0,
                entry_row(
                    fund_id=fund.pk,
                    kind=EntryKind.APPROPRIATION,
                    amount=base,
                    actor_id=None,
                    memo=f"{year} 年度公益事业经费拨入",
                    created_at=datetime(year, 1, 1, 8, tzinfo=TZ),
                ),
            )
        )


class _ProjectMoney:
    """One funded project's money being written: its fund, when each of its transitions
    happened, its clerk, its amount split into the advance (70 %) and the holdback."""

    def __init__(self, ctx: Ctx, moves: _Moves, fund: Fund, p: Project) -> None:
        self.ctx = ctx
        self.moves = moves
        self.fund = fund
        self.p = p
        self.when = {a: at for a, _s, _t, at in ctx.stories[p.pk]}
        self.clerk = ctx.staff[(p.community_id, Role.CLERK)][0]
        a = p.approved_amount
        assert a is not None
        self.amount = a
        self.advance = money(a * Decimal("0.7"))
        self.holdback = a - self.advance

    def entry(self, kind: str, amount: Decimal, at: datetime, **kw: Any) -> None:
        """Append one of the project's entries to the year's moves."""
        self.moves.append(
            (
                at,
                len(self.moves),
                entry_row(
                    fund_id=self.fund.pk,
                    project_id=self.p.pk,
                    kind=kind,
                    amount=amount,
                    created_at=at,
                    **kw,
                ),
            )
        )


def _project_money(ctx: Ctx, p: Project, fund: Fund, spend_each: int, moves: _Moves) -> None:
    """The allocation; once execution starts, the advance, co-funding (one project in four), the
    payments, then the holdback paid and the rest returned (closed) or the holdback returned
    (failed)."""
    m = _ProjectMoney(ctx, moves, fund, p)
    m.entry(EntryKind.ALLOCATION, m.amount, m.when["approve"], actor_id=_actor(ctx, p, "approve"))
    if "start_execution" not in m.when:
        return
    start = m.when["start_execution"]
    m.entry(EntryKind.ADVANCE_RELEASE, m.advance, start, actor_id=m.clerk)
    if ctx.rng.random() < 0.25:
        _cofunding(m, start)
    closed = p.state == State.CLOSED
    spent = _payments(m, start, closed, spend_each)
    if closed:
        _closing(m, spent)
    elif p.state == State.FAILED:
        m.entry(EntryKind.RETURN_UNRELEASED, m.holdback, m.when["fail_final"], actor_id=None)


def _cofunding(m: _ProjectMoney, start: datetime) -> None:
    """A unit or company pledges 5 % of the amount when execution starts, and pays two days
    later."""
    name, kind = m.ctx.rng.choice(UNITS)
    gift = money(m.amount * Decimal("0.05"))
    m.entry(
        EntryKind.COFUND_PLEDGE,
        gift,
        start,
        contributor=name,
        contributor_kind=kind,
        actor_id=m.clerk,
    )
    m.entry(
        EntryKind.COFUND_RECEIPT,
        gift,
        start + timedelta(days=2),
        contributor=name,
        contributor_kind=kind,
        actor_id=m.clerk,
    )


def _payments(m: _ProjectMoney, start: datetime, closed: bool, spend_each: int) -> Decimal:
    """The expenditures during execution, evenly spaced until delivery; returns what they
    spent."""
    rng = m.ctx.rng
    # during execution: part of the advance, in many payments; a closed project spends
    # (nearly) all its advance, then, once the holdback is paid, (nearly) all of it
    spend = money(m.advance * Decimal(rng.uniform(0.95, 1.0) if closed else rng.uniform(0.3, 0.9)))
    end = m.when.get("deliver", start + timedelta(days=20))
    span = max(1, int((end - start).total_seconds()))
    k = spend_each
    piece = money(spend / k)
    spent = Decimal(0)
    for j in range(k):
        amount = piece if j < k - 1 else spend - spent
        if amount <= 0:
            break
        spent += amount
        at = start + timedelta(seconds=span * (j + 1) // (k + 1))
        m.entry(
            EntryKind.EXPENDITURE,
            amount,
            at,
            payee=rng.choice(PAYEES),
            paid_on=timezone.localtime(at).date(),
            receipt=f"receipts/seed/{m.p.pk}-{j}.pdf",
            actor_id=m.clerk,
        )
    return spent


def _closing(m: _ProjectMoney, spent: Decimal) -> None:
    """A closed project: the holdback released when the evaluation passes, (nearly) all of it
    spent the next day, and what is left of the amount returned."""
    at = m.when["pass_evaluation"]
    m.entry(EntryKind.HOLDBACK_RELEASE, m.holdback, at, actor_id=None)
    last = money(m.holdback * Decimal(m.ctx.rng.uniform(0.9, 1.0)))
    m.entry(
        EntryKind.EXPENDITURE,
        last,
        at + timedelta(days=1),
        payee=m.ctx.rng.choice(PAYEES),
        paid_on=timezone.localtime(at + timedelta(days=1)).date(),
        receipt=f"receipts/seed/{m.p.pk}-final.pdf",
        actor_id=m.clerk,
    )
    spent += last
    if m.amount - spent > 0:
        m.entry(
            EntryKind.RETURN_UNSPENT, m.amount - spent, at + timedelta(days=3), actor_id=m.clerk
        )
