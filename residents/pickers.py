"""Choosing several of a community's residents in a form (the acceptance representatives): the
search is ``residents.person_search.search`` with its residents-only scope, and
:class:`PersonPickerField` checks the ticked ids against the same scope
(``person_search.memberships_in``). Works without JavaScript: a GET search, then the results
are checkboxes in the POST form (``templates/residents/_person_picker.html``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from projects.models import Community
from residents import person_search


def _only(community: Community) -> Any:
    return Community.objects.filter(pk=community.pk)


def search_residents(
    community: Community, query: str, viewer: Any = None
) -> list[person_search.Found]:
    """The community's current residents matching ``query`` (name, address, phone digits)."""
    return person_search.search(
        viewer=viewer, communities=_only(community), q=query, residents_only=True
    )


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
        residents = person_search.memberships_in(_only(self.community), residents_only=True)
        users = list(
            User.objects.filter(pk__in=residents.filter(user_id__in=ids).values("user_id"))
        )
        if len(users) != len(set(ids)):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid")
        return users
