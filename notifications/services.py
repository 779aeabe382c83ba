"""Writing notifications: stored in the inbox, pushed to each recipient's group after commit, and
emailed (off the request path, through django-tasks) to those who asked for email."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from notifications.events import publish_many, user_group
from notifications.kinds import KINDS
from notifications.models import Notification, NotificationPreference
from notifications.selectors import choices_for, chunks, unread_counts

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


def notification_payload(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "verb": n.verb,
        "project_id": n.project_id,
        "project_title": n.project_title,
        "url": n.url,
        "created_at": n.created_at.isoformat() if n.created_at else None,
    }


def _push(created: list[Notification]) -> None:
    """After commit: each recipient gets the notification and their exact unread count."""
    counts = unread_counts(sorted({n.recipient_id for n in created}))
    publish_many(
        (
            user_group(n.recipient_id),
            {
                "kind": "notification",
                "notification": notification_payload(n),
                "unread": counts.get(n.recipient_id, 0),
            },
        )
        for n in created
    )


def _enqueue_emails(ids: list[int]) -> None:
    from notifications.tasks import send_notification_emails

    for start in range(0, len(ids), EMAIL_BATCH):
        send_notification_emails.enqueue(notification_ids=ids[start : start + EMAIL_BATCH])


def notify(
    *,
    recipients: Iterable[int | None],
    kind: str,
    verb: str,
    actor: AbstractBaseUser | None = None,
    project_id: int | None = None,
    project_title: str = "",
    url: str = "",
) -> list[Notification]:
    """Store one notification per recipient who wants this kind (never the actor, never an
    inactive account); once the transaction commits, push each to its recipient's websocket group
    and enqueue the emails of those who asked for email. A rollback stores, sends and mails nothing."""
    actor_id = actor.pk if actor is not None else None
    wanted = sorted({int(r) for r in recipients if r is not None} - {actor_id})
    if not wanted:
        return []
    ids = _active_ids(wanted)
    choices = choices_for(ids, kind)
    rows = [
        Notification(
            recipient_id=uid,
            kind=kind,
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
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows, batch_size=500)
        transaction.on_commit(lambda: _push(created), robust=True)
        to_mail = [n.pk for n in created if choices[n.recipient_id].by_email]
        if to_mail:
            transaction.on_commit(lambda: _enqueue_emails(to_mail), robust=True)
    return created


def _push_unread(user_id: int) -> None:
    count = unread_counts([user_id])[user_id]
    publish_many([(user_group(user_id), {"kind": "unread", "unread": count})])


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
