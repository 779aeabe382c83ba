"""Every write of the accounts app: sending a code, signing up, signing in and resetting a
password by code, closing an account. Views parse input and call one of these."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import codes
from accounts.models import ClosedAccount, ClosedName, OneTimeCode, Phone, Purpose
from accounts.phones import normalize_phone
from accounts.privacy import name_digest
from residents.services import verify_from_register

log = logging.getLogger(__name__)
User = get_user_model()

CLOSED_PREFIX = "closed-"
CLOSED_NAME = "已注销用户"  # stored; shown translated by the ``person`` filter
STAFF_ROLES = ("clerk", "committee", "supervisor")
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"  # noqa: S105 (a class path)


class AccountError(Exception):
    """A refusal with a translated message for the person."""


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)


def user_by_phone(phone: str) -> Any | None:
    row = Phone.objects.select_related("user").filter(number=phone).first()
    if row is None or not row.user.is_active:
        return None
    return row.user


def is_closed(user: Any) -> bool:
    return (
        user is not None
        and not getattr(user, "is_active", True)
        and str(getattr(user, "username", "")).startswith(CLOSED_PREFIX)
    )


def holds_staff_role(user: Any) -> bool:
    from projects.models import Membership

    return Membership.objects.filter(user_id=user.pk, role__in=STAFF_ROLES).exists()


def _enqueue_sms(phone: str, code: str, purpose: str) -> None:
    from accounts.tasks import send_code_sms

    language = translation.get_language() or "zh-hans"
    transaction.on_commit(
        lambda: send_code_sms.enqueue(to=phone, code=code, purpose=purpose, language=language),
        robust=True,
    )


def code_send(*, phone: str, purpose: Purpose | str, request: HttpRequest | None) -> str:
    """Text a new code for ``purpose`` to ``phone`` (as typed); returns the number in E.164.

    Sign-up needs a number not yet registered; the other purposes one that is."""
    purpose = Purpose(purpose)
    number = normalize_phone(phone)
    owner = user_by_phone(number)
    taken = Phone.objects.filter(number=number).exists()
    if purpose == Purpose.SIGNUP and taken:
        raise AccountError(_("该手机号已注册，请直接用验证码登录"))
    if purpose != Purpose.SIGNUP and owner is None:
        raise AccountError(_("该手机号尚未注册"))
    code_send_to(phone=number, purpose=purpose, request=request)
    return number


def code_send_to(*, phone: str, purpose: Purpose | str, request: HttpRequest | None) -> None:
    """Text a new code to a number already known to be right (E.164): the staff's second step,
    confirming a closure. Raises ``CodeError`` when a limit is reached."""
    with transaction.atomic():
        issued = codes.issue(phone=phone, purpose=purpose, client_ip=client_ip(request))
        _enqueue_sms(phone, issued.code, Purpose(purpose))


def _check_password(password: str, user: Any) -> None:
    if password:
        password_validation.validate_password(password, user)


def account_signup(
    *, phone: str, code: str, display_name: str, password: str = "", community: str = ""
) -> Any:
    """A new account for the owner of ``phone`` (E.164) once ``code`` is right. The password is
    optional (without one they sign in by code). Residents whose number is in a community's
    household register are verified at once (``residents.services.verify_from_register``)."""
    name = " ".join((display_name or "").split())
    if not name:
        raise AccountError(_("请填写称呼"))
    if len(name) > 30:
        raise AccountError(_("称呼最多 30 个字"))
    candidate = User(username="new", first_name=name)
    try:
        _check_password(password, candidate)
    except ValidationError as e:
        raise AccountError(" ".join(e.messages)) from None
    if Phone.objects.filter(number=phone).exists():
        raise AccountError(_("该手机号已注册，请直接用验证码登录"))
    codes.check(phone=phone, purpose=Purpose.SIGNUP, code=code)
    try:
        with transaction.atomic():
            user = User(username=f"u{secrets.token_hex(6)}", first_name=name)
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.full_clean(exclude=["password"])
            user.save()
            Phone.objects.create(user=user, number=phone)
            verify_from_register(user)  # a number in a household register: a resident at once
    except IntegrityError:
        raise AccountError(_("该手机号已注册，请直接用验证码登录")) from None
    return user


def account_signin_by_code(*, phone: str, code: str) -> Any:
    user = user_by_phone(phone)
    if user is None:
        raise AccountError(_("该手机号尚未注册"))
    codes.check(phone=phone, purpose=Purpose.SIGNIN, code=code)
    return user


def account_reset_password(*, phone: str, code: str, password: str) -> Any:
    user = user_by_phone(phone)
    if user is None:
        raise AccountError(_("该手机号尚未注册"))
    if not password:
        raise AccountError(_("请设置新密码"))
    try:
        _check_password(password, user)
    except ValidationError as e:
        raise AccountError(" ".join(e.messages)) from None
    codes.check(phone=phone, purpose=Purpose.RESET, code=code)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def confirm_closure(*, user: Any, password: str = "", code: str = "") -> None:
    """The owner proves it is them: their password, or a code sent to their number."""
    if password:
        if user.has_usable_password() and user.check_password(password):
            return
        raise AccountError(_("密码不正确"))
    phone = getattr(getattr(user, "phone", None), "number", "")
    if code and phone:
        codes.check(phone=phone, purpose=Purpose.CLOSE, code=code)
        return
    raise AccountError(_("请输入密码或验证码以确认注销"))


@transaction.atomic
def _forget_name_in_notifications(user: Any) -> None:
    """Notifications others received about this person may carry their name as a parameter
    (a declaration in a clerk's inbox): it becomes 已注销用户 (the text is rendered from the
    parameters when read)."""
    from notifications.models import Notification

    for n in Notification.objects.filter(actor_id=user.pk, params__has_key="name"):
        assert isinstance(n.params, dict)
        n.params = n.params | {"name": CLOSED_NAME}
        n.save(update_fields=["params"])


def account_close(*, user: Any) -> None:
    """Close ``user``'s account for good.

    Erased: name, email, username (a placeholder), phone number and its codes, password
    (unusable: every session ends, since a session is bound to the password hash), API tokens,
    notifications, preferences, follows and memberships (their history stays in the role
    history). Kept, under 已注销用户: projects proposed, comments, objections, co-signs,
    committee votes and the audit trail (append-only, hash-chained: not rewritten). Ballots
    stay counted and secret: only the participation rows (never the choice) point at the
    account, as before."""
    from notifications.models import LanguagePreference, Notification, NotificationPreference
    from projects.models import Membership, ProjectFollower, UserPreference

    phone = getattr(getattr(user, "phone", None), "number", "")
    if phone:
        OneTimeCode.objects.filter(phone=phone).delete()
    Phone.objects.filter(user_id=user.pk).delete()
    Notification.objects.filter(recipient_id=user.pk).delete()
    _forget_name_in_notifications(user)
    NotificationPreference.objects.filter(user_id=user.pk).delete()
    LanguagePreference.objects.filter(user_id=user.pk).delete()
    UserPreference.objects.filter(user_id=user.pk).delete()
    ProjectFollower.objects.filter(user_id=user.pk).delete()
    Membership.objects.filter(user_id=user.pk).delete()
    try:
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user_id=user.pk).delete()
    except ImportError:  # pragma: no cover - DRF's token app is installed
        pass
    old_names = {str(user.get_full_name() or "").strip(), str(user.username or "").strip()}
    user.username = f"{CLOSED_PREFIX}{secrets.token_hex(8)}"
    user.first_name = CLOSED_NAME
    user.last_name = ""
    user.email = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    closure = ClosedAccount.objects.create(user=user, closed_at=timezone.now())
    ClosedName.objects.bulk_create(
        [ClosedName(account=closure, digest=name_digest(n)) for n in sorted(old_names) if n]
    )
    _end_sessions(user.pk)


def _end_sessions(user_id: int) -> None:
    """Delete the account's stored sessions (the password change already voids them)."""
    from django.contrib.sessions.models import Session

    now = timezone.now()
    for s in Session.objects.filter(expire_date__gt=now).iterator():
        if str(s.get_decoded().get("_auth_user_id")) == str(user_id):
            s.delete()
