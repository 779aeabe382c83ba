"""Parsing what people type: amounts, memos, years, dates, months, and receipt uploads."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from projects import uploads
from projects.errors import Invalid
from projects.ledger.balances import CENT
from projects.models.states import MAX_AMOUNT

RECEIPT_MAX_BYTES = uploads.MAX_RECEIPT_BYTES
RECEIPT_IMAGE_FORMATS = uploads.IMAGE_FORMATS


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
    if amount > MAX_AMOUNT:  # before quantize: "1e30" has too many digits to quantize
        raise Invalid(_("金额过大"), errors={field: [_("金额过大")]})
    if amount != amount.quantize(CENT):
        raise Invalid(_("金额最多保留两位小数"), errors={field: [_("最多两位小数")]})
    return amount.quantize(CENT)


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


MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str) -> date:
    """``"2025-03"`` → ``date(2025, 3, 1)``; 400 on anything else."""
    m = MONTH_RE.match(str(value or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise Invalid(_("月份格式应为 YYYY-MM"), errors={"month": [_("格式不正确")]})
    return date(int(m.group(1)), int(m.group(2)), 1)


def check_receipt(upload: UploadedFile, *, field: str = "receipt") -> ContentFile[bytes]:
    """A receipt that really is a JPEG/PNG/GIF/WebP image (re-encoded) or a PDF within the size
    limit, named ``receipt.<detected extension>`` (``projects.uploads``)."""
    return uploads.clean_receipt(upload, field=field)
