"""Money services: every ledger write goes through here, under a row lock on the fund.

Balances are derived from the entries, never stored: each balance is the signed sum of the
entries that move it (``EFFECTS``), a reversal moving it back by the amount of the entry it
reverses. One grouped aggregate query computes a whole balance set, however many entries there
are (:func:`fund_balances`, :func:`project_balances`, :func:`statement_build`).

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

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Community,
    EntryKind,
    Fund,
    LedgerEntry,
    Membership,
    Project,
    Role,
    State,
    Street,
)
from projects.models.lifecycle import MAX_AMOUNT
from projects.models.money import ContributorKind
from projects.selectors import user_has_role

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
RECEIPT_MAX_BYTES = 10 * 1024 * 1024
RECEIPT_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}

# What may happen to a project's money in which state.
SPENDING_STATES = frozenset({State.EXECUTING, State.EVALUATING, State.RECTIFYING})
# Payments are recorded while the work runs, and after a passing evaluation closes the project:
# the holdback the vote released is then paid on to the contractor (the final invoice, 尾款),
# within what was released and not yet spent.
EXPENDITURE_STATES = SPENDING_STATES | {State.CLOSED}
NO_COFUNDING_STATES = frozenset(
    {State.DRAFT, State.REJECTED, State.WITHDRAWN, State.LAPSED, State.FAILED}
)
SETTLED_STATES = frozenset({State.CLOSED, State.FAILED})
# Who may reverse an entry of each kind; entries the lifecycle writes are not reversed by hand.
REVERSIBLE_BY: dict[str, str] = {
    EntryKind.EXPENDITURE: Role.CLERK,
    EntryKind.COFUND_PLEDGE: Role.CLERK,
    EntryKind.COFUND_RECEIPT: Role.CLERK,
    EntryKind.APPROPRIATION: Role.SUPERVISOR,
}

# The balances, and how each kind of entry moves them (+1 / -1 times its amount).
BALANCE_NAMES = (
    "appropriated",  # appropriations and carry-over in, minus carry-forward out
    "allocated",  # approved for projects, net of what returned
    "released",  # paid out to projects in tranches, net of unspent money returned
    "spent",  # expenditures
    "returned",  # returned to the fund (unreleased and unspent)
    "pledged",  # co-funding pledged
    "cofunded",  # co-funding received (cash and in-kind valuation)
    "cofunded_in_kind",  # of which in kind
)
EFFECTS: dict[str, dict[str, int]] = {
    EntryKind.APPROPRIATION: {"appropriated": 1},
    EntryKind.CARRY_OVER: {"appropriated": 1},
    EntryKind.CARRY_FORWARD: {"appropriated": -1},
    EntryKind.ALLOCATION: {"allocated": 1},
    EntryKind.ADVANCE_RELEASE: {"released": 1},
    EntryKind.HOLDBACK_RELEASE: {"released": 1},
    EntryKind.EXPENDITURE: {"spent": 1},
    EntryKind.RETURN_UNRELEASED: {"allocated": -1, "returned": 1},
    EntryKind.RETURN_UNSPENT: {"allocated": -1, "released": -1, "returned": 1},
    EntryKind.COFUND_PLEDGE: {"pledged": 1},
    EntryKind.COFUND_RECEIPT: {"cofunded": 1},
}
IN_KIND_BALANCE = "cofunded_in_kind"  # moved by in-kind co-funding receipts only


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(value: Any, *, field: str = "amount") -> Decimal:
    """A positive CNY amount with at most two decimals, within Decimal(14,2)."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        # floats are refused: money never passes through binary floating point
        raise Invalid(_("金额格式不正确"), errors={field: [_("请输入数字")]})
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise Invalid(_("金额格式不正确"), errors={field: [_("请输入数字")]}) from None
    if not amount.is_finite():
        raise Invalid(_("金额格式不正确"), errors={field: [_("请输入数字")]})
    if amount <= 0:
        raise Invalid(_("金额必须大于零"), errors={field: [_("必须大于零")]})
    if amount != amount.quantize(CENT):
        raise Invalid(_("金额最多保留两位小数"), errors={field: [_("最多两位小数")]})
    if amount > MAX_AMOUNT:
        raise Invalid(_("金额过大"), errors={field: [_("金额过大")]})
    return amount.quantize(CENT)


