"""Numbers said in words, in the active language: 三分之二 / "two thirds"."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.utils.translation import get_language, gettext

_CN_DIGITS = "零一二三四五六七八九十"
_EN_DENOMINATORS = {
    2: ("half", "halves"),
    3: ("third", "thirds"),
    4: ("quarter", "quarters"),
    5: ("fifth", "fifths"),
    6: ("sixth", "sixths"),
    7: ("seventh", "sevenths"),
    8: ("eighth", "eighths"),
    9: ("ninth", "ninths"),
    10: ("tenth", "tenths"),
    12: ("twelfth", "twelfths"),
}
_EN_NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
               "ten", "eleven"]  # fmt: skip


def as_fraction(value: Any) -> Fraction | None:
    """The simple fraction a stored quorum stands for (0.667 → 2/3), or ``None``."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, Fraction):
            frac = value
        elif isinstance(value, tuple | list) and len(value) == 2:
            frac = Fraction(int(value[0]), int(value[1]))
        elif hasattr(value, "numerator") and hasattr(value, "denominator"):
            frac = Fraction(int(value.numerator), int(value.denominator))
        elif isinstance(value, str) and "/" in value:
            num, den = value.split("/", 1)
            frac = Fraction(int(num), int(den))
        else:
            frac = Fraction(Decimal(str(value)))
    except (ValueError, ZeroDivisionError, InvalidOperation, TypeError):
        return None
    return frac.limit_denominator(12)


def _cn_number(n: int) -> str:
    if 0 <= n <= 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + _CN_DIGITS[n - 10]
    return str(n)


def fraction_words(value: Any) -> str:
    """三分之二 / "two thirds"; "过半数" style wording is the caller's."""
    frac = as_fraction(value)
    if frac is None:
        return "" if value is None else str(value)
    if frac == 1:
        return gettext("全体")
    num, den = frac.numerator, frac.denominator
    language = (get_language() or "zh-hans").lower()
    if language.startswith("en"):
        if den in _EN_DENOMINATORS and num < len(_EN_NUMBERS):
            if den == 2 and num == 1:
                return "one half"
            singular, plural = _EN_DENOMINATORS[den]
            return f"{_EN_NUMBERS[num]} {singular if num == 1 else plural}"
        return f"{num}/{den}"
    return f"{_cn_number(den)}分之{_cn_number(num)}"
