"""Writing notifications: stored in the inbox, pushed to each recipient's group after commit, and
emailed (off the request path, through django-tasks) to those who asked for email."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.events import publish_many, user_group
from notifications.kinds import KINDS
from notifications.models import LanguagePreference, Notification, NotificationPreference
from notifications.selectors import choices_for, chunks, languages_of, unread_counts
from notifications.texts import render

# The kind that says a project changed state.
STATE_CHANGE = "project.state"

# Notification ids per email task: a notice to a whole community becomes several small tasks.
EMAIL_BATCH = 100


def _active_ids(user_ids: list[int]) -> list[int]:
    active: list[int] = []
    for part in chunks(user_ids):
        active += (
            get_user_model()
            .objects.filter(pk__in=part, is_active=True)
            .values_list("pk", flat=True)
        )
    return sorted(active)


def notification_payload(n: Notification, language: str | None = None) -> dict[str, Any]:
    """What a live page receives: the text already in the recipient's language."""
    return {
        "id": n.pk,
        "kind": n.kind,
        "verb": n.text_in(language),
        "project_id": n.project_id,
        "project_title": n.project_title,
        "url": n.url,
        "created_at": n.created_at.isoformat() if n.created_at else None,
    }


def _push(created: list[Notification]) -> None:
    """After commit: each recipient gets the notification, written in their language, and their
    exact unread count."""
    recipients = sorted({n.recipient_id for n in created})
    counts = unread_counts(recipients)
    languages = languages_of(recipients)
    publish_many(
        (
            user_group(n.recipient_id),
            {
                "kind": "notification",
                "notification": notification_payload(n, languages[n.recipient_id]),
                "unread": counts.get(n.recipient_id, 0),
            },
        )
        for n in created
    )


def _enqueue_emails(ids: list[int]) -> None:
    from notifications.tasks import send_notification_emails

    for start in range(0, len(ids), EMAIL_BATCH):
        send_notification_emails.enqueue(notification_ids=ids[start : start + EMAIL_BATCH])


def _step_over(project_id: int, *, told: list[int]) -> None:
    """A project changed state. What was said about its previous step — a task, a vote to cast,
    a motion, an objection — no longer counts as unread, for anyone; an earlier state change no
    longer counts for those ``told`` of the new one. The rows stay in each inbox, read; the unread
    counts of open pages follow."""
    step_kinds = [code for code, k in KINDS.items() if k.of_a_step and code != STATE_CHANGE]
    stale = Notification.objects.filter(project_id=project_id, read_at__isnull=True).filter(
        Q(kind__in=step_kinds) | Q(kind=STATE_CHANGE, recipient_id__in=told)
    )
    users = sorted(set(stale.values_list("recipient_id", flat=True)))
    if not users:
        return
    stale.update(read_at=timezone.now())
    transaction.on_commit(lambda: _push_unread_many(users), robust=True)


def notify(
    *,
    recipients: Iterable[int | None],
    kind: str,
    params: Mapping[str, Any] | None = None,
    verb: str = "",
    actor: AbstractBaseUser | None = None,
    project_id: int | None = None,
    project_title: str = "",
    url: str = "",
) -> list[Notification]:
    """Store one notification per recipient who wants this kind (never the actor, never an
    inactive account); once the transaction commits, push each to its recipient's websocket group
    and enqueue the emails of those who asked for email. A rollback stores, sends and mails nothing.

    What happened is stored as the kind's ``params``; every reader sees it in their own language
    (``texts.py``). ``verb`` is only for a kind without a registered text. A ``project.state``
    notification also ends the unread life of what was said about the project's previous step
    (see ``_step_over``)."""
    with transaction.atomic():
        if kind == STATE_CHANGE and project_id is not None:
            told = sorted({int(r) for r in recipients if r is not None})
            _step_over(project_id, told=told)
            recipients = told
        return _store(
            recipients=recipients,
            kind=kind,
            params=dict(params) if params is not None else None,
            verb=verb,
            actor=actor,
            project_id=project_id,
            project_title=project_title,
            url=url,
        )


def _store(
    *,
    recipients: Iterable[int | None],
    kind: str,
    params: dict[str, Any] | None,
    verb: str,
    actor: AbstractBaseUser | None,
    project_id: int | None,
    project_title: str,
    url: str,
) -> list[Notification]:
    actor_id = actor.pk if actor is not None else None
    wanted = sorted({int(r) for r in recipients if r is not None} - {actor_id})
    if not wanted:
        return []
    ids = _active_ids(wanted)
    choices = choices_for(ids, kind)
    if params is not None:
        # The site's language, for the admin and anything that reads the column directly.
        verb = render(kind, params, fallback=verb, language=settings.LANGUAGE_CODE)
    rows = [
        Notification(
            recipient_id=uid,
            kind=kind,
            params=params,
            verb=verb[:300],
            actor_id=actor_id,
            project_id=project_id,
            project_title=project_title[:120],
            url=url[:300],
        )
        for uid in ids
        if choices[uid].receives
    ]
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows, batch_size=500)
    transaction.on_commit(lambda: _push(created), robust=True)
    to_mail = [n.pk for n in created if choices[n.recipient_id].by_email]
    if to_mail:
        transaction.on_commit(lambda: _enqueue_emails(to_mail), robust=True)
    return created


def _push_unread(user_id: int) -> None:
    _push_unread_many([user_id])


def _push_unread_many(user_ids: list[int]) -> None:
    counts = unread_counts(user_ids)
    publish_many(
        (user_group(uid), {"kind": "unread", "unread": counts.get(uid, 0)}) for uid in user_ids
    )


def language_preference_set(*, user: Any, language: str) -> LanguagePreference | None:
    """Remember the language a logged-in user chose: their emails and live notifications are
    written in it. A language the site does not offer is ignored."""
    if not getattr(user, "is_authenticated", False):
        return None
    if language not in {code for code, _name in settings.LANGUAGES}:
        return None
    pref, _created = LanguagePreference.objects.update_or_create(
        user_id=user.pk, defaults={"language": language}
    )
    return pref


def notification_mark_read(*, user: Any, notification_ids: Iterable[int]) -> int:
    """Mark the user's own notifications read (others' are left alone); returns how many changed.
    Every open page of the user gets the new unread count."""
    ids = [int(i) for i in notification_ids]
    with transaction.atomic():
        changed = Notification.objects.filter(
            recipient_id=user.pk, pk__in=ids, read_at__isnull=True
        ).update(read_at=timezone.now())
        if changed:
            transaction.on_commit(lambda: _push_unread(user.pk), robust=True)
    return changed


def notification_mark_all_read(*, user: Any) -> int:
    with transaction.atomic():
        changed = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            transaction.on_commit(lambda: _push_unread(user.pk), robust=True)
    return changed


def notification_preference_set(
    *, user: Any, kind: str, in_app: bool, email: bool
) -> NotificationPreference:
    """Record the user's choice for a registered kind; a mandatory kind stays received."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind: {kind}")
    info = KINDS[kind]
    pref, _created = NotificationPreference.objects.update_or_create(
        user_id=user.pk,
        kind=kind,
        defaults={"in_app": True if info.mandatory else bool(in_app), "email": bool(email)},
    )
    return pref
