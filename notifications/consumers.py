"""Websocket consumers: they authenticate and subscribe; they never write to the database."""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from notifications.events import project_group, screen_group, user_group

MAX_MESSAGE_BYTES = 4096


class _Subscriber(AsyncWebsocketConsumer):
    group: str | None = None

    async def group_name(self) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def connect(self) -> None:
        self.group = await self.group_name()
        if self.group is None:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Clients only ping; anything malformed or oversized closes this connection."""
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_MESSAGE_BYTES or text_data is None:
            await self.close(code=4400)
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self.close(code=4400)
            return
        if not isinstance(message, dict) or message.get("type") != "ping":
            await self.close(code=4400)
            return
        await self.send(text_data=json.dumps({"type": "pong"}))

    async def yishi_event(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message["event"], ensure_ascii=False))


class UserConsumer(_Subscriber):
    async def group_name(self) -> str | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        return user_group(user.pk)


class ProjectConsumer(_Subscriber):
    async def group_name(self) -> str | None:
        return project_group(int(self.scope["url_route"]["kwargs"]["project_id"]))


class ScreenConsumer(_Subscriber):
    async def group_name(self) -> str | None:
        return screen_group(self.scope["url_route"]["kwargs"]["community"])