# --- balances ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Balances:
    """A balance set, derived from entries. ``available`` is what may still be allocated."""

    appropriated: Decimal = ZERO
    allocated: Decimal = ZERO
    released: Decimal = ZERO
    spent: Decimal = ZERO
    returned: Decimal = ZERO
    pledged: Decimal = ZERO
    cofunded: Decimal = ZERO
    cofunded_in_kind: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return money(self.appropriated - self.allocated)

    @property
    def unreleased(self) -> Decimal:
        return money(self.allocated - self.released)

    @property
    def unspent(self) -> Decimal:
        return money(self.released - self.spent)

    @property
    def held(self) -> Decimal:
        """Money the fund still holds: everything in, less everything spent."""
        return money(self.appropriated - self.spent)

    @property
    def cofunded_cash(self) -> Decimal:
        return money(self.cofunded - self.cofunded_in_kind)

    def as_dict(self) -> dict[str, Decimal]:
        names = [*BALANCE_NAMES, "available", "unreleased", "unspent", "held", "cofunded_cash"]
        return {n: getattr(self, n) for n in names}

    def __add__(self, other: Balances) -> Balances:
        return Balances(**{n: money(getattr(self, n) + getattr(other, n)) for n in BALANCE_NAMES})

    def __sub__(self, other: Balances) -> Balances:
        return Balances(**{n: money(getattr(self, n) - getattr(other, n)) for n in BALANCE_NAMES})


# Names kept for callers written against the first version of this module.
FundBalances = Balances
ProjectBalances = Balances


# Entries are summed per (kind, in kind?, kind of the reversed entry, in kind?): a handful of
# groups whatever the ledger's size, which Python then maps onto the balances by ``EFFECTS``.
_GROUP = ("kind", "in_kind", "reverses__kind", "reverses__in_kind")


def _effects(kind: str, in_kind: bool, amount: Decimal, sign: int = 1) -> dict[str, Decimal]:
    effects = dict.fromkeys(BALANCE_NAMES, ZERO)
    for name, s in EFFECTS.get(kind, {}).items():
        effects[name] = money(amount * s * sign)
    if kind == EntryKind.COFUND_RECEIPT and in_kind:
        effects[IN_KIND_BALANCE] = money(amount * sign)
    return effects


def _row_effects(row: Mapping[str, Any], amount: Decimal) -> dict[str, Decimal]:
    if row["kind"] == EntryKind.REVERSAL:
        return _effects(row["reverses__kind"], bool(row["reverses__in_kind"]), amount, -1)
    return _effects(row["kind"], bool(row["in_kind"]), amount)


def _add(totals: dict[str, Decimal], effects: Mapping[str, Decimal]) -> None:
    for name, value in effects.items():
        totals[name] += value


def _balances(totals: Mapping[str, Decimal]) -> Balances:
    return Balances(**{n: money(totals[n]) for n in BALANCE_NAMES})


def balances_of(entries: QuerySet[LedgerEntry]) -> Balances:
    """The balance set of ``entries``, in one (grouped) query."""
    totals = dict.fromkeys(BALANCE_NAMES, ZERO)
    for row in entries.order_by().values(*_GROUP).annotate(total=Sum("amount")):
        _add(totals, _row_effects(row, Decimal(row["total"] or 0)))
    return _balances(totals)


def balances_by(entries: QuerySet[LedgerEntry], key: str) -> dict[Any, Balances]:
    """Balance sets of ``entries`` grouped by ``key`` (e.g. ``"project_id"``), in one query."""
    totals: dict[Any, dict[str, Decimal]] = {}
    for row in entries.order_by().values(key, *_GROUP).annotate(total=Sum("amount")):
        acc = totals.setdefault(row[key], dict.fromkeys(BALANCE_NAMES, ZERO))
        _add(acc, _row_effects(row, Decimal(row["total"] or 0)))
    return {k: _balances(v) for k, v in totals.items()}


def fund_balances(fund: Fund) -> Balances:
    return balances_of(LedgerEntry.objects.filter(fund_id=fund.pk))


