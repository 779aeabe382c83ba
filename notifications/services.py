"""Writing notifications: stored in the inbox and pushed to the user's group on commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from notifications.events import publish_on_commit, user_group
from notifications.models import Notification


def notify(
    *,
    recipients: Iterable[int],
    kind: str,
    verb: str,
    actor: AbstractBaseUser | None = None,
    project_id: int | None = None,
    project_title: str = "",
    url: str = "",
) -> list[Notification]:
    """Store one notification per recipient (skipping the actor) and push each on commit."""
    actor_id = actor.pk if actor is not None else None
    rows = [
        Notification(
            recipient_id=rid,
            kind=kind,
            verb=verb,
            actor_id=actor_id,
            project_id=project_id,
            project_title=project_title[:120],
            url=url,
        )
        for rid in sorted(set(recipients))
        if rid != actor_id
    ]
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
    for n in created:
        publish_on_commit(
            user_group(n.recipient_id),
            {
                "kind": "notification",
                "notification": {
                    "kind": kind,
                    "verb": verb,
                    "project_id": project_id,
                    "url": url,
                },
            },
        )
    return created
