"""Picking a person on a staff page: search by name, phone (whole, masked as 138****1234, or a
part) or address, within the communities the page allows; each result shows the name, the phone
as the viewer may see it (``accounts.privacy`` decides) and the address. Works without
JavaScript: a GET search, then the chosen person's id is posted with the form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.privacy import display_name, phone_for
from projects.models import Community, Membership

LIMIT = 20
MIN_LENGTH = 1


@dataclass(frozen=True)
class Found:
    user: Any
    name: str
    phone: str
    address: str


@dataclass(frozen=True)
class PersonSearch:
    """What the ``residents/_person_search.html`` include shows."""

    q: str
    results: list[Found]
    searched: bool
    form_id: str
    field: str = "user"


def _phone_parts(q: str) -> list[str] | None:
    """``138****1234`` → ``["138", "1234"]``; ``1234`` → ``["1234"]``; not a phone: None."""
    compact = re.sub(r"[\s-]", "", q)
    if not re.fullmatch(r"\+?[\d*]+", compact) or not re.search(r"\d{3}", compact):
        return None
    return [p for p in re.split(r"\*+", compact.lstrip("+")) if p]


def memberships_in(communities: QuerySet[Community]) -> QuerySet[Membership]:
    return Membership.objects.current().filter(community__in=communities, user__is_active=True)


def _full_number(q: str) -> str | None:
    from django.core.exceptions import ValidationError

    from accounts.phones import normalize_phone

    if "*" in q:
        return None
    try:
        return normalize_phone(q)
    except ValidationError:
        return None


def search(
    *, viewer: Any, communities: QuerySet[Community], q: str, anyone_by_number: bool = False
) -> list[Found]:
    """People holding a current role in ``communities`` who match ``q`` (case-insensitive). With
    ``anyone_by_number``, a whole mobile number also finds a person outside them (a new member
    of staff who lives elsewhere): only the whole number, never a part or a name."""
    q = " ".join((q or "").split())[:60]
    if len(q) < MIN_LENGTH:
        return []
    parts = _phone_parts(q)
    match = (
        Q(user__first_name__icontains=q)
        | Q(user__last_name__icontains=q)
        | Q(user__username__iexact=q)
        | Q(household__icontains=q)
    )
    if parts:
        phone = Q()
        for part in parts:
            phone &= Q(user__phone__number__contains=part)
        match |= phone
    rows = (
        memberships_in(communities)
        .filter(match)
        .select_related("user__phone", "community")
        .order_by("user_id", "-household", "pk")
    )
    found: dict[int, Found] = {}
    for m in rows[: LIMIT * 4]:
        if m.user_id in found:
            continue
        assert m.community is not None
        address = f"{m.community.name} {m.household}".strip()
        found[m.user_id] = Found(
            user=m.user,
            name=display_name(m.user),
            phone=phone_for(viewer, m.user),
            address=address,
        )
        if len(found) >= LIMIT:
            break
    number = _full_number(q) if anyone_by_number else None
    if number and len(found) < LIMIT:
        user = (
            get_user_model()
            .objects.filter(phone__number=number, is_active=True)
            .select_related("phone")
            .first()
        )
        if user is not None and user.pk not in found:
            found[user.pk] = Found(
                user=user, name=display_name(user), phone=phone_for(viewer, user), address=""
            )
    return sorted(found.values(), key=lambda f: (f.name, f.user.pk))


def picker(
    request: Any,
    communities: QuerySet[Community],
    *,
    form_id: str,
    anyone_by_number: bool = False,
) -> PersonSearch:
    q = (request.GET.get("q") or "").strip()
    results = (
        search(viewer=request.user, communities=communities, q=q, anyone_by_number=anyone_by_number)
        if q
        else []
    )
    return PersonSearch(q=q, results=results, searched=bool(q), form_id=form_id)


def chosen(request: Any, communities: QuerySet[Community] | None, field: str = "user") -> Any:
    """The person posted in ``field`` (an id), if they are within ``communities`` (``None``: any
    active account, for a page that may find anyone by their whole number); else None."""
    raw = str(request.POST.get(field) or "")
    if not raw.isdigit():
        return None
    if (
        communities is not None
        and not memberships_in(communities).filter(user_id=int(raw)).exists()
    ):
        return None
    return get_user_model().objects.filter(pk=int(raw), is_active=True).first()
