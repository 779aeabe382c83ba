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


def ledger(ctx: Ctx) -> int:
    """Per fund: the appropriation first, then each project's money in the order it moved."""
    rng = ctx.rng
    total = 0
    for year in ctx.years:
        funded = [
            p for p in ctx.projects if p.approved_amount is not None and p.created_at.year == year
        ]
        fixed = 4 * len(funded) + len(ctx.communities)
        spend_each = max(1, (ctx.sizes.ledger_per_year - fixed) // max(1, len(funded)))
        moves: list[tuple[datetime, int, LedgerEntry]] = []
        need: dict[int, Decimal] = {}
        for p in funded:
            need[p.community_id] = need.get(p.community_id, Decimal(0)) + (p.approved_amount or 0)
        for c in ctx.communities:
            fund = Fund.objects.create(
                community=c, year=year, name=f"{c.name} {year} 年公益事业经费"
            )
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
        for p in funded:
            fund = ctx.funds[(p.community_id, year)]
            when = {a: at for a, _s, _t, at in ctx.stories[p.pk]}
            clerk = ctx.staff[(p.community_id, Role.CLERK)][0]
            a = p.approved_amount
            assert a is not None
            advance = money(a * Decimal("0.7"))
            holdback = a - advance

            def entry(
                kind: str,
                amount: Decimal,
                at: datetime,
                *,
                moves: list[tuple[datetime, int, LedgerEntry]] = moves,
                fund: Fund = fund,
                p: Project = p,
                **kw: Any,
            ) -> None:
                moves.append(
                    (
                        at,
                        len(moves),
                        entry_row(
                            fund_id=fund.pk,
                            project_id=p.pk,
                            kind=kind,
                            amount=amount,
                            created_at=at,
                            **kw,
                        ),
                    )
                )

            entry(EntryKind.ALLOCATION, a, when["approve"], actor_id=_actor(ctx, p, "approve"))
            if "start_execution" not in when:
                continue
            start = when["start_execution"]
            entry(EntryKind.ADVANCE_RELEASE, advance, start, actor_id=clerk)
            if rng.random() < 0.25:
                name, kind = rng.choice(UNITS)
                gift = money(a * Decimal("0.05"))
                entry(
                    EntryKind.COFUND_PLEDGE,
                    gift,
                    start,
                    contributor=name,
                    contributor_kind=kind,
                    actor_id=clerk,
                )
                entry(
                    EntryKind.COFUND_RECEIPT,
                    gift,
                    start + timedelta(days=2),
                    contributor=name,
                    contributor_kind=kind,
                    actor_id=clerk,
                )
            closed = p.state == State.CLOSED
            # during execution: part of the advance, in many payments; a closed project spends
            # (nearly) all its advance, then, once the holdback is paid, (nearly) all of it
            spend = money(
                advance * Decimal(rng.uniform(0.95, 1.0) if closed else rng.uniform(0.3, 0.9))
            )
            end = when.get("deliver", start + timedelta(days=20))
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
                entry(
                    EntryKind.EXPENDITURE,
                    amount,
                    at,
                    payee=rng.choice(PAYEES),
                    paid_on=timezone.localtime(at).date(),
                    receipt=f"receipts/seed/{p.pk}-{j}.pdf",
                    actor_id=clerk,
                )
            if closed:
                at = when["pass_evaluation"]
                entry(EntryKind.HOLDBACK_RELEASE, holdback, at, actor_id=None)
                last = money(holdback * Decimal(rng.uniform(0.9, 1.0)))
                entry(
                    EntryKind.EXPENDITURE,
                    last,
                    at + timedelta(days=1),
                    payee=rng.choice(PAYEES),
                    paid_on=timezone.localtime(at + timedelta(days=1)).date(),
                    receipt=f"receipts/seed/{p.pk}-final.pdf",
                    actor_id=clerk,
                )
                spent += last
                if a - spent > 0:
                    entry(
                        EntryKind.RETURN_UNSPENT, a - spent, at + timedelta(days=3), actor_id=clerk
                    )
            elif p.state == State.FAILED:
                entry(EntryKind.RETURN_UNRELEASED, holdback, when["fail_final"], actor_id=None)
        moves.sort(key=lambda m: (m[2].fund_id, m[0], m[1]))
        rows = [m[2] for m in moves]
        total += load(LedgerEntry, chained(rows, "fund_id"))
    return total