def project_balances(project: Project) -> Balances:
    return balances_of(LedgerEntry.objects.filter(project_id=project.pk))


def entry_effects(entry: LedgerEntry) -> dict[str, Decimal]:
    """How ``entry`` moves each balance (signed), by the same table as the sums.

    A reversal needs its ``reverses`` loaded (``select_related("reverses")``)."""
    if entry.kind == EntryKind.REVERSAL:
        original = entry.reverses
        assert original is not None  # the database constraint guarantees it
        return _effects(original.kind, original.in_kind, entry.amount, -1)
    return _effects(entry.kind, entry.in_kind, entry.amount)


def sum_effects(entries: Iterable[LedgerEntry]) -> Balances:
    """The balance set of ``entries`` summed row by row in Python (a cross-check of the SQL)."""
    totals = dict.fromkeys(BALANCE_NAMES, ZERO)
    for entry in entries:
        _add(totals, entry_effects(entry))
    return _balances(totals)


# --- funds --------------------------------------------------------------------------------
def current_fund(project: Project) -> Fund | None:
    """The fund that pays for ``project``: the one it was allocated from, else this year's."""
    entry = (
        LedgerEntry.objects.filter(project_id=project.pk, kind=EntryKind.ALLOCATION)
        .select_related("fund")
        .order_by("created_at", "pk")
        .first()
    )
    if entry is not None:
        return entry.fund
    return Fund.objects.filter(
        community_id=project.community_id, year=timezone.localdate().year
    ).first()


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
    memo: str,
    **fields: Any,
) -> LedgerEntry:
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


def street_supervisor(user: Any, street: Street) -> bool:
    """Is ``user`` a supervisor of ``street`` (and so of every community on it)?"""
    if user is None or not user.is_authenticated:
        return False
    return Membership.objects.filter(user_id=user.pk, role=Role.SUPERVISOR, street=street).exists()


def _require_supervisor(by: Any, community: Community) -> None:
    if not user_has_role(by, community, Role.SUPERVISOR):
        raise Forbidden(_("只有街道监督人员可以管理公益事业经费"))


def _require_clerk(by: Any, community: Community) -> None:
    if not user_has_role(by, community, Role.CLERK):
        raise Forbidden(_("只有社区服务中心工作人员可以记账"))


def _clean_memo(memo: Any, *, required: bool = False, field: str = "memo") -> str:
    if memo is not None and not isinstance(memo, str):
        raise Invalid(_("摘要必须是文字"), errors={field: [_("必须是文字")]})
    memo = (memo or "").strip()
    if required and not memo:
        raise Invalid(_("请填写说明"), errors={field: [_("此项必填")]})
    if len(memo) > 300:
        raise Invalid(_("说明不能超过 300 字"), errors={field: [_("过长")]})
    return memo


def _parse_year(value: Any) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(_("年度必须是四位数字"), errors={"year": [_("请输入年份")]}) from None
    if not 2000 <= year <= 2100:
        raise Invalid(_("年度必须在 2000 到 2100 之间"), errors={"year": [_("超出范围")]})
    return year


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
            _entry(fund, None, EntryKind.APPROPRIATION, value, by, _("拨入经费"))
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
        return _entry(fund, None, EntryKind.APPROPRIATION, value, by, memo or _("拨入经费"))


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
            _("结转至 %(year)s 年度") % {"year": target.year},
        )
        return _entry(
            target,
            None,
            EntryKind.CARRY_OVER,
            amount,
            by,
            _("由 %(year)s 年度结转") % {"year": source.year},
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
        return _entry(fund, project, EntryKind.ALLOCATION, value, by, _("项目批准"))


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
        return _entry(fund, project, EntryKind.ADVANCE_RELEASE, amount, by, _("开工拨付预付款"))


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
                _("项目结项，预付款结余退回"),
            )
        if bal.unreleased <= 0:
            return None
        return _entry(
            fund, project, EntryKind.HOLDBACK_RELEASE, bal.unreleased, by, _("评议通过拨付尾款")
        )


