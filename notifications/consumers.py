"""Websocket consumers: they authenticate and subscribe; they never write to the database.

A consumer decides which group its socket may hear (``user.<id>`` only for that signed-in user;
``project.<id>`` and ``screen.<slug>`` for anyone: they carry only public facts) and joins it
through its process's hub (``notifications.hub``), which receives each event once per process.

Clients only send ``{"type": "ping"}`` (answered with ``{"kind": "pong"}``) to keep proxies from
dropping an idle connection. Anything else — not text, not a JSON object, not a ping, larger than
:data:`MAX_MESSAGE_BYTES`, or more than :data:`MAX_MESSAGES_PER_WINDOW` messages in
:data:`WINDOW_SECONDS` — closes that one connection with code 4400 (4429 for the rate); the
server goes on.
"""

from __future__ import annotations

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from notifications.events import project_group, screen_group, user_group
from notifications.hub import hub
from notifications.selectors import unread_count

MAX_MESSAGE_BYTES = 4096
MAX_MESSAGES_PER_WINDOW = 30
WINDOW_SECONDS = 10.0
MAX_SLUG = 60  # Community.slug's max_length; group names must stay short

CLOSE_FORBIDDEN = 4403
CLOSE_BAD_MESSAGE = 4400
CLOSE_TOO_MANY = 4429

# ``get_channel_layer`` answers None for an alias that is not configured: so a socket gets no
# channel of its own on the layer (no receive loop per socket); events reach it through the hub.
NO_OWN_CHANNEL = "yishi.no-channel-per-socket"


class _Subscriber(AsyncWebsocketConsumer):
    channel_layer_alias = NO_OWN_CHANNEL
    group: str | None = None
    _window_start: float = 0.0
    _window_count: int = 0

    async def group_name(self) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def connect(self) -> None:
        group = await self.group_name()
        if group is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await hub().join(group, self)  # subscribed before the handshake completes
        self.group = group
        await self.accept()
        self._window_start = time.monotonic()
        await self.on_subscribed()

    async def on_subscribed(self) -> None:
        """Hook: send whatever a (re)connected client needs first."""

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await hub().leave(self.group, self)
            self.group = None

    async def deliver(self, text: str) -> None:
        """An event for this socket's group, already JSON (called by the hub)."""
        await self.send(text_data=text)

    def _valid_ping(self, text_data: str | None, bytes_data: bytes | None) -> bool:
        if text_data is None or bytes_data is not None:
            return False
        if len(text_data) > MAX_MESSAGE_BYTES or len(text_data.encode()) > MAX_MESSAGE_BYTES:
            return False
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested past the limit
            return False
        return isinstance(message, dict) and message.get("type") == "ping"

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        now = time.monotonic()
        if now - self._window_start > WINDOW_SECONDS:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        if self._window_count > MAX_MESSAGES_PER_WINDOW:
            await self.close(code=CLOSE_TOO_MANY)
            return
        if not self._valid_ping(text_data, bytes_data):
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        await self.send(text_data='{"kind": "pong"}')


class UserConsumer(_Subscriber):
    """``/ws/notifications/``: the signed-in user's own notifications and unread count."""

    async def group_name(self) -> str | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        return user_group(user.pk)

    async def on_subscribed(self) -> None:
        count = await database_sync_to_async(unread_count)(self.scope["user"])
        await self.send(text_data=json.dumps({"kind": "unread", "unread": count}))


class ProjectConsumer(_Subscriber):
    """``/ws/projects/<id>/``: public facts about one project (state, co-signs, tallies)."""

    async def group_name(self) -> str | None:
        return project_group(int(self.scope["url_route"]["kwargs"]["project_id"]))


class ScreenConsumer(_Subscriber):
    """``/ws/screen/<community slug>/``: the public screen's tallies; no login."""

    async def group_name(self) -> str | None:
        slug = self.scope["url_route"]["kwargs"]["community"]
        return screen_group(slug) if len(slug) <= MAX_SLUG else None
