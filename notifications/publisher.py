"""The process's background publisher: sends channel-layer messages from its own thread and event
loop, so the request that caused an event does not wait for the broker.

One per process (created on first use, again after a fork), for a layer that lives outside the
process (Redis): it keeps its connections across requests instead of opening an event loop and a
connection for every publish. The in-memory layer is not thread-safe across event loops and
reaches only this process, so ``notifications.events`` sends to it directly instead.

Snapshots (a live tally) are read when they are sent, not when they are handed over
(:meth:`Publisher.send_fresh`): the first hand-over for a key is read and sent at once; later ones
within ``THROTTLE`` seconds of that send are merged into one read and send when the interval
ends. Every hand-over is followed by a read that starts after it, so the last snapshot sent after a
burst is the state after the burst's last commit. A screen thus sees every change within
``THROTTLE`` seconds, exactly, while a community voting at once costs the broker and every
listening socket a few sends a second per project instead of one per ballot. Reads run on one
thread of their own (they may use the database: Django refuses the ORM on an event loop's thread),
between the same connection checks Django makes around a request.

With a ``claim`` (through Redis: ``notifications.events``) the interval is shared by every
process serving the site, not kept per process: before it reads, a process claims the key's
interval; if another process claimed it, the read is held until that interval ends and then
dropped if the other process's read began after this process's last hand-over (it counts it),
else claimed again. Without that, each of W server processes would send its own few a second.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any

from django.db import close_old_connections, connections

log = logging.getLogger(__name__)

THROTTLE = 0.25  # seconds between two sends of snapshots with the same key

Message = tuple[str, dict[str, Any]]  # (group, channel-layer message)
Read = Callable[[], list[Message]]  # reads a snapshot's messages when it is sent
# Claims a key's interval of ``seconds`` for this process across all processes: ``None`` if
# claimed, else the seconds left of the interval another process claimed.
Claim = Callable[[str, float], Awaitable[float | None]]


class Publisher:
    def __init__(
        self, send: Callable[[list[Message]], Awaitable[None]], claim: Claim | None = None
    ) -> None:
        self._send = send
        self._claim = claim
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader = _Reader()
        self._closed = False
        # Per snapshot key: the read waiting for the end of its interval, and when the last read
        # started. Kept under a lock by the callers' threads, so a hand-over that only joins a
        # waiting read does not wake the loop.
        self._guard = threading.Lock()
        self._held: dict[str, Read] = {}
        self._last: dict[str, float] = {}
        self._handed: dict[str, float] = {}  # when the key was last handed over
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="yishi-publisher", daemon=True
        )
        self._thread.start()

    # --- called from any thread ---------------------------------------------------------------
    def send(self, messages: list[Message]) -> None:
        self._loop.call_soon_threadsafe(self._start, messages)

    def send_fresh(self, key: str, read: Read) -> None:
        """Send what ``read`` returns when it is called, which is after this call: at once if
        ``key`` was not read in the last ``THROTTLE`` seconds, else once at the end of that
        interval for all the hand-overs in it (the newest ``read`` is called). With a ``claim``,
        "read" means by any process, and a read another process began after this call counts."""
        now = time.monotonic()
        with self._guard:
            self._handed[key] = now
            if key in self._held:
                self._held[key] = read
                return  # a read after this call is already due
            wait = self._last.get(key, float("-inf")) + THROTTLE - now
            if wait <= 0:
                self._last[key] = now
                self._forget_idle(now)
            else:
                self._held[key] = read
        if wait <= 0:
            self._loop.call_soon_threadsafe(self._start_fresh, key, read, True)
        else:
            self._loop.call_soon_threadsafe(self._release_in, wait, key)

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
        """Send what is pending, forget when keys were last read (as if just started) and close
        the reading thread's database connections."""
        self.flush()
        with self._guard:
            self._last.clear()
            self._handed.clear()
        if self._closed:
            return
        try:
            self._reader.submit(connections.close_all).result(5.0)
        except Exception:
            log.exception("publisher: could not close the reading thread's connections")

    def close(self) -> None:
        """Send what is pending, then end both threads (a publisher made for a test; the
        process's own lives as long as the process)."""
        self.flush()
        self._closed = True
        self._reader.stop()
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5.0)

    # --- on the publisher's loop ----------------------------------------------------------------
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` on the loop, kept until done (what a flush waits for)."""
        task = self._loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _start(self, messages: list[Message]) -> None:
        self._spawn(self._guarded(messages))

    async def _guarded(self, what: list[Message] | Read) -> None:
        try:
            if callable(what):
                messages: list[Message] = await asyncio.wrap_future(self._reader.submit(what))
            else:
                messages = what
            if messages:
                await self._send(messages)
        except Exception:
            log.exception("could not publish")

    def _release(self, key: str, claim: bool = True) -> None:
        with self._guard:
            read = self._held.pop(key, None)
            if read is None:
                return  # already sent by a flush
            self._last[key] = time.monotonic()
        self._start_fresh(key, read, claim)

    def _release_in(self, seconds: float, key: str) -> None:
        self._loop.call_later(seconds, self._release, key)

    def _start_fresh(self, key: str, read: Read, claim: bool) -> None:
        self._spawn(self._fresh(key, read, claim))

    async def _fresh(self, key: str, read: Read, claim: bool) -> None:
        if claim and self._claim is not None:
            asked = time.monotonic()
            try:
                left = await self._claim(key, THROTTLE)
            except Exception:
                log.exception("publisher: could not claim %s; reading anyway", key)
                left = None
            if left is not None:
                # Another process claimed the interval at least THROTTLE - left before ``asked``,
                # and reads after claiming: it counts every hand-over here before that.
                began = asked - (THROTTLE - left)
                with self._guard:
                    if self._handed.get(key, float("inf")) <= began:
                        return
                    waiting = key in self._held  # a release is due already
                    if not waiting:
                        self._held[key] = read
                if not waiting:
                    self._release_in(max(left, 0.0) + 0.001, key)
                return
        await self._guarded(read)

    def _forget_idle(self, now: float) -> None:
        if len(self._last) > 1000:  # keys idle for a while need no throttle any more
            for key, at in list(self._last.items()):
                if now - at > 60 and key not in self._held:
                    del self._last[key]
                    self._handed.pop(key, None)

    async def _drain(self) -> None:
        while True:
            with self._guard:
                keys = list(self._held)
            for key in keys:
                self._release(key, claim=False)  # a flush sends now: no waiting for others
            if not self._tasks:
                return
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _STOP() -> None:
    """The reading thread's last job (a marker)."""


class _Reader:
    """The thread snapshots are read on, one at a time, each between the connection checks
    Django makes around a request (a connection too old or broken is replaced, a healthy one
    kept). A daemon thread of its own rather than an executor's: an executor takes no work once
    the interpreter has begun to exit, and the exit's flush still has snapshots to read."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="yishi-publisher-read", daemon=True).start()

    def submit(self, work: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self._jobs.put((work, future))
        return future

    def stop(self) -> None:
        """End the thread once the work submitted so far is done, its connections closed."""
        self.submit(_STOP)

    def _run(self) -> None:
        while True:
            work, future = self._jobs.get()
            if work is _STOP:
                connections.close_all()
                future.set_result(None)
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                close_old_connections()
                try:
                    future.set_result(work())
                finally:
                    close_old_connections()
            except BaseException as exc:  # the thread goes on: a later read may well succeed
                if not future.done():
                    future.set_exception(exc)
                else:
                    log.exception("publisher: a database connection could not be checked")


_lock = threading.Lock()
_publisher: tuple[int, Publisher] | None = None


def get(send: Callable[[list[Message]], Awaitable[None]], claim: Claim | None = None) -> Publisher:
    """This process's publisher (a forked child gets its own)."""
    global _publisher
    with _lock:
        if _publisher is None or _publisher[0] != os.getpid():
            _publisher = (os.getpid(), Publisher(send, claim))
        return _publisher[1]


def flush(timeout: float = 5.0) -> None:
    """Send what this process has handed over (at exit: a command's last events)."""
    current = _publisher
    if current is not None and current[0] == os.getpid():
        current[1].flush(timeout)


def forget() -> None:
    """:meth:`Publisher.forget` for this process's publisher. For tests: a test's snapshots are
    all sent before the next starts, and the reading thread holds no connection to a database
    about to be emptied or dropped."""
    current = _publisher
    if current is not None and current[0] == os.getpid():
        current[1].forget()


atexit.register(flush, 2.0)
