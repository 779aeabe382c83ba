"""Reads with rules: unread counts and what each user wants to receive."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from notifications.kinds import KINDS, Kind, kind_info
from notifications.models import LanguagePreference, Notification, NotificationPreference
from notifications.texts import supported

# Keep IN (...) lists below SQLite's bound-parameter limit.
CHUNK = 500


def chunks(ids: list[int], size: int = CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def inbox_of(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).select_related("actor")


def unread_count(user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def unread_counts(user_ids: list[int]) -> dict[int, int]:
    """Unread notifications per user, for many users in few queries."""
    counts: dict[int, int] = dict.fromkeys(user_ids, 0)
    for part in chunks(user_ids):
        rows = (
            Notification.objects.filter(recipient_id__in=part, read_at__isnull=True)
            .values("recipient_id")
            .annotate(n=Count("id"))
            .values_list("recipient_id", "n")
        )
        counts.update(dict(rows))
    return counts


@dataclass(frozen=True)
class Choice:
    """What one user wants for one kind, defaults applied."""

    kind: Kind
    in_app: bool
    email: bool

    @property
    def receives(self) -> bool:
        return self.kind.mandatory or self.in_app

    @property
    def by_email(self) -> bool:
        return self.receives and self.email


def _choice(kind: Kind, pref: NotificationPreference | None) -> Choice:
    if pref is None:
        return Choice(kind=kind, in_app=True, email=kind.email)
    return Choice(kind=kind, in_app=kind.mandatory or pref.in_app, email=pref.email)


def choices_for(user_ids: list[int], kind: str) -> dict[int, Choice]:
    """Each user's choice for ``kind`` (one query per 500 users)."""
    info = kind_info(kind)
    prefs: dict[int, NotificationPreference] = {}
    for part in chunks(user_ids):
        prefs.update(
            {
                p.user_id: p
                for p in NotificationPreference.objects.filter(user_id__in=part, kind=kind)
            }
        )
    return {uid: _choice(info, prefs.get(uid)) for uid in user_ids}


def preferences_of(user: Any) -> list[Choice]:
    """Every registered kind with this user's choice, in the registry's order."""
    prefs = {p.kind: p for p in NotificationPreference.objects.filter(user_id=user.pk)}
    return [_choice(kind, prefs.get(code)) for code, kind in KINDS.items()]


def language_of(user: Any) -> str | None:
    """The language the user chose while logged in, if any."""
    if user is None or not user.is_authenticated:
        return None
    return (
        LanguagePreference.objects.filter(user_id=user.pk)
        .values_list("language", flat=True)
        .first()
    )


def languages_of(user_ids: list[int]) -> dict[int, str]:
    """The language each user reads in (the site's default for those who never chose)."""
    found: dict[int, str] = {}
    for part in chunks(user_ids):
        found.update(
            LanguagePreference.objects.filter(user_id__in=part).values_list("user_id", "language")
        )
    return {uid: supported(found.get(uid)) for uid in user_ids}
