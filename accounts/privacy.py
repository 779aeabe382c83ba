"""Who sees a phone number whole: one function decides (:func:`may_see_phone`).

The owner sees their own number; so does the clerk (社区服务中心) of a community where the owner
lives, holds a role or waits for verification (a pending declaration), who verifies residents; a superuser too. Everyone else sees it masked:
``138****1234``."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.phones import national_digits


def mask_phone(number: str | None) -> str:
    """``+8613812341234`` or ``13812341234`` → ``138****1234``; short or empty input masked whole."""
    if not number:
        return ""
    digits = national_digits(number) if number.startswith("+") else number
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def display_name(user: Any) -> str:
    """A person's name as shown to others, on every page and in every API answer: a closed
    account is 已注销用户 (translated), whatever its rows still hold."""
    if user is None:
        return ""
    from django.utils.translation import gettext as _

    from accounts.services import is_closed

    if is_closed(user):
        return _("已注销用户")
    return str(user.get_full_name() or user.get_username())


def person_json(user: Any) -> dict[str, Any] | None:
    """A person in an API answer: id, username (empty once the account is closed) and name."""
    if user is None:
        return None
    from accounts.services import is_closed

    closed = is_closed(user)
    return {
        "id": user.pk,
        "username": "" if closed else user.get_username(),
        "name": display_name(user),
    }


def name_digest(name: str) -> str:
    import hashlib
    import hmac

    from django.conf import settings

    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"name:{name.strip()}".encode(), hashlib.sha256).hexdigest()


def shown_name(value: Any) -> Any:
    """A name stored in a record's parameters as it is shown: 已注销用户 if it was the name of an
    account since closed (several names joined by 、 are read one by one)."""
    if not isinstance(value, str) or not value.strip():
        return value
    from django.utils.translation import gettext as _

    from accounts.models import ClosedName

    parts = value.split("、")
    closed = set(
        ClosedName.objects.filter(digest__in=[name_digest(p) for p in parts]).values_list(
            "digest", flat=True
        )
    )
    if not closed:
        return value
    return "、".join(_("已注销用户") if name_digest(p) in closed else p for p in parts)


NAME_PARAMS = ("member", "names")  # parameters of stored texts that hold people's names


def shown_params(params: Any) -> Any:
    """A record's parameters as shown (in an API answer): names of closed accounts read
    已注销用户."""
    if not isinstance(params, dict) or not any(k in params for k in NAME_PARAMS):
        return params
    return {k: shown_name(v) if k in NAME_PARAMS else v for k, v in params.items()}


def may_see_phone(viewer: Any, owner: Any) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.pk == owner.pk or viewer.is_superuser:
        return True
    from projects.models import Membership, Role

    owner_communities = Membership.objects.filter(user_id=owner.pk, community__isnull=False).values(
        "community_id"
    )
    from residents.models import Declaration

    declared = Declaration.objects.filter(
        user_id=owner.pk, status=Declaration.Status.PENDING
    ).values("community_id")
    return (
        Membership.objects.current()
        .filter(user_id=viewer.pk, role=Role.CLERK)
        .filter(Q(community_id__in=owner_communities) | Q(community_id__in=declared))
        .exists()
    )


def phone_for(viewer: Any, owner: Any) -> str:
    """``owner``'s number as ``viewer`` may see it (E.164 whole, or masked; "" if none)."""
    phone = getattr(owner, "phone", None) if owner is not None else None
    number = getattr(phone, "number", "") if phone is not None else ""
    if not number:
        return ""
    if may_see_phone(viewer, owner):
        return str(number)
    return mask_phone(number)
