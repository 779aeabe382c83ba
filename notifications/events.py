"""Real-time events: published to channel-layer groups, only after the transaction commits.

Groups: ``user.<id>`` (personal), ``project.<id>`` (state, comments, tallies),
``screen.<community slug>`` (the public screen, 大屏). Only services call :func:`publish_on_commit`;
a rolled-back transaction sends nothing. Sending is the channel layer's own ``group_send``
through ``async_to_sync``: on the caller's thread, one message after another, so a burst of
events never needs more than one broker connection at a time and a slow broker slows the caller
rather than losing events. A dead broker is logged, never raised: the write has committed.

Every event is a JSON object with a ``kind``; :func:`layer_message` adds ``published_at`` (Unix
seconds, taken right after the commit) so clients can order events and measure how late they
are. The JSON text is built once here, not once per connected client; each server process
receives it once and hands it to its own sockets (``notifications.hub``).

A snapshot event ("tally changed") needs only its kind and the id its snapshot is read by, e.g.
``{"kind": "evaluation.tally", "project_id": 7}``: each process's hub reads the snapshot through
the function registered for that kind (``notifications.snapshots``) and sends that instead, so
what a socket hears is always the same public read, whatever the event carried.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

Message = tuple[str, dict[str, Any]]  # (group, channel-layer message)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def screen_group(community_slug: str) -> str:
    return f"screen.{community_slug}"


def layer_message(
    group: str, event: dict[str, Any], published_at: float | None = None
) -> dict[str, Any]:
    """The channel-layer message for ``event`` to ``group``: the group travels with it, for the
    receiving process's hub (``notifications.hub``) to hand the text to its local sockets, and
    the kind, for the hub to tell a snapshot event from the rest without parsing the text.
    ``published_at`` defaults to now."""
    at = time.time() if published_at is None else published_at
    stamped = {**event, "published_at": round(at, 6)}
    return {
        "type": "yishi.event",
        "group": group,
        "kind": str(event.get("kind", "")),
        "text": json.dumps(stamped, ensure_ascii=False, default=str),
    }


async def _send_all(layer: Any, messages: list[Message]) -> None:
    for group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception:
            log.exception("could not publish to %s", group)


def publish_many(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Send each ``(group, event)`` now, in order. Called after a commit (a notification's
    push); prefer :func:`publish_on_commit` in services."""
    layer = get_channel_layer()
    if layer is None:
        return
    at = time.time()  # stamped right after the commit, before any send
    pending = [(group, layer_message(group, event, at)) for group, event in messages]
    if not pending:
        return
    try:
        async_to_sync(_send_all)(layer, pending)
    except Exception:
        log.exception("could not publish %d event(s)", len(pending))


def publish(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to every consumer in ``group`` now. Prefer :func:`publish_on_commit`."""
    publish_many([(group, event)])


def publish_on_commit(group: str | Iterable[str], event: dict[str, Any]) -> None:
    """Publish ``event`` to ``group`` (or to each of several groups, in one send) once the
    current transaction commits; a rollback sends nothing."""
    groups = [group] if isinstance(group, str) else list(group)
    transaction.on_commit(lambda: publish_many((g, event) for g in groups), robust=True)
