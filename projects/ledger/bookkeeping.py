"""The service center's bookkeeping: expenditures, co-funding, and reversals of mistaken entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from projects import texts
from projects.errors import Conflict, Forbidden, Invalid
from projects.ledger.inputs import (
    _clean_memo,
    _parse_bool,
    _parse_date,
    check_receipt,
    parse_amount,
)
from projects.ledger.policy import (
    EXPENDITURE_STATES,
    NO_COFUNDING_STATES,
    REVERSIBLE_BY,
    SETTLED_STATES,
    _money_allowed,
    _require_clerk,
)
from projects.ledger.selectors import current_fund, fund_balances, project_balances
from projects.ledger.services import _entry, _locked_fund, _locked_project
from projects.models import (
    EntryKind,
    LedgerEntry,
    Milestone,
    Project,
    ProjectEvent,
    State,
)
from projects.models.money import ContributorKind, Fund
from projects.selectors import user_has_role


def expenditure_record(
    *,
    project: Project,
    by: Any,
    amount: Any,
    payee: Any,
    paid_on: Any,
    receipt: UploadedFile | None,
    memo: Any = "",
    milestone: Any = None,
) -> LedgerEntry:
    """The service center records a payment for ``project``: payee, date, receipt (image or
    PDF), and the milestone it pays for, if any (then it is on the project's timeline too). Only while the project is executing, evaluating or rectifying, or once it has closed
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
    stored = check_receipt(receipt)  # re-encoded, named from the detected format
    with transaction.atomic():
        locked = _locked_project(project)
        fund = _expenditure_fund(locked, by, day, value)
        stone = _milestone_of(locked, milestone)
        entry = _entry(
            fund,
            locked,
            EntryKind.EXPENDITURE,
            value,
            by,
            memo or payee,
            payee=payee,
            paid_on=day,
            receipt=stored,
            milestone=stone,
        )
        if stone is not None:
            ProjectEvent.objects.create(
                project=locked,
                actor=by,
                action="expenditure",
                amount=value,
                kind="expenditure.milestone",
                params={"amount": str(value), "name": stone.name},
            )
        return entry


def _expenditure_fund(project: Project, by: Any, day: date, value: Decimal) -> Fund:
    """The locked fund a payment of ``value`` on ``day`` is drawn from, once the project's state,
    its approval date and its released-but-unspent balance allow it."""
    if project.state not in EXPENDITURE_STATES:
        raise Conflict(
            _("项目当前状态为“%(state)s”，不能记录支出") % {"state": State(project.state).label},
            state=project.state,
            allowed=_money_allowed(project, by),
        )
    if project.decided_at is not None and day < timezone.localdate(project.decided_at):
        raise Invalid(_("支付日期不能早于项目批准日期"), errors={"paid_on": [_("早于批准日期")]})
    fund = current_fund(project)
    if fund is None:  # pragma: no cover - an executing project always has an allocation
        raise Conflict(_("项目没有经费来源"), state=project.state, allowed=[])
    fund = _locked_fund(fund.pk)
    unspent = project_balances(project).unspent
    if value > unspent:
        raise Invalid(
            _("支出 %(amount)s 超出已拨付未支出余额 %(unspent)s")
            % {"amount": value, "unspent": unspent},
            errors={"amount": [_("超出已拨付未支出余额")]},
        )
    return fund


def _milestone_of(project: Project, milestone: Any) -> Milestone | None:
    """The project's milestone named by ``milestone`` (its id), or ``None`` when not given."""
    if milestone in (None, ""):
        return None
    try:
        pk = int(milestone)
    except (TypeError, ValueError):
        raise Invalid(_("没有这个实施节点"), errors={"milestone": [_("无效")]}) from None
    stone = Milestone.objects.filter(project=project, pk=pk).first()
    if stone is None:
        raise Invalid(_("没有这个实施节点"), errors={"milestone": [_("无效")]})
    return stone


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
    fields = _cofund_fields(
        contributor=contributor,
        contributor_kind=contributor_kind,
        in_kind=in_kind,
        in_kind_description=in_kind_description,
        paid_on=paid_on,
        receipt=receipt,
    )
    memo = _clean_memo(memo)
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
        default_memo = fields["in_kind_description"] or fields["contributor"]
        return _entry(fund, locked, kind, value, by, memo or default_memo, **fields)


def _cofund_fields(
    *,
    contributor: Any,
    contributor_kind: Any,
    in_kind: Any,
    in_kind_description: Any,
    paid_on: Any,
    receipt: UploadedFile | None,
) -> dict[str, Any]:
    """The co-funding entry's own fields, checked: who, what kind, in kind or cash, when, receipt."""
    contributor = _clean_memo(contributor, required=True, field="contributor")[:200]
    if contributor_kind not in ContributorKind.values:
        raise Invalid(
            _("请选择共建方类型：驻区单位、企业或居民"),
            errors={"contributor_kind": [_("无效的选项")]},
        )
    goods = _parse_bool(in_kind)
    description = _clean_memo(in_kind_description, required=goods, field="in_kind_description")
    day = _parse_date(paid_on, field="paid_on") if paid_on not in (None, "") else None
    if day is not None and day > timezone.localdate():
        raise Invalid(_("日期不能晚于今天"), errors={"paid_on": [_("日期在未来")]})
    fields: dict[str, Any] = {
        "contributor": contributor,
        "contributor_kind": contributor_kind,
        "in_kind": goods,
        "in_kind_description": description if goods else "",
        "paid_on": day,
    }
    if receipt is not None:
        ext = check_receipt(receipt)
        receipt.name = f"receipt.{ext}"
        fields["receipt"] = receipt
    return fields


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
            texts.memo("ledger.reversal", id=original.pk, reason=reason),
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
                _entry(
                    fund,
                    project,
                    EntryKind.RETURN_UNSPENT,
                    amount,
                    by,
                    texts.memo("ledger.reversal_returned"),
                )
    return reversal
