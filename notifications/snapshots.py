"""Snapshot events: "something changed, read it again", answered with a read cached for a second.

A service that changes a public count (a live tally) publishes a small event naming what
changed, e.g. ``{"kind": "evaluation.tally", "project_id": 7}``. The hub of each server process
(``notifications.hub``) then reads the snapshot with the function registered here for the kind
and sends that to its sockets. Apps register their readers in ``AppConfig.ready`` (notifications
imports no app above it: deliberation registers the evaluation tally and the budget standings).

A read is cached for :data:`CACHE_SECONDS` in Django's cache (Redis when ``REDIS_URL`` is set, so
every process shares it). A cached read is used only if it started after the event was
published, hence after the commit that caused it: the last snapshot a socket gets after a burst
counts every change of the burst, while many processes (and the project page and the screen,
which both hear the same change) share one read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import close_old_connections

CACHE_SECONDS = 1.0

# Reads the public event for one id, or ``None`` if there is nothing public to show.
Reader = Callable[[int], dict[str, Any] | None]


@dataclass(frozen=True)
class Snapshot:
    kind: str
    id_field: str  # the event's field that names what to read ("project_id")
    read: Reader


_registry: dict[str, Snapshot] = {}


def register(kind: str, *, id_field: str, read: Reader) -> None:
    """Answer events of ``kind`` with ``read(event[id_field])`` (called again on re-registration,
    e.g. by tests, the last one wins)."""
    _registry[kind] = Snapshot(kind=kind, id_field=id_field, read=read)


def snapshot_for(kind: str) -> Snapshot | None:
    return _registry.get(kind)


def target(event: dict[str, Any]) -> tuple[Snapshot, int] | None:
    """The registered snapshot an event asks for and the id to read, if it is a snapshot event."""
    snap = _registry.get(str(event.get("kind", "")))
    if snap is None:
        return None
    ident = event.get(snap.id_field)
    if isinstance(ident, bool) or not isinstance(ident, int):
        return None
    return snap, ident


def cache_key(kind: str, ident: int) -> str:
    return f"yishi:snapshot:{kind}:{ident}"


def read(snap: Snapshot, ident: int, *, after: float) -> tuple[float, dict[str, Any] | None]:
    """``(started, event)``: the cached read of ``snap`` for ``ident`` if it started at or after
    ``after`` (Unix seconds), else a new read, cached. Runs the ORM: call it off the event loop,
    between the connection checks Django makes around a request."""
    key = cache_key(snap.kind, ident)
    cached = cache.get(key)
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] >= after:
        return cached[0], cached[1]
    started = time.time()
    close_old_connections()
    try:
        event = snap.read(ident)
    finally:
        close_old_connections()
    cache.set(key, (started, event), CACHE_SECONDS)
    return started, event
