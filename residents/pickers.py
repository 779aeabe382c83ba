"""Choosing a person by who they are, not by their username: a search over the community's
current (verified) residents by name, address (building / unit / room) or the last digits of their
phone, each shown as name + masked phone + address. Works without JavaScript: a GET search, then
the results are checkboxes / radios in the POST form (``templates/residents/_person_picker.html``).

``search_residents`` is the one query; :class:`PersonPickerField` validates the chosen ids against
the same rule (a current resident of the community)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _

from accounts.privacy import mask_phone
from projects.models import Community, Membership
from residents.models import Declaration, address_text

MAX_RESULTS = 20
_ADDRESS_MARKS = re.compile(r"[栋幢座单元号室楼\-\s#]")


@dataclass(frozen=True)
class PickedPerson:
    id: int
    name: str
    phone: str  # always masked: 138****1234
    address: str


def residents_of(community: Community) -> QuerySet[User]:
    """The community's current, verified residents (a resident membership not ended)."""
    ids = Membership.objects.residents().filter(community=community).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True)


def _addresses(community: Community, user_ids: list[int]) -> dict[int, str]:
    rows = (
        Declaration.objects.filter(
            community=community, user_id__in=user_ids, status=Declaration.Status.APPROVED
        )
        .order_by("user_id", "-decided_at", "-pk")
        .values_list("user_id", "building", "unit", "room")
    )
    out: dict[int, str] = {}
    for uid, building, unit, room in rows:
        out.setdefault(uid, address_text(building, unit, room))
    return out


def _phone(user: User) -> str:
    return getattr(getattr(user, "phone", None), "number", "") or ""


def describe(community: Community, users: Sequence[User]) -> list[PickedPerson]:
    addresses = _addresses(community, [u.pk for u in users])
    out = []
    for u in users:
        phone = _phone(u)
        out.append(
            PickedPerson(
                id=u.pk,
                name=u.get_full_name() or u.username,
                phone=mask_phone(phone),
                address=addresses.get(u.pk, ""),
            )
        )
    return out


def search_residents(community: Community, query: str) -> list[PickedPerson]:
    """Residents whose name, address or phone's last digits match ``query`` (at most 20);
    nothing for an empty query."""
    q = (query or "").strip()[:60]
    if not q:
        return []
    people = residents_of(community).annotate(
        full=Concat("last_name", "first_name"),
        full_en=Concat("first_name", Value(" "), "last_name"),
    )
    match = Q(full__icontains=q) | Q(full_en__icontains=q) | Q(username__iexact=q)
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 4 and len(digits) == len(q.replace("*", "")):  # 1234 or 138****1234
        match |= Q(phone__number__endswith=digits[-4:])
    key = _ADDRESS_MARKS.sub("", q)
    if key:
        addressed = (
            Declaration.objects.filter(community=community, status=Declaration.Status.APPROVED)
            .annotate(key=Concat("building", "unit", "room"))
            .filter(Q(key__icontains=key) | Q(room__iexact=key))
            .values("user_id")
        )
        match |= Q(pk__in=addressed)
    found = list(
        people.filter(match)
        .select_related("phone")
        .order_by("last_name", "first_name", "pk")[:MAX_RESULTS]
    )
    head = re.sub(r"\D", "", q.split("*", 1)[0]) if "*" in q else ""
    if head:  # a masked number typed as shown (138****1234): its first digits must agree too
        found = [u for u in found if mask_phone(_phone(u)).startswith(head) or not _phone(u)]
    return describe(community, found)


class PersonPickerField(forms.TypedMultipleChoiceField):
    """The chosen people (user ids) from the picker's checkboxes: each must be a current
    resident of ``community``. Returns the ``User`` rows."""

    default_error_messages = {
        "invalid_choice": _("请选择本社区登记居民"),
        "required": _("请先搜索并选择居民"),
    }

    def __init__(self, *, community: Community | None = None, **kwargs: Any) -> None:
        self.community = community
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)

    def valid_value(self, value: Any) -> bool:  # any id; ``clean`` checks residency
        return True

    def clean(self, value: Any) -> list[User]:
        ids = super().clean(value)
        if self.community is None:
            return []
        users = list(residents_of(self.community).filter(pk__in=ids))
        if len(users) != len(set(ids)):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid")
        return users
