"""Real-time events: published to channel-layer groups, only after the transaction commits.

Groups: ``user.<id>`` (personal), ``project.<id>`` (state, comments, tallies),
``screen.<community slug>`` (the public screen, 大屏). Only services call :func:`publish_on_commit`
(or :func:`publish_many_on_commit`, or :func:`publish_fresh_on_commit` for snapshots such as a
live tally); a rolled-back transaction sends nothing.

Every event is a JSON object with a ``kind``; the publisher adds ``published_at`` (Unix seconds,
taken right after the commit) so clients can order events and measure how late they are. The JSON
text is built once here, not once per connected client; each server process receives it once and
hands it to its own sockets (``notifications.hub``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from notifications import publisher
from notifications.publisher import Message

log = logging.getLogger(__name__)

# Concurrent group sends per batch (a notification to every resident of a community is one
# group send per resident); well below channels-redis' pool of 100 connections per process.
SEND_BATCH = 32


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
    receiving process's hub (``notifications.hub``) to hand the text to its local sockets.
    ``published_at`` defaults to now."""
    at = time.time() if published_at is None else published_at
    stamped = {**event, "published_at": round(at, 6)}
    return {
        "type": "yishi.event",
        "group": group,
        "text": json.dumps(stamped, ensure_ascii=False, default=str),
    }


async def _send_all(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    for start in range(0, len(messages), SEND_BATCH):
        batch = messages[start : start + SEND_BATCH]
        results = await asyncio.gather(
            *(layer.group_send(group, message) for group, message in batch),
            return_exceptions=True,
        )
        for (group, _message), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                log.error("could not publish to %s", group, exc_info=result)


async def _claim(layer: Any, key: str, seconds: float) -> float | None:
    """Claim ``key``'s interval of ``seconds`` for this process in the layer's Redis (shared
    by every server process): ``None`` if claimed, else the seconds left of another's claim."""
    name = f"{layer.prefix}:yishi:fresh:{key}"
    redis = layer.connection(layer.consistent_hash(name))
    if await redis.set(name, b"1", nx=True, px=max(1, round(seconds * 1000))):
        return None
    left = await redis.pttl(name)
    return max(0, left) / 1000  # gone meanwhile (-2): claim again at once


def publish_many(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Send each ``(group, event)`` now. Prefer :func:`publish_many_on_commit`.

    To a broker (Redis) through this process's background publisher, which keeps its connection
    and does not hold up the caller; to the in-memory layer (one process) directly. A dead broker
    is logged, never raised: the write that caused the event has committed."""
    layer = get_channel_layer()
    if layer is None:
        return
    # Stamped and serialised here, right after the commit, before waiting for the event loop.
    pending = _layer_messages(messages)
    if not pending:
        return
    if not isinstance(layer, InMemoryChannelLayer):
        publisher.get(partial(_send_all, layer)).send(pending)
        return
    _send_here(layer, pending)


def _layer_messages(messages: Iterable[tuple[str, dict[str, Any]]]) -> list[Message]:
    at = time.time()
    return [(group, layer_message(group, event, at)) for group, event in messages]


def _send_here(layer: Any, pending: list[Message]) -> None:
    try:
        async_to_sync(_send_all)(layer, pending)
    except Exception:
        log.exception("could not publish %d event(s)", len(pending))


def publish_fresh(key: str, read: Callable[[], list[tuple[str, dict[str, Any]]]]) -> None:
    """Send a snapshot (a live tally) that ``read`` takes of the current state, as
    ``(group, event)`` pairs, and that supersedes earlier ones with the same ``key``. Through a
    broker ``read`` runs when the snapshot is sent, about once per ``publisher.THROTTLE`` seconds
    per key whichever process serves the calls (the interval is claimed in Redis,
    :func:`_claim`) and always once after the last call; with the in-memory layer, now. Prefer
    :func:`publish_fresh_on_commit`."""
    layer = get_channel_layer()
    if layer is None:
        return
    if not isinstance(layer, InMemoryChannelLayer):
        claim = partial(_claim, layer) if hasattr(layer, "connection") else None
        publisher.get(partial(_send_all, layer), claim).send_fresh(
            key, lambda: _layer_messages(read())
        )
        return
    try:
        pending = _layer_messages(read())
    except Exception:
        log.exception("could not read snapshot %s", key)
        return
    _send_here(layer, pending)


def publish(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to every consumer in ``group`` now. Prefer :func:`publish_on_commit`."""
    publish_many([(group, event)])


def publish_on_commit(group: str, event: dict[str, Any]) -> None:
    """Publish once the current transaction commits; a rollback sends nothing."""
    transaction.on_commit(lambda: publish(group, event), robust=True)


def publish_many_on_commit(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    pending = list(messages)
    if pending:
        transaction.on_commit(lambda: publish_many(pending), robust=True)


def publish_fresh_on_commit(key: str, read: Callable[[], list[tuple[str, dict[str, Any]]]]) -> None:
    """:func:`publish_fresh` once the current transaction commits (so the snapshot includes it);
    a rollback sends nothing."""
    transaction.on_commit(lambda: publish_fresh(key, read), robust=True)
