"""Picking a person by who they are, not by their username — the one search behind every person
picker (the staff-roles and unit pages here; the acceptance representatives through
``residents.pickers``): by name, phone (whole, masked as 138****1234, or a part) or address
(the household, or the building / unit / room of an approved declaration), within the
communities the page allows, optionally only their current residents. Each result shows the
name (``accounts.privacy.display_name``), the phone as the viewer may see it
(``accounts.privacy.phone_for``) and the address. Works without JavaScript: a GET search, then
the chosen person's id is posted with the form."""

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


_ADDRESS_MARKS = re.compile(r"[栋幢座单元号室楼\-\s#]")


def memberships_in(
    communities: QuerySet[Community], *, residents_only: bool = False
) -> QuerySet[Membership]:
    """The current memberships (of residents only, with ``residents_only``) of active accounts in
    ``communities``: who a picker may find and who a posted choice is checked against."""
    rows = Membership.objects.residents() if residents_only else Membership.objects.current()
    return rows.filter(community__in=communities, user__is_active=True)


def _declared(communities: QuerySet[Community], user_ids: list[int]) -> dict[tuple[int, int], str]:
    """(user, community) → the address of their latest approved declaration there."""
    from residents.models import Declaration, address_text

    rows = (
        Declaration.objects.filter(
            community__in=communities, user_id__in=user_ids, status=Declaration.Status.APPROVED
        )
        .order_by("user_id", "community_id", "-decided_at", "-pk")
        .values_list("user_id", "community_id", "building", "unit", "room")
    )
    out: dict[tuple[int, int], str] = {}
    for uid, cid, building, unit, room in rows:
        out.setdefault((uid, cid), address_text(building, unit, room))
    return out


def _address_match(communities: QuerySet[Community], q: str) -> Q:
    """People whose approved declaration's address holds ``q`` (``3栋2单元502``, ``502``)."""
    from django.db.models.functions import Concat

    from residents.models import Declaration

    key = _ADDRESS_MARKS.sub("", q)
    if not key:
        return Q(pk__in=[])
    declared = (
        Declaration.objects.filter(community__in=communities, status=Declaration.Status.APPROVED)
        .annotate(key=Concat("building", "unit", "room"))
        .filter(Q(key__icontains=key) | Q(room__iexact=key))
        .values("user_id")
    )
    return Q(user_id__in=declared)


def _full_number(q: str) -> str | None:
    from django.core.exceptions import ValidationError

    from accounts.phones import normalize_phone

    if "*" in q:
        return None
    try:
        return normalize_phone(q)
    except ValidationError:
        return None


def _match(communities: QuerySet[Community], q: str) -> Q:
    """Memberships whose person matches ``q``: by name, username, household, address or phone."""
    match = (
        Q(user__first_name__icontains=q)
        | Q(user__last_name__icontains=q)
        | Q(user__username__iexact=q)
        | Q(household__icontains=q)
        | _address_match(communities, q)
    )
    parts = _phone_parts(q)
    if parts:
        phone = Q()
        for part in parts:
            phone &= Q(user__phone__number__contains=part)
        match |= phone
    return match


def _found_members(
    viewer: Any, communities: QuerySet[Community], q: str, residents_only: bool
) -> dict[int, Found]:
    """The people matching ``q`` within ``communities`` (one result each, at most ``LIMIT``)."""
    rows = (
        memberships_in(communities, residents_only=residents_only)
        .filter(_match(communities, q))
        .select_related("user__phone", "community")
        .order_by("user_id", "-household", "pk")
    )
    found: dict[int, Found] = {}
    rows_seen = list(rows[: LIMIT * 4])
    declared = _declared(communities, [m.user_id for m in rows_seen])
    several = len({m.community_id for m in rows_seen}) > 1
    for m in rows_seen:
        if m.user_id in found:
            continue
        assert m.community is not None
        address = declared.get((m.user_id, m.community.pk)) or m.household
        if several:  # which community, when the results span more than one
            address = f"{m.community.name} {address}".strip()
        found[m.user_id] = Found(
            user=m.user,
            name=display_name(m.user),
            phone=phone_for(viewer, m.user),
            address=address,
        )
        if len(found) >= LIMIT:
            break
    return found


def _add_by_number(found: dict[int, Found], viewer: Any, q: str) -> None:
    """Add the active account signed up with ``q`` as a whole number, while there is room."""
    number = _full_number(q)
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


def search(
    *,
    viewer: Any,
    communities: QuerySet[Community],
    q: str,
    anyone_by_number: bool = False,
    residents_only: bool = False,
) -> list[Found]:
    """People holding a current role (a resident's, with ``residents_only``) in ``communities``
    who match ``q`` (case-insensitive), at most 20. With ``anyone_by_number``, a whole mobile
    number also finds a person outside them (a new member of staff who lives elsewhere): only
    the whole number, never a part or a name."""
    q = " ".join((q or "").split())[:60]
    if len(q) < MIN_LENGTH:
        return []
    found = _found_members(viewer, communities, q, residents_only)
    if anyone_by_number:
        _add_by_number(found, viewer, q)
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
