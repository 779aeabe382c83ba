"""One subscription per server process: the hub that hands channel-layer events to local sockets.

With Channels' usual pattern every websocket owns a channel on the layer and joins the group
itself, so one event to a public screen watched by 500 sockets on a process is 500 layer channels,
500 receive loops and 500 dispatches (each with a hop through Channels' database thread). Here
each process (each event loop) has one layer channel, :class:`Hub`, that joins a group while at
least one local socket listens to it, receives each event once and sends its pre-serialised text
to the local sockets directly. Publishers are unchanged: ``group_send`` to ``screen.<slug>``,
``user.<id>``, ``project.<id>`` (see ``notifications.events``).

A snapshot event ("tally changed", ``notifications.snapshots``) is not passed on as it came: the
hub reads the snapshot registered for its kind (cached for a second across processes, one read in
flight per snapshot here, events arriving meanwhile sharing the next) and sends that, stamped with
the event's ``published_at``. A socket never gets the same read twice, nor one older than a read
it already got.

The hub re-joins its groups every :data:`REJOIN_SECONDS` (layers forget group members after
``group_expiry``, a day by default) and after a broker error, so a screen left open for weeks
keeps hearing events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from notifications import snapshots

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
        self._refreshing: set[asyncio.Task[None]] = set()
        # Per snapshot: the read in flight here.
        self._reads: dict[str, asyncio.Future[tuple[float, dict[str, Any] | None]]] = {}
        # Per (group, snapshot): when the read last sent to that group started.
        self._sent: dict[tuple[str, str], float] = {}

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
            for key in [k for k in self._sent if k[0] == group]:
                del self._sent[key]
            channel = self.channel
            if channel is not None:
                with contextlib.suppress(Exception):  # it expires from the group anyway
                    await self.layer.group_discard(group, channel)
            if not self.members:
                await self._stop()

    async def _stop(self) -> None:
        tasks, self._tasks, self.channel = self._tasks, [], None
        tasks += list(self._refreshing)
        self._refreshing.clear()
        self._reads.clear()
        self._sent.clear()
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
        if snapshots.snapshot_for(str(message.get("kind", ""))) is not None:
            task = asyncio.ensure_future(self._refresh(group, text))
            self._refreshing.add(task)
            task.add_done_callback(self._refreshing.discard)
            return
        await self._deliver(group, text)

    async def _deliver(self, group: str, text: str) -> None:
        for listener in list(self.members.get(group, ())):
            try:
                await listener.deliver(text)
            except Exception:
                log.debug("could not deliver to a closing socket", exc_info=True)

    async def _refresh(self, group: str, text: str) -> None:
        """A snapshot event: read (or share) the snapshot it names and send that to ``group``."""
        try:
            event = json.loads(text)
            found = snapshots.target(event)
            if found is None:
                return
            snap, ident = found
            published = float(event.get("published_at", 0.0))
            started, fresh = await self._read(snap, ident, published)
        except Exception:
            log.exception("hub could not read a snapshot for %s", group)
            return
        key = (group, snapshots.cache_key(snap.kind, ident))
        if fresh is None or started <= self._sent.get(key, float("-inf")):
            return  # nothing public, or a read this group already got (or an older one)
        self._sent[key] = started
        stamped = {**fresh, "published_at": published}
        await self._deliver(group, json.dumps(stamped, ensure_ascii=False, default=str))

    async def _read(
        self, snap: snapshots.Snapshot, ident: int, after: float
    ) -> tuple[float, dict[str, Any] | None]:
        """A read of the snapshot that began at or after ``after``. One read per snapshot is in
        flight here at a time: events arriving meanwhile wait for it and, if it began before
        they were published, share the next one, so a burst of events costs two reads here, not
        one per event."""
        key = snapshots.cache_key(snap.kind, ident)
        while True:
            current = self._reads.get(key)
            if current is None or current.done():
                break
            with contextlib.suppress(Exception):  # its reader logs; the next read may succeed
                shared = await asyncio.shield(current)
                if shared[0] >= after:
                    return shared
        future: asyncio.Future[tuple[float, dict[str, Any] | None]] = asyncio.ensure_future(
            sync_to_async(snapshots.read, thread_sensitive=False)(snap, ident, after=after)
        )
        self._reads[key] = future
        try:
            return await asyncio.shield(future)
        finally:
            if self._reads.get(key) is future:
                del self._reads[key]


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
