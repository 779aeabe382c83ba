"""One subscription per server process: the hub that hands channel-layer events to local sockets.

With Channels' usual pattern every websocket owns a channel on the layer and joins the group
itself, so one event to a public screen watched by 500 sockets on a process is 500 layer channels,
500 receive loops and 500 dispatches (each with a hop through Channels' database thread). Here
each process (each event loop) has one layer channel, :class:`Hub`, that joins a group while at
least one local socket listens to it, receives each event once and sends its pre-serialised text
to the local sockets directly. Publishers are unchanged: ``group_send`` to ``screen.<slug>``,
``user.<id>``, ``project.<id>`` (see ``notifications.events``).

The hub re-joins its groups every :data:`REJOIN_SECONDS` (layers forget group members after
``group_expiry``, a day by default) and after a broker error, so a screen left open for weeks
keeps hearing events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

REJOIN_SECONDS = 3600.0
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)


class Listener(Protocol):
    async def deliver(self, text: str) -> None: ...


class Hub:
    """The local sockets of one process, by group, and the one layer channel that serves them."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.members: dict[str, weakref.WeakSet[Any]] = {}
        self.channel: str | None = None
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    async def join(self, group: str, listener: Listener) -> None:
        async with self._lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel()
                self._tasks = [
                    asyncio.ensure_future(self._pump(self.channel)),
                    asyncio.ensure_future(self._keep_groups(self.channel)),
                ]
            if group not in self.members:
                try:
                    await self.layer.group_add(group, self.channel)
                except Exception:
                    if not self.members:
                        await self._stop()
                    raise
                self.members[group] = weakref.WeakSet()
            self.members[group].add(listener)

    async def leave(self, group: str, listener: Listener) -> None:
        async with self._lock:
            members = self.members.get(group)
            if members is None:
                return
            members.discard(listener)
            if len(members):
                return
            del self.members[group]
            channel = self.channel
            if channel is not None:
                with contextlib.suppress(Exception):  # it expires from the group anyway
                    await self.layer.group_discard(group, channel)
            if not self.members:
                await self._stop()

    async def _stop(self) -> None:
        tasks, self._tasks, self.channel = self._tasks, [], None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _rejoin(self, channel: str) -> None:
        for group in list(self.members):
            await self.layer.group_add(group, channel)

    async def _keep_groups(self, channel: str) -> None:
        while True:
            await asyncio.sleep(REJOIN_SECONDS)
            try:
                await self._rejoin(channel)
            except Exception:
                log.exception("hub could not re-join its groups")

    async def _pump(self, channel: str) -> None:
        failures = 0
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                wait = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.exception("hub lost the channel layer; retrying in %ss", wait)
                await asyncio.sleep(wait)
                with contextlib.suppress(Exception):
                    await self._rejoin(channel)  # the broker may have restarted empty
                continue
            failures = 0
            await self._fan_out(message)

    async def _fan_out(self, message: dict[str, Any]) -> None:
        group, text = message.get("group"), message.get("text")
        if not isinstance(group, str) or not isinstance(text, str):
            log.warning("hub dropped a message without group or text: %r", message.get("type"))
            return
        for listener in list(self.members.get(group, ())):
            try:
                await listener.deliver(text)
            except Exception:
                log.debug("could not deliver to a closing socket", exc_info=True)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub (one per server process), on the default channel layer."""
    loop = asyncio.get_running_loop()
    current = _hubs.get(loop)
    if current is None:
        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("CHANNEL_LAYERS is not configured")
        current = _hubs[loop] = Hub(layer)
    return current
