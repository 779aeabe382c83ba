"""The process's background publisher: sends channel-layer messages from its own thread and event
loop, so the request that caused an event does not wait for the broker.

One per process (created on first use, again after a fork), for a layer that lives outside the
process (Redis): it keeps its connections across requests instead of opening an event loop and a
connection for every publish. The in-memory layer is not thread-safe across event loops and
reaches only this process, so ``notifications.events`` sends to it directly instead.

Snapshots (a live tally) are throttled per key: the first goes out at once, later ones within
``THROTTLE`` seconds of the last send are held and only the newest (by its ``order``) is sent when
the interval ends. A screen thus still sees every change within ``THROTTLE`` seconds, but a
community voting at once costs the broker and every listening socket a few sends a second per
project instead of one per ballot.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

THROTTLE = 0.25  # seconds between two sends of snapshots with the same key
Message = tuple[str, dict[str, Any]]  # (group, channel-layer message)
# Messages, or what builds them when they are sent (a snapshot that is superseded before its
# turn is then never built).
Messages = list[Message] | Callable[[], list[Message]]


class Publisher:
    def __init__(self, send: Callable[[list[Message]], Awaitable[None]]) -> None:
        self._send = send
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        # Per snapshot key: the newest held back, and when the last went out with its order.
        # Kept under a lock by the callers' threads, so a snapshot that only replaces one
        # already held does not wake the loop.
        self._guard = threading.Lock()
        self._held: dict[str, tuple[tuple[int, ...], Messages]] = {}
        self._last: dict[str, tuple[float, tuple[int, ...]]] = {}
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="yishi-publisher", daemon=True
        )
        self._thread.start()

    # --- called from any thread ---------------------------------------------------------------
    def send(self, messages: list[Message]) -> None:
        self._loop.call_soon_threadsafe(self._start, messages)

    def send_latest(self, key: str, order: tuple[int, ...], messages: Messages) -> None:
        """Send ``messages`` unless a newer snapshot for ``key`` went or goes out first."""
        now = time.monotonic()
        with self._guard:
            last_at, last_order = self._last.get(key, (float("-inf"), ()))
            if order <= last_order:
                return  # older than one already sent
            held = self._held.get(key)
            if held is not None:
                if order > held[0]:
                    self._held[key] = (order, messages)
                return  # its send is already scheduled
            wait = last_at + THROTTLE - now
            if wait <= 0:
                self._last[key] = (now, order)
                self._forget_idle(now)
            else:
                self._held[key] = (order, messages)
        if wait <= 0:
            self._loop.call_soon_threadsafe(self._start, messages)
        else:
            self._loop.call_soon_threadsafe(self._loop.call_later, wait, self._release, key)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything handed over so far has been sent (held snapshots included)."""
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._drain(), self._loop)
        try:
            future.result(timeout)
        except TimeoutError:
            log.warning("publisher: events still unsent after %.1f s", timeout)

    def forget(self) -> None:
        """Send what is pending, then forget which snapshots went out (as if just started)."""
        self.flush()
        with self._guard:
            self._last.clear()

    # --- on the publisher's loop ----------------------------------------------------------------
    def _start(self, messages: Messages) -> None:
        if callable(messages):
            try:
                messages = messages()
            except Exception:
                log.exception("could not build an event to publish")
                return
        task = self._loop.create_task(self._guarded(messages))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, messages: list[Message]) -> None:
        try:
            await self._send(messages)
        except Exception:
            log.exception("could not publish %d event(s)", len(messages))

    def _release(self, key: str) -> None:
        with self._guard:
            held = self._held.pop(key, None)
            if held is None:
                return  # already sent by a flush
            order, messages = held
            self._last[key] = (time.monotonic(), order)
        self._start(messages)

    def _forget_idle(self, now: float) -> None:
        if len(self._last) > 1000:  # keys idle for a while need no throttle any more
            for key, (at, _order) in list(self._last.items()):
                if now - at > 60 and key not in self._held:
                    del self._last[key]

    async def _drain(self) -> None:
        while True:
            with self._guard:
                keys = list(self._held)
            for key in keys:
                self._release(key)
            if not self._tasks:
                return
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


_lock = threading.Lock()
_publisher: tuple[int, Publisher] | None = None


def get(send: Callable[[list[Message]], Awaitable[None]]) -> Publisher:
    """This process's publisher (a forked child gets its own)."""
    global _publisher
    with _lock:
        if _publisher is None or _publisher[0] != os.getpid():
            _publisher = (os.getpid(), Publisher(send))
        return _publisher[1]


def flush(timeout: float = 5.0) -> None:
    """Send what this process has handed over (at exit: a command's last events)."""
    current = _publisher
    if current is not None and current[0] == os.getpid():
        current[1].flush(timeout)


def forget() -> None:
    """:meth:`Publisher.forget` for this process's publisher. For tests: the database is emptied
    between them and ids come again, so a snapshot "older" than one a previous test sent for the
    same project must not be dropped."""
    current = _publisher
    if current is not None and current[0] == os.getpid():
        current[1].forget()


atexit.register(flush, 2.0)
