"""Phone numbers, parsed with ``phonenumbers`` and kept in E.164 (+8613812345678)."""

from __future__ import annotations

import phonenumbers


def normalise_phone(raw: object, region: str = "CN") -> str | None:
    """The number in E.164, or ``None`` if it is not a valid number."""
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked(e164: str) -> str:
    """138****1234: how others see a number."""
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"