def return_unreleased(*, project: Project, by: Any, memo: str) -> LedgerEntry | None:
    """The allocation ends without the holdback being paid (an upheld objection, a final fail):
    what was never released returns, and so does what was released and not spent
    (:func:`settle`). Returns the first entry written, if any."""
    entries = settle(project=project, by=by, memo=memo)
    return entries[0] if entries else None


def return_unspent(*, project: Project, by: Any, memo: str) -> LedgerEntry | None:
    """Released money that was not spent returns to the fund."""
    fund = current_fund(project)
    if fund is None:
        return None
    with transaction.atomic():
        fund = _locked_fund(fund.pk)
        amount = project_balances(project).unspent
        if amount <= 0:
            return None
        return _entry(fund, project, EntryKind.RETURN_UNSPENT, amount, by, memo)


def settle(*, project: Project, by: Any, memo: str = "") -> list[LedgerEntry]:
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
                    memo or _("未拨付款退回"),
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
                    memo or _("结余退回"),
                )
            )
    return out


# --- uploads --------------------------------------------------------------------------------
def check_receipt(upload: UploadedFile, *, field: str = "receipt") -> str:
    """Accept a receipt that really is a JPEG/PNG/GIF/WebP image or a PDF within the size limit;
    return the extension to store it under."""
    from PIL import Image, UnidentifiedImageError

    size = upload.size or 0
    if size > RECEIPT_MAX_BYTES:
        raise Invalid(
            _("票据文件不能超过 %(mb)d MB") % {"mb": RECEIPT_MAX_BYTES // (1024 * 1024)},
            errors={field: [_("文件过大")]},
        )
    if size == 0:
        raise Invalid(_("票据文件是空的"), errors={field: [_("文件为空")]})
    try:
        upload.seek(0)
        head = upload.read(1024)
        if head.lstrip()[:5] == b"%PDF-":
            return "pdf"
        upload.seek(0)
        try:
            with Image.open(upload) as img:
                fmt = (img.format or "").upper()
                img.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            fmt = ""
        if fmt not in RECEIPT_IMAGE_FORMATS:
            raise Invalid(
                _("票据只能是 JPEG、PNG、GIF、WebP 图片或 PDF 文件"),
                errors={field: [_("格式不支持")]},
            )
        return RECEIPT_IMAGE_FORMATS[fmt]
    finally:
        upload.seek(0)


def _parse_date(value: Any, *, field: str) -> date:
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(
            _("日期格式不正确，应为 YYYY-MM-DD"), errors={field: [_("日期格式不正确")]}
        ) from None


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


# --- the clerk's entries --------------------------------------------------------------------
def clerk_money_actions(state: str) -> list[str]:
    """The money actions the community's clerk may take on a project in ``state`` (what the
    project page's money panel offers, and what a refusal lists as allowed)."""
    actions: list[str] = []
    if state in EXPENDITURE_STATES:
        actions.append("expenditure")
    if state not in NO_COFUNDING_STATES:
        actions += ["cofund_pledge", "cofund_receipt"]
    return actions


def _money_allowed(project: Project, by: Any) -> list[str]:
    """The money actions ``by`` may take on ``project`` in its state now."""
    if not user_has_role(by, project.community, Role.CLERK):
        return []
    return clerk_money_actions(project.state)


def expenditure_record(
    *,
    project: Project,
    by: Any,
    amount: Any,
    payee: Any,
    paid_on: Any,
    receipt: UploadedFile | None,
    memo: Any = "",
) -> LedgerEntry:
    """The service center records a payment for ``project``: payee, date, receipt (image or
    PDF). Only while the project is executing, evaluating or rectifying, or once it has closed
    (the final invoice, paid from the holdback), and never beyond what was released and is not
    yet spent."""
    _require_clerk(by, project.community)
    value = parse_amount(amount)
    payee = _clean_memo(payee, required=True, field="payee")[:200]
    day = _parse_date(paid_on, field="paid_on")
    memo = _clean_memo(memo)
    if day > timezone.localdate():
        raise Invalid(_("支付日期不能晚于今天"), errors={"paid_on": [_("日期在未来")]})
    if receipt is None:
        raise Invalid(_("请上传票据（图片或 PDF）"), errors={"receipt": [_("此项必填")]})
    ext = check_receipt(receipt)
    with transaction.atomic():
        locked = _locked_project(project)
        if locked.state not in EXPENDITURE_STATES:
            raise Conflict(
                _("项目当前状态为“%(state)s”，不能记录支出") % {"state": State(locked.state).label},
                state=locked.state,
                allowed=_money_allowed(locked, by),
            )
        if locked.decided_at is not None and day < timezone.localdate(locked.decided_at):
            raise Invalid(
                _("支付日期不能早于项目批准日期"), errors={"paid_on": [_("早于批准日期")]}
            )
        fund = current_fund(locked)
        if fund is None:  # pragma: no cover - an executing project always has an allocation
            raise Conflict(_("项目没有经费来源"), state=locked.state, allowed=[])
        fund = _locked_fund(fund.pk)
        unspent = project_balances(locked).unspent
        if value > unspent:
            raise Invalid(
                _("支出 %(amount)s 超出已拨付未支出余额 %(unspent)s")
                % {"amount": value, "unspent": unspent},
                errors={"amount": [_("超出已拨付未支出余额")]},
            )
        receipt.name = f"receipt.{ext}"
        return _entry(
            fund,
            locked,
            EntryKind.EXPENDITURE,
            value,
            by,
            memo or payee,
            payee=payee,
            paid_on=day,
            receipt=receipt,
        )


def _cofund(
    *,
    kind: str,
    project: Project,
    by: Any,
    amount: Any,
    contributor: Any,
    contributor_kind: Any,
    in_kind: Any,
    in_kind_description: Any,
    paid_on: Any,
    receipt: UploadedFile | None,
    memo: Any,
) -> LedgerEntry:
    _require_clerk(by, project.community)
    value = parse_amount(amount)
    contributor = _clean_memo(contributor, required=True, field="contributor")[:200]
    if contributor_kind not in ContributorKind.values:
        raise Invalid(
            _("请选择共建方类型：驻区单位、企业或居民"),
            errors={"contributor_kind": [_("无效的选项")]},
        )
    goods = _parse_bool(in_kind)
    description = _clean_memo(in_kind_description, required=goods, field="in_kind_description")
    if not goods:
        description = ""
    memo = _clean_memo(memo)
    day = _parse_date(paid_on, field="paid_on") if paid_on not in (None, "") else None
    if day is not None and day > timezone.localdate():
        raise Invalid(_("日期不能晚于今天"), errors={"paid_on": [_("日期在未来")]})
    extra: dict[str, Any] = {}
    if receipt is not None:
        ext = check_receipt(receipt)
        receipt.name = f"receipt.{ext}"
        extra["receipt"] = receipt
    with transaction.atomic():
        locked = _locked_project(project)
        if locked.state in NO_COFUNDING_STATES:
            raise Conflict(
                _("项目当前状态为“%(state)s”，不能登记共建") % {"state": State(locked.state).label},
                state=locked.state,
                allowed=_money_allowed(locked, by),
            )
        fund = current_fund(locked)
        if fund is None:
            raise Conflict(_("本社区本年度尚未设立公益事业经费"), state=locked.state, allowed=[])
        fund = _locked_fund(fund.pk)
        default_memo = description or contributor
        return _entry(
            fund,
            locked,
            kind,
            value,
            by,
            memo or default_memo,
            contributor=contributor,
            contributor_kind=contributor_kind,
            in_kind=goods,
            in_kind_description=description,
            paid_on=day,
            **extra,
        )


def cofund_pledge(
    *,
    project: Project,
    by: Any,
    amount: Any,
    contributor: Any,
    contributor_kind: Any,
    in_kind: Any = False,
    in_kind_description: Any = "",
    memo: Any = "",
) -> LedgerEntry:
    """A resident unit, company or resident pledges money or in-kind help (at a valuation)."""
    return _cofund(
        kind=EntryKind.COFUND_PLEDGE,
        project=project,
        by=by,
        amount=amount,
        contributor=contributor,
        contributor_kind=contributor_kind,
        in_kind=in_kind,
        in_kind_description=in_kind_description,
        paid_on=None,
        receipt=None,
        memo=memo,
    )


def cofund_receive(
    *,
    project: Project,
    by: Any,
    amount: Any,
    contributor: Any,
    contributor_kind: Any,
    in_kind: Any = False,
    in_kind_description: Any = "",
    paid_on: Any = None,
    receipt: UploadedFile | None = None,
    memo: Any = "",
) -> LedgerEntry:
    """Co-funding received (cash, or in kind at a valuation), optionally with its receipt."""
    return _cofund(
        kind=EntryKind.COFUND_RECEIPT,
        project=project,
        by=by,
        amount=amount,
        contributor=contributor,
        contributor_kind=contributor_kind,
        in_kind=in_kind,
        in_kind_description=in_kind_description,
        paid_on=paid_on or timezone.localdate(),
        receipt=receipt,
        memo=memo,
    )


def entry_reversible_by(entry: LedgerEntry, user: Any) -> bool:
    """May ``user`` reverse ``entry`` (a kind corrected by hand, not yet reversed, right role)?"""
    role = REVERSIBLE_BY.get(entry.kind)
    if role is None or is_reversed(entry):
        return False
    return user_has_role(user, entry.fund.community, role)


def is_reversed(entry: LedgerEntry) -> bool:
    try:
        return entry.reversed_by is not None
    except LedgerEntry.DoesNotExist:
        return False


def entry_reverse(*, entry: LedgerEntry, by: Any, reason: Any) -> LedgerEntry:
    """Correct a mistaken entry by a reversing entry of the same amount that names it.

    The clerk reverses expenditures and co-funding; a supervisor reverses appropriations (only
    while the fund can spare the money). Entries the lifecycle writes (allocation, releases,
    returns) and reversals themselves are not reversed. Reversing an expenditure of a project
    whose account is settled returns the freed money to the fund at once."""
    reason = _clean_memo(reason, required=True, field="reason")
    community = entry.fund.community
    role = REVERSIBLE_BY.get(entry.kind)
    if role is None:
        raise Conflict(
            _("“%(kind)s”分录由流程自动记账，不能手工冲正") % {"kind": EntryKind(entry.kind).label},
            allowed=[],
        )
    if not user_has_role(by, community, role):
        raise Forbidden(_("您没有权限冲正这笔分录"))
    with transaction.atomic():
        project = _locked_project(entry.project) if entry.project is not None else None
        fund = _locked_fund(entry.fund_id)
        original = LedgerEntry.objects.select_related("reverses").get(pk=entry.pk)
        if LedgerEntry.objects.filter(reverses_id=original.pk).exists():
            raise Conflict(_("这笔分录已经冲正过"), allowed=[])
        if original.kind == EntryKind.APPROPRIATION:
            available = fund_balances(fund).available
            if original.amount > available:
                raise Conflict(
                    _("经费已分配，可用余额 %(available)s 不足以冲正 %(amount)s")
                    % {"available": available, "amount": original.amount},
                    allowed=[],
                )
        reversal = _entry(
            fund,
            project,
            EntryKind.REVERSAL,
            original.amount,
            by,
            _("冲正 #%(id)s：%(reason)s") % {"id": original.pk, "reason": reason},
            reverses=original,
        )
        if (
            project is not None
            and original.kind == EntryKind.EXPENDITURE
            and project.state in SETTLED_STATES
        ):
            # the project's account is closed: the money the correction frees goes back at once
            amount = min(original.amount, project_balances(project).unspent)
            if amount > 0:
                _entry(fund, project, EntryKind.RETURN_UNSPENT, amount, by, _("冲正后结余退回"))
    return reversal


# --- the monthly public statement (公示栏) ----------------------------------------------------
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str) -> date:
    """``"2025-03"`` → ``date(2025, 3, 1)``; 400 on anything else."""
    m = MONTH_RE.match(str(value or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise Invalid(_("月份格式应为 YYYY-MM"), errors={"month": [_("格式不正确")]})
    return date(int(m.group(1)), int(m.group(2)), 1)


def next_month(month: date) -> date:
    return date(month.year + (month.month // 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month in the local time zone, as aware datetimes [start, end)."""
    tz = timezone.get_current_timezone()
    after = next_month(month)
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(after.year, after.month, 1, tzinfo=tz)
    return start, end


@dataclass
class StatementLine:
    entry: LedgerEntry
    effects: dict[str, Decimal]

    @property
    def delta_available(self) -> Decimal:
        return money(self.effects["appropriated"] - self.effects["allocated"])


@dataclass
class ProjectMonth:
    """A project's movements in the month, and its cumulative balances at the month's end."""

    project: Project
    moved: Balances
    closing: Balances


@dataclass
class Statement:
    community: Community
    month: date
    opening: Balances
    closing: Balances
    lines: list[StatementLine]
    projects: list[ProjectMonth] = field(default_factory=list)

    @property
    def movement(self) -> Balances:
        return self.closing - self.opening

    @property
    def cofunding(self) -> list[StatementLine]:
        return [
            ln
            for ln in self.lines
            if ln.entry.kind == EntryKind.COFUND_RECEIPT
            or (ln.entry.kind == EntryKind.REVERSAL and ln.effects["cofunded"] != 0)
        ]

    @property
    def month_label(self) -> str:
        return f"{self.month:%Y-%m}"

    def summary(self) -> list[dict[str, Any]]:
        """One row per balance: opening, the month's movement, closing (as on the CSV)."""
        movement = self.movement
        return [
            {
                "name": name,
                "label": _(label),
                "opening": _col(self.opening, name),
                "movement": _col(movement, name),
                "closing": _col(self.closing, name),
            }
            for name, label in CSV_COLUMNS
        ]


def statement_months(community: Community) -> list[date]:
    """Every month from the community's first entry to this month (or its last entry, if later),
    newest first: each month has its statement, movements or none. One indexed query."""
    span = LedgerEntry.objects.filter(fund__community=community).aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    if span["first"] is None:
        return []
    first = timezone.localdate(span["first"]).replace(day=1)
    last = max(timezone.localdate(span["last"]), timezone.localdate()).replace(day=1)
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    return months[::-1]


def statement_build(*, community: Community, month: date) -> Statement:
    """The 公示栏 for ``community`` and ``month``: opening balances, every movement with its
    project, closing balances, co-funding received. Three queries whatever the ledger's size:
    the opening balances (one grouped aggregate over the history), the month's entries, and the
    month's projects' balances to the month's end; closing = opening + the month's entries."""
    start, end = month_bounds(month)
    entries = LedgerEntry.objects.filter(fund__community=community)
    opening = balances_of(entries.filter(created_at__lt=start))
    month_entries = list(
        entries.filter(created_at__gte=start, created_at__lt=end)
        .select_related("project", "actor", "reverses", "fund")
        .order_by("created_at", "pk")
    )
    lines = [StatementLine(entry=e, effects=entry_effects(e)) for e in month_entries]
    closing = opening + sum_effects(month_entries)
    projects: dict[int, Project] = {}
    moved: dict[int, dict[str, Decimal]] = {}
    for ln in lines:
        p = ln.entry.project
        if p is None:
            continue
        projects.setdefault(p.pk, p)
        acc = moved.setdefault(p.pk, dict.fromkeys(BALANCE_NAMES, ZERO))
        for name, value in ln.effects.items():
            acc[name] += value
    cumulative = (
        balances_by(
            LedgerEntry.objects.filter(project_id__in=list(projects), created_at__lt=end),
            "project_id",
        )
        if projects
        else {}
    )
    rows = [
        ProjectMonth(
            project=projects[pk],
            moved=Balances(**{n: money(v) for n, v in moved[pk].items()}),
            closing=cumulative.get(pk, Balances()),
        )
        for pk in projects
    ]
    return Statement(
        community=community,
        month=month,
        opening=opening,
        closing=closing,
        lines=lines,
        projects=rows,
    )


@dataclass
class StreetRow:
    community: Community
    opening: Balances
    closing: Balances

    @property
    def movement(self) -> Balances:
        return self.closing - self.opening


def street_statement(*, street: Street, month: date) -> list[StreetRow]:
    """Every community of ``street`` for ``month``: three queries whatever the ledger's size."""
    start, end = month_bounds(month)
    communities = list(Community.objects.filter(street=street).order_by("name"))
    entries = LedgerEntry.objects.filter(fund__community__street=street)
    opening = balances_by(entries.filter(created_at__lt=start), "fund__community_id")
    moved = balances_by(
        entries.filter(created_at__gte=start, created_at__lt=end), "fund__community_id"
    )
    rows = []
    for c in communities:
        before = opening.get(c.pk, Balances())
        rows.append(
            StreetRow(community=c, opening=before, closing=before + moved.get(c.pk, Balances()))
        )
    return rows


# The statement's balance columns (CSV) and rows (page), in this order.
CSV_COLUMNS = [
    ("appropriated", gettext_noop("经费总额")),
    ("allocated", gettext_noop("已分配")),
    ("released", gettext_noop("已拨付")),
    ("spent", gettext_noop("已支出")),
    ("available", gettext_noop("可分配余额")),
    ("cofunded", gettext_noop("共建到账")),
    ("pledged", gettext_noop("共建认捐")),
]


def _col(bal: Balances | dict[str, Decimal], name: str) -> Decimal:
    if isinstance(bal, Balances):
        return Decimal(getattr(bal, name))
    if name == "available":
        return money(bal["appropriated"] - bal["allocated"])
    return bal[name]


def statement_csv(statement: Statement) -> str:
    """The statement as CSV: an opening row, one row per entry with how it moved each balance,
    the month's total, and the closing row. Opening + total = closing, column by column."""
    out = io.StringIO()
    writer = csv.writer(out)
    names = [n for n, _label in CSV_COLUMNS]
    writer.writerow(
        [
            _("行"),
            _("记账日期"),
            _("分录号"),
            _("项目编号"),
            _("项目"),
            _("类型"),
            _("金额"),
            _("收付方"),
            _("摘要"),
            *[_(label) for _n, label in CSV_COLUMNS],
        ]
    )
    writer.writerow(
        [
            _("期初"),
            f"{statement.month:%Y-%m-01}",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            *[str(_col(statement.opening, n)) for n in names],
        ]
    )
    for ln in statement.lines:
        e = ln.entry
        writer.writerow(
            [
                _("分录"),
                f"{timezone.localtime(e.created_at):%Y-%m-%d}",
                e.pk,
                e.project_id or "",
                csv_safe(e.project.title) if e.project else "",
                e.get_kind_display(),
                str(e.amount),
                csv_safe(e.payee or e.contributor),
                csv_safe(e.memo),
                *[str(_col(ln.effects, n)) for n in names],
            ]
        )
    writer.writerow(
        [
            _("本月合计"),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            *[str(_col(statement.movement, n)) for n in names],
        ]
    )
    end = next_month(statement.month)
    writer.writerow(
        [
            _("期末"),
            f"{end:%Y-%m-%d}",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            *[str(_col(statement.closing, n)) for n in names],
        ]
    )
    return out.getvalue()


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def statement_as_dict(statement: Statement) -> dict[str, Any]:
    """JSON-ready statement for the API (amounts as strings)."""

    def bal(b: Balances) -> dict[str, str]:
        return {k: str(v) for k, v in b.as_dict().items()}

    def line(ln: StatementLine) -> dict[str, Any]:
        e = ln.entry
        return {
            "id": e.pk,
            "created_at": e.created_at.isoformat(),
            "kind": e.kind,
            "kind_label": e.get_kind_display(),
            "amount": str(e.amount),
            "project": e.project_id,
            "project_title": e.project.title if e.project else None,
            "payee": e.payee,
            "contributor": e.contributor,
            "contributor_kind": e.contributor_kind,
            "in_kind": e.in_kind,
            "memo": e.memo,
            "reverses": e.reverses_id,
            "effects": {k: str(v) for k, v in ln.effects.items()},
        }

    return {
        "community": {
            "id": statement.community.pk,
            "slug": statement.community.slug,
            "name": statement.community.name,
        },
        "month": statement.month_label,
        "opening": bal(statement.opening),
        "movement": bal(statement.movement),
        "closing": bal(statement.closing),
        "entries": [line(ln) for ln in statement.lines],
        "projects": [
            {
                "id": row.project.pk,
                "title": row.project.title,
                "state": row.project.state,
                "moved": bal(row.moved),
                "closing": bal(row.closing),
            }
            for row in statement.projects
        ],
        "cofunding": [line(ln) for ln in statement.cofunding],
    }
