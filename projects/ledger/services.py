"""Money writes of the supervisor (funds, appropriations, carry-over) and of the lifecycle.

Lock order, everywhere: the project row (when the lifecycle or a money write holds it), then the
fund row(s) by ascending id. The lifecycle's ``projects.services._fire`` already holds the project
lock when it calls :func:`allocate`, :func:`release_advance`, :func:`release_holdback` and
:func:`return_unreleased`.

How a project's account ends, with no other call needed from the lifecycle:

- a passing evaluation closes the project (:func:`release_holdback`): the unspent part of the
  advance returns to the fund, then the holdback is paid (released); allocated = released;
- a final fail (:func:`return_unreleased`, which calls :func:`settle`): the holdback that was
  never released returns, and so does the released money that was not spent; allocated =
  released = spent. An upheld objection calls the same before anything is released.

"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.texts import Text
from projects import texts
from projects.errors import Conflict, Invalid
from projects.ledger.balances import money
from projects.ledger.inputs import _clean_memo, _parse_year, parse_amount
from projects.ledger.policy import _require_supervisor
from projects.ledger.selectors import balances_of, current_fund, fund_balances, project_balances
from projects.models import (
    Community,
    EntryKind,
    Fund,
    LedgerEntry,
    Project,
)


def _locked_fund(fund_id: int) -> Fund:
    return Fund.objects.select_for_update().get(pk=fund_id)


def _locked_project(project: Project) -> Project:
    return Project.objects.select_for_update().select_related("community").get(pk=project.pk)


def _entry(
    fund: Fund,
    project: Project | None,
    kind: str,
    amount: Decimal,
    by: Any,
    memo: str | Text,
    **fields: Any,
) -> LedgerEntry:
    """A new entry. A memo written by the system is a :class:`Text`, kept as its code and
    parameters (shown in each reader's language) and, in the site's language, as ``memo``."""
    if isinstance(memo, Text):
        fields |= {"memo_code": memo.code, "memo_params": memo.params}
        memo = memo.render(settings.LANGUAGE_CODE)
    entry = LedgerEntry(
        fund=fund,
        project=project,
        kind=kind,
        amount=money(amount),
        actor=by if by is not None and getattr(by, "is_authenticated", False) else None,
        memo=(memo or "")[:300],
        created_at=timezone.now(),
        **fields,
    )
    try:
        entry.full_clean()
    except ValidationError as e:
        errors = {k: [str(m) for m in v] for k, v in e.message_dict.items()}
        first = next(iter(errors.values()))[0] if errors else _("输入有误")
        raise Invalid(first, errors=errors) from None
    entry.save()
    return entry


def fund_create(
    *,
    community: Community,
    year: Any,
    by: Any,
    name: str = "",
    amount: Any = None,
    carry_over: bool = False,
) -> Fund:
    """A supervisor sets up a community's fund for ``year``, optionally with a first
    appropriation and with last year's unallocated money carried over."""
    _require_supervisor(by, community)
    year = _parse_year(year)
    value = parse_amount(amount) if amount not in (None, "") else None
    name = _clean_memo(name, field="name")[:120]
    exists = Conflict(
        _("%(community)s %(year)s 年度经费已设立") % {"community": community, "year": year},
        allowed=[],
    )
    with transaction.atomic():
        if Fund.objects.filter(community=community, year=year).exists():
            raise exists
        try:
            with transaction.atomic():  # two supervisors at once: the unique constraint decides
                fund = Fund.objects.create(community=community, year=year, name=name)
        except IntegrityError:
            raise exists from None
        if value is not None:
            _entry(
                fund, None, EntryKind.APPROPRIATION, value, by, texts.memo("ledger.appropriation")
            )
        if carry_over:
            previous = Fund.objects.filter(community=community, year=year - 1).first()
            if previous is not None and balances_of(previous.entries.all()).available > 0:
                fund_carry_over(fund=previous, by=by)
    return fund


def appropriate(*, fund: Fund, amount: Any, by: Any, memo: str = "") -> LedgerEntry:
    """Money paid into the fund (拨入经费) by a supervisor of its street."""
    _require_supervisor(by, fund.community)
    value = parse_amount(amount)
    memo = _clean_memo(memo)
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        return _entry(
            fund,
            None,
            EntryKind.APPROPRIATION,
            value,
            by,
            memo or texts.memo("ledger.appropriation"),
        )


def fund_carry_over(*, fund: Fund, by: Any) -> LedgerEntry:
    """After its year is over, carry what ``fund`` has not allocated into next year's fund: a
    carry-forward out of this one and a carry-over into the next, same amount, same moment."""
    _require_supervisor(by, fund.community)
    if fund.year >= timezone.localdate().year:
        raise Conflict(_("%(year)s 年度尚未结束，不能结转") % {"year": fund.year}, allowed=[])
    target = Fund.objects.filter(community_id=fund.community_id, year=fund.year + 1).first()
    if target is None:
        raise Conflict(
            _("请先设立 %(year)s 年度经费") % {"year": fund.year + 1}, allowed=["fund_create"]
        )
    with transaction.atomic():
        first, second = sorted([fund.pk, target.pk])
        locked = {f.pk: f for f in (_locked_fund(first), _locked_fund(second))}
        source, target = locked[fund.pk], locked[target.pk]
        amount = balances_of(source.entries.all()).available
        if amount <= 0:
            raise Conflict(_("没有可结转的未分配余额"), allowed=[])
        _entry(
            source,
            None,
            EntryKind.CARRY_FORWARD,
            amount,
            by,
            texts.memo("ledger.carry_out", year=target.year),
        )
        return _entry(
            target,
            None,
            EntryKind.CARRY_OVER,
            amount,
            by,
            texts.memo("ledger.carry_in", year=source.year),
        )


# --- the lifecycle's money (called by projects.services with the project row locked) ----------
def allocate(*, project: Project, amount: Decimal, by: Any) -> LedgerEntry:
    """Allocate ``amount`` to ``project`` from its fund; never beyond what the fund holds."""
    value = parse_amount(amount)
    fund = current_fund(project)
    if fund is None:
        raise Conflict(_("本社区本年度尚未设立公益事业经费"), state=project.state, allowed=[])
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        available = fund_balances(fund).available
        if value > available:
            raise Invalid(
                _("金额 %(amount)s 超出经费可用余额 %(available)s")
                % {"amount": value, "available": available},
                errors={"amount": [_("超出经费可用余额")]},
            )
        return _entry(
            fund, project, EntryKind.ALLOCATION, value, by, texts.memo("ledger.allocation")
        )


def release_advance(*, project: Project, by: Any) -> LedgerEntry | None:
    """Execution starts: release the advance (the community's ``advance_ratio`` of the
    allocation, by default 70 %), less anything already released."""
    fund = current_fund(project)
    if fund is None:
        return None
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        bal = project_balances(project)
        target = money(bal.allocated * project.community.advance_ratio)
        amount = money(min(target, bal.allocated) - bal.released)
        if amount <= 0:
            return None
        return _entry(
            fund, project, EntryKind.ADVANCE_RELEASE, amount, by, texts.memo("ledger.advance")
        )


def release_holdback(*, project: Project, by: Any) -> LedgerEntry | None:
    """The public evaluation passed and the project closes: what was released and not spent
    returns to the fund first (the unspent advance), then the holdback is paid: everything
    still unreleased is released. Afterwards allocated = released; the holdback is the final
    payment the vote earned."""
    fund = current_fund(project)
    if fund is None:
        return None
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        bal = project_balances(project)
        if bal.unspent > 0:
            _entry(
                fund,
                project,
                EntryKind.RETURN_UNSPENT,
                bal.unspent,
                by,
                texts.memo("ledger.advance_returned"),
            )
        if bal.unreleased <= 0:
            return None
        return _entry(
            fund,
            project,
            EntryKind.HOLDBACK_RELEASE,
            bal.unreleased,
            by,
            texts.memo("ledger.holdback"),
        )


def return_unreleased(*, project: Project, by: Any, memo: str | Text) -> LedgerEntry | None:
    """The allocation ends without the holdback being paid (an upheld objection, a final fail):
    what was never released returns, and so does what was released and not spent
    (:func:`settle`). Returns the first entry written, if any."""
    entries = settle(project=project, by=by, memo=memo)
    return entries[0] if entries else None


def settle(*, project: Project, by: Any, memo: str | Text = "") -> list[LedgerEntry]:
    """End ``project``'s allocation without paying it out: return what was never released, then
    what was released and not spent. Afterwards allocated = released = spent. Idempotent."""
    fund = current_fund(project)
    if fund is None:
        return []
    out: list[LedgerEntry] = []
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        bal = project_balances(project)
        if bal.unreleased > 0:
            out.append(
                _entry(
                    fund,
                    project,
                    EntryKind.RETURN_UNRELEASED,
                    bal.unreleased,
                    by,
                    memo or texts.memo("ledger.unreleased_returned"),
                )
            )
        if bal.unspent > 0:
            out.append(
                _entry(
                    fund,
                    project,
                    EntryKind.RETURN_UNSPENT,
                    bal.unspent,
                    by,
                    memo or texts.memo("ledger.unspent_returned"),
                )
            )
    return out
