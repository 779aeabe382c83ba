"""What every meeting page shares: the signed-in user, the community asked for, and the
meeting, agenda item or minutes named in the URL."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from meetings.models import AgendaItem, Meeting, Minutes
from projects.models import Community
from projects.selectors import communities_of


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _community(request: HttpRequest) -> Community | None:
    slug = request.GET.get("community") or ""
    mine = list(communities_of(request.user))
    if slug:
        return Community.objects.filter(slug=slug).first()
    return mine[0] if mine else Community.objects.order_by("pk").first()


def _meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting, pk=pk)


def _item(pk: int) -> AgendaItem:
    return get_object_or_404(AgendaItem.objects.select_related("meeting"), pk=pk)


def _minutes(pk: int) -> Minutes:
    return get_object_or_404(Minutes.objects.select_related("meeting"), meeting_id=pk)
