"""One-time codes: 6 digits, stored as an HMAC, valid five minutes, checked in constant time.

Limits (all counted from the stored codes, so they hold across processes):

- one code per number per :data:`RESEND_SECONDS` (60 s), whatever its purpose;
- at most :data:`PER_NUMBER_PER_DAY` (10) per number in any 24 hours;
- at most :data:`PER_ADDRESS_PER_HOUR` (10) per client address in any hour;
- :data:`MAX_ATTEMPTS` (5) wrong tries burn the code.

A code is good for its purpose only (sign-up, sign-in, password reset, closing the account) and
once; only the newest code of a number and purpose counts, so sending a new one retires the old.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CodeLock, OneTimeCode, Purpose

CODE_DIGITS = 6
VALID_FOR = timedelta(minutes=5)
RESEND_SECONDS = 60
PER_NUMBER_PER_DAY = 10
PER_ADDRESS_PER_HOUR = 10
MAX_ATTEMPTS = 5


class CodeError(Exception):
    """A code could not be sent or was not accepted; ``str()`` is the translated reason."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooSoon(CodeError):
    pass


class TooMany(CodeError):
    pass


class BadCode(CodeError):
    pass


@dataclass(frozen=True)
class Issued:
    code: str  # in clear: only for the message that carries it
    row: OneTimeCode


def _digest(phone: str, purpose: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def seconds_until_resend(phone: str) -> int:
    """How long before another code may go to ``phone`` (0: now)."""
    last = OneTimeCode.objects.filter(phone=phone).order_by("-created_at").first()
    if last is None:
        return 0
    wait = RESEND_SECONDS - (timezone.now() - last.created_at).total_seconds()
    return max(0, int(wait + 0.999))


def _lock_number(phone: str) -> None:
    """Hold the number's lock row until the transaction ends (made on first use; a concurrent
    first use loses the unique race and then waits on the winner's row)."""
    if not _locked(phone):
        try:
            with transaction.atomic():
                CodeLock.objects.create(phone=phone)
        except IntegrityError:
            pass
        _locked(phone)


def _locked(phone: str) -> bool:
    return bool(list(CodeLock.objects.select_for_update().filter(phone=phone).values("pk")))


def issue(*, phone: str, purpose: Purpose | str, client_ip: str | None) -> Issued:
    """A new code for ``phone`` and ``purpose``, or :class:`TooSoon` / :class:`TooMany`."""
    purpose = Purpose(purpose)
    now = timezone.now()
    with transaction.atomic():
        _lock_number(phone)
        wait = seconds_until_resend(phone)
        if wait:
            raise TooSoon(
                _("验证码发送太频繁，请 %(seconds)d 秒后再试") % {"seconds": wait},
                retry_after=wait,
            )
        if (
            OneTimeCode.objects.filter(phone=phone, created_at__gt=now - timedelta(days=1)).count()
            >= PER_NUMBER_PER_DAY
        ):
            raise TooMany(_("该号码今天收到的验证码已达上限，请明天再试"), retry_after=24 * 3600)
        if (
            client_ip
            and OneTimeCode.objects.filter(
                client_ip=client_ip, created_at__gt=now - timedelta(hours=1)
            ).count()
            >= PER_ADDRESS_PER_HOUR
        ):
            raise TooMany(_("此网络发送的验证码过多，请一小时后再试"), retry_after=3600)
        code = _new_code()
        row = OneTimeCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_digest(phone, purpose, code),
            client_ip=client_ip or None,
            created_at=now,
            expires_at=now + VALID_FOR,
        )
    return Issued(code=code, row=row)


def check(*, phone: str, purpose: Purpose | str, code: str) -> OneTimeCode:
    """Accept ``code`` (and use it up) or raise :class:`BadCode`. A wrong try counts; the
    fifth burns the code. The comparison takes the same time whatever the digits."""
    purpose = Purpose(purpose)
    now = timezone.now()
    given = "".join((code or "").split())
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise BadCode(_("验证码无效或已过期，请重新获取"))
        if hmac.compare_digest(row.code_hash, _digest(phone, purpose, given)):
            OneTimeCode.objects.filter(pk=row.pk).update(used_at=now)
            row.used_at = now
            return row
        OneTimeCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        row.refresh_from_db(fields=["attempts"])
        if row.attempts >= MAX_ATTEMPTS:
            OneTimeCode.objects.filter(pk=row.pk).update(used_at=now)
    # outside the block: the wrong try is counted (committed) before the refusal
    if row.attempts >= MAX_ATTEMPTS:
        raise BadCode(_("验证码错误次数过多，已失效，请重新获取"))
    left = MAX_ATTEMPTS - row.attempts
    raise BadCode(_("验证码不正确，还可以再试 %(left)d 次") % {"left": left})
