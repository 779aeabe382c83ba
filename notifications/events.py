"""Real-time events: published to channel-layer groups, only after the transaction commits.

Groups: ``user.<id>`` (personal), ``project.<id>`` (state, comments, tallies),
``screen.<community slug>`` (the public screen, 大屏). Only services call :func:`publish_on_commit`.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def screen_group(community_slug: str) -> str:
    return f"screen.{community_slug}"


def publish(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to every consumer in ``group`` now. Prefer :func:`publish_on_commit`."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "yishi.event", "event": event})
    except Exception:  # a dead broker must not break a committed write
        log.exception("could not publish to %s", group)


def publish_on_commit(group: str, event: dict[str, Any]) -> None:
    """Publish once the current transaction commits; a rollback sends nothing."""
    transaction.on_commit(lambda: publish(group, event))
