"""``{% load ui %}``: plain words for residents.

- ``{{ community.committee_quorum|fraction_words }}`` → 三分之二 / "two thirds" (accepts a
  ``Fraction``, a ``Decimal``/float such as 0.667, a ``"2/3"`` text or a ``(2, 3)`` pair).
- ``{{ field.errors.as_data|friendly_errors }}`` (used by the form error template) → our own
  wording for Django's stock validator messages.
- ``{{ amount|cny }}`` → ``32,857.14 元`` (``¥`` is not how people here write it in a sentence).
- ``{{ moment|when }}`` → ``2026-12-03 15:20`` (``{{ day|when:"Y-m-d" }}`` for a date) in a span
  that never wraps: on a phone a date breaks onto the next line whole, not in the middle.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.core.exceptions import ValidationError
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from projects.words import fraction_words

register = template.Library()

fraction_words = register.filter("fraction_words", fraction_words)


def _friendly(error: ValidationError) -> str:
    params = error.params or {}
    code = error.code
    if code == "required":
        return gettext("请填写这一项。")
    if code == "min_length" and "limit_value" in params:
        n, shown = params["limit_value"], params.get("show_value", 0)
        return ngettext(
            "太短了：至少要写 %(n)d 个字，现在是 %(shown)d 个。",
            "太短了：至少要写 %(n)d 个字，现在是 %(shown)d 个。",
            n,
        ) % {"n": n, "shown": shown}
    if code == "max_length" and "limit_value" in params:
        n, shown = params["limit_value"], params.get("show_value", 0)
        return ngettext(
            "太长了：最多 %(n)d 个字，现在是 %(shown)d 个。",
            "太长了：最多 %(n)d 个字，现在是 %(shown)d 个。",
            n,
        ) % {"n": n, "shown": shown}
    if code == "max_value" and "limit_value" in params:
        return gettext("不能大于 %(limit)s。") % {"limit": params["limit_value"]}
    if code == "min_value" and "limit_value" in params:
        return gettext("不能小于 %(limit)s。") % {"limit": params["limit_value"]}
    if code == "max_decimal_places" and "max" in params:
        return gettext("最多保留 %(n)s 位小数。") % {"n": params["max"]}
    if code in {"max_digits", "max_whole_digits"}:
        return gettext("这个数太大了。")
    if code == "invalid_image":
        return gettext("请上传照片（JPG、PNG 等图片文件）。")
    if code == "invalid_choice":
        return gettext("请从列表里选择一项。")
    if code == "empty":
        return gettext("上传的文件是空的。")
    return " ".join(str(m) for m in error)


@register.filter
def friendly_errors(errors: Any) -> list[str]:
    """``errors.as_data`` (a list of ``ValidationError``) → one clear message each."""
    out: list[str] = []
    for error in errors or []:
        if isinstance(error, ValidationError):
            out.append(_friendly(error))
        else:
            out.append(str(error))
    return out


@register.filter
def cny(value: Any) -> str:
    """``32857.14`` → ``32,857.14 元``; empty stays empty."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    return gettext("%(amount)s 元") % {"amount": f"{amount:,.2f}"}


@register.filter
def verdict_plain(verdict: Any) -> str:
    """A budget-ballot verdict (``deliberation.rules.Verdict`` value) in everyday words; the
    method's own explanation stays under "how this was computed"."""
    texts = {
        "selected": gettext("入选"),
        "does_not_fit": gettext("未入选：轮到它时，剩下的预算不够它的成本。"),
        "not_reached": gettext("未入选：前面的项目已用完预算，计票在它之前停止。"),
        "below_threshold": gettext("未入选：得票没有达到最低票数。"),
        "not_affordable": gettext("未入选：支持它的居民分到的预算合起来不够它的成本。"),
        "no_supporters": gettext("未入选：没有人投票支持。"),
        "zero_cost": gettext("未入选：成本为零。"),
    }
    return texts.get(str(verdict or ""), "")


@register.filter(expects_localtime=True)
def when(value: Any, fmt: str = "Y-m-d H:i") -> SafeString | str:
    """A date or a moment, kept on one line (``.nowrap``); empty stays empty."""
    if not value:
        return ""
    return format_html('<span class="nowrap">{}</span>', date_format(value, fmt))
