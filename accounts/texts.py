"""The words of the text messages, rendered in the recipient's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.codes import VALID_FOR
from accounts.models import Purpose


def code_message(code: str, purpose: str) -> str:
    minutes = int(VALID_FOR.total_seconds() // 60)
    what = Purpose(purpose).label
    return _("【议事】验证码 %(code)s，用于%(what)s，%(minutes)d 分钟内有效。请勿告诉他人。") % {
        "what": what,
        "code": code,
        "minutes": minutes,
    }
