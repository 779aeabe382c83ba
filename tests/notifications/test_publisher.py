"""The per-process background publisher: sends off the request's thread, reads snapshots when
it sends them (so the last one after a burst is exact), merges a burst per key, and flushes."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from notifications import publisher
from notifications.publisher import THROTTLE, Publisher


@pytest.fixture
def sent() -> list[tuple[str, Any]]:
    return []


@pytest.fixture
def pub(sent: list[tuple[str, Any]]) -> Iterator[Publisher]:
    async def send(messages: list[tuple[str, Any]]) -> None:
        sent.extend(messages)

    made = Publisher(send)
    yield made
    made.close()


def msg(group: str, n: int) -> list[tuple[str, Any]]:
    return [(group, {"n": n})]


def test_plain_messages_are_all_sent(pub: Publisher, sent: list[Any]) -> None:
    for n in range(5):
        pub.send(msg("screen.a", n))
    pub.flush()
    assert [m["n"] for _g, m in sent] == [0, 1, 2, 3, 4]


class State:
    """What a snapshot reads: a counter the test moves, and how often it was read."""

    def __init__(self) -> None:
        self.value = 0
        self.reads = 0

    def read(self) -> list[tuple[str, Any]]:
        self.reads += 1
        return msg("screen.a", self.value)


def wait_for(sent: list[Any], n: int) -> None:
    deadline = time.monotonic() + 2
    while len(sent) < n and time.monotonic() < deadline:
        time.sleep(0.005)


def test_a_burst_is_read_at_once_and_then_once_more_after_it(
    pub: Publisher, sent: list[Any]
) -> None:
    state = State()
    state.value = 1
    pub.send_fresh("tally:1", state.read)
    wait_for(sent, 1)
    assert [m["n"] for _g, m in sent] == [1]  # the first went out without waiting
    for n in range(2, 40):
        state.value = n
        pub.send_fresh("tally:1", state.read)
    time.sleep(THROTTLE * 2)
    assert [m["n"] for _g, m in sent] == [1, 39]  # the state after the burst, read once
    assert state.reads == 2


def test_the_snapshot_sent_is_the_state_when_it_is_read_not_when_handed_over(
    pub: Publisher, sent: list[Any]
) -> None:
    state = State()
    pub.send_fresh("tally:1", state.read)
    wait_for(sent, 1)
    pub.send_fresh("tally:1", state.read)  # waits for the end of the interval...
    state.value = 7  # ...by which time another process's vote has committed
    pub.flush()
    assert [m["n"] for _g, m in sent] == [0, 7]


def test_a_hand_over_after_a_send_is_always_followed_by_another_read(
    pub: Publisher, sent: list[Any]
) -> None:
    state = State()
    for n in range(1, 6):
        state.value = n
        pub.send_fresh("tally:1", state.read)
        time.sleep(THROTTLE / 3)
    pub.flush()
    assert sent[-1][1]["n"] == 5  # the last state is never left unsent
    assert state.reads < 5  # but the burst was merged


def test_keys_are_throttled_apart(pub: Publisher, sent: list[Any]) -> None:
    pub.send_fresh("tally:1", lambda: msg("project.1", 1))
    pub.send_fresh("tally:2", lambda: msg("project.2", 1))
    pub.flush()
    assert sorted(g for g, _m in sent) == ["project.1", "project.2"]


def test_flush_sends_what_is_held_back(pub: Publisher, sent: list[Any]) -> None:
    state = State()
    pub.send_fresh("tally:1", state.read)
    state.value = 2
    pub.send_fresh("tally:1", state.read)
    pub.flush()
    assert [m["n"] for _g, m in sent][-1] == 2
    count = len(sent)
    time.sleep(THROTTLE * 1.5)  # the scheduled release finds nothing left to send
    assert len(sent) == count


def test_a_failing_send_is_logged_and_the_publisher_goes_on(caplog: Any) -> None:
    calls: list[Any] = []

    async def send(messages: list[tuple[str, Any]]) -> None:
        calls.append(messages)
        if len(calls) == 1:
            raise ConnectionError("broker gone")

    pub = Publisher(send)
    pub.send(msg("screen.a", 1))
    pub.flush()
    pub.send(msg("screen.a", 2))
    pub.close()
    assert len(calls) == 2
    assert "could not publish" in caplog.text


def test_a_failing_read_is_logged_and_the_publisher_goes_on(
    pub: Publisher, sent: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> list[tuple[str, Any]]:
        raise ValueError("cannot read")

    pub.send_fresh("tally:1", broken)
    pub.flush()
    pub.send_fresh("tally:2", lambda: msg("screen.a", 2))
    pub.flush()
    assert [m["n"] for _g, m in sent] == [2]
    assert "could not publish" in caplog.text


def test_close_ends_both_threads(sent: list[Any]) -> None:
    import threading

    async def send(messages: list[tuple[str, Any]]) -> None:
        sent.extend(messages)

    before = len(threading.enumerate())
    made = Publisher(send)
    made.send_fresh("tally:1", lambda: msg("screen.a", 1))
    made.close()
    assert [m["n"] for _g, m in sent] == [1]  # what was pending went out first
    deadline = time.monotonic() + 2
    while len(threading.enumerate()) > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(threading.enumerate()) == before


def test_reads_run_off_the_event_loop_so_they_may_use_the_database(
    pub: Publisher, sent: list[Any]
) -> None:
    import asyncio

    def read() -> list[tuple[str, Any]]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return msg("screen.a", 1)  # no loop here: Django allows the ORM
        return msg("screen.a", 0)

    pub.send_fresh("tally:1", read)
    pub.flush()
    assert [m["n"] for _g, m in sent] == [1]


def test_one_publisher_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    async def send(messages: list[tuple[str, Any]]) -> None:
        return None

    monkeypatch.setattr(publisher, "_publisher", None)
    first = publisher.get(send)
    assert publisher.get(send) is first
    monkeypatch.setattr(publisher.os, "getpid", lambda: -1)  # as in a forked child
    child = publisher.get(send)
    assert child is not first
    first.close()
    child.close()


def test_forget_lets_a_key_start_over(pub: Publisher, sent: list[Any]) -> None:
    pub.send_fresh("tally:1", lambda: msg("screen.a", 5))
    pub.flush()
    pub.forget()
    pub.send_fresh("tally:1", lambda: msg("screen.a", 1))
    wait_for(sent, 2)  # at once: no interval left over from before
    assert [m["n"] for _g, m in sent] == [5, 1]


def test_a_snapshot_still_held_at_exit_is_read_and_sent(tmp_path: Any) -> None:
    """The last tally of a command (or of a worker shutting down) is not lost at exit."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "exits.py"
    script.write_text(
        "import django\n"
        "django.setup()\n"
        "from notifications import publisher\n"
        "async def send(messages):\n"
        "    print(messages[0][1]['n'], flush=True)\n"
        "sender = publisher.get(send)\n"
        "sender.send_fresh('tally:1', lambda: [('screen.a', {'n': 1})])\n"
        "sender.send_fresh('tally:1', lambda: [('screen.a', {'n': 2})])  # held: exits first\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "2"], out.stderr


# --- one interval for all server processes (claimed through Redis in production) ----------------
class SharedClaims:
    """What ``events._claim`` does in Redis (SET NX PX), for publishers standing in for
    processes: a key's interval is claimed by one of them at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}
        self.refused = 0

    async def claim(self, key: str, seconds: float) -> float | None:
        with self._lock:
            now = time.monotonic()
            if self._until.get(key, 0.0) <= now:
                self._until[key] = now + seconds
                return None
            self.refused += 1
            return self._until[key] - now


class Timed(State):
    """A snapshot that also notes when each read began and what it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[float, int]] = []

    def read(self) -> list[tuple[str, Any]]:
        self.log.append((time.monotonic(), self.value))
        return super().read()


