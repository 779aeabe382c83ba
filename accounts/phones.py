"""Phone numbers: parsed with ``phonenumbers`` (region CN by default), stored in E.164."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "CN"


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """``raw`` as typed (``138 0013 8000``, ``+86 138-0013-8000``) in E.164 (``+8613800138000``);
    a ``ValidationError`` with a translated message when it is not a valid mobile number."""
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise ValidationError(_("请输入有效的手机号码"), code="invalid_phone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("请输入有效的手机号码"), code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("请输入有效的手机号码"), code="invalid_phone")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(_("请输入手机号码（不能是固定电话）"), code="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    """The number as people at home write it (``13800138000``); ``e164`` unchanged if unparsable."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.national_significant_number(number)