def test_processes_share_one_interval_and_the_last_hand_over_is_still_read(
    sent: list[Any],
) -> None:
    async def send(messages: list[tuple[str, Any]]) -> None:
        sent.extend(messages)

    claims = SharedClaims()
    a, b = Publisher(send, claims.claim), Publisher(send, claims.claim)
    state = Timed()
    try:
        started = time.monotonic()
        for n in range(1, 61):  # a meeting's votes, served by two processes in turn
            state.value = n
            (a if n % 2 else b).send_fresh("tally:1", state.read)
            time.sleep(0.01)
        last_hand_over = time.monotonic()
        burst = last_hand_over - started
        time.sleep(THROTTLE * 3)
        a.flush()
        b.flush()
    finally:
        a.close()
        b.close()
    began, seen = max(state.log)
    assert began >= last_hand_over and seen == 60  # a read after the last vote counts it
    assert claims.refused > 0
    # about one read per interval between them (each alone would read that often)
    assert state.reads <= burst / THROTTLE + 2, (state.reads, burst)


def test_a_claim_that_fails_reads_anyway(sent: list[Any], caplog: pytest.LogCaptureFixture) -> None:
    async def send(messages: list[tuple[str, Any]]) -> None:
        sent.extend(messages)

    async def broker_down(key: str, seconds: float) -> float | None:
        raise ConnectionError("Redis is down")

    made = Publisher(send, broker_down)
    try:
        made.send_fresh("tally:1", lambda: msg("project.1", 1))
        wait_for(sent, 1)
    finally:
        made.close()
    assert [m["n"] for _g, m in sent] == [1]
    assert "could not claim tally:1" in caplog.text


def test_the_interval_is_claimed_in_redis_once_for_all_processes(settings: Any) -> None:
    from channels.layers import get_channel_layer

    from notifications import events

    if not str(getattr(settings, "REDIS_URL", "")).startswith("redis"):
        pytest.skip("needs Redis (REDIS_URL=redis://…)")
    layer = get_channel_layer()
    key = f"tally:test-{uuid.uuid4().hex}"

    async def claim_three_times() -> list[float | None]:
        first = await events._claim(layer, key, THROTTLE)
        second = await events._claim(layer, key, THROTTLE)  # another process, same interval
        await asyncio.sleep(THROTTLE + 0.05)
        return [first, second, await events._claim(layer, key, THROTTLE)]

    first, second, after = asyncio.run(claim_three_times())
    assert first is None and after is None
    assert second is not None and 0 < second <= THROTTLE
