"""The per-process background publisher: sends off the request's thread, throttles snapshots
per key to the newest, never sends an older snapshot after a newer one, and flushes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from notifications import publisher
from notifications.publisher import THROTTLE, Publisher


@pytest.fixture
def sent() -> list[tuple[str, Any]]:
    return []


@pytest.fixture
def pub(sent: list[tuple[str, Any]]) -> Publisher:
    async def send(messages: list[tuple[str, Any]]) -> None:
        sent.extend(messages)

    return Publisher(send)


def msg(group: str, n: int) -> list[tuple[str, Any]]:
    return [(group, {"n": n})]


def test_plain_messages_are_all_sent(pub: Publisher, sent: list[Any]) -> None:
    for n in range(5):
        pub.send(msg("screen.a", n))
    pub.flush()
    assert [m["n"] for _g, m in sent] == [0, 1, 2, 3, 4]


def test_a_burst_of_snapshots_sends_the_first_at_once_and_then_only_the_newest(
    pub: Publisher, sent: list[Any]
) -> None:
    pub.send_latest("tally:1", (1, 1), msg("screen.a", 1))
    deadline = time.monotonic() + 2
    while not sent and time.monotonic() < deadline:
        time.sleep(0.005)
    assert [m["n"] for _g, m in sent] == [1]  # the first went out without waiting
    for n in range(2, 40):
        pub.send_latest("tally:1", (1, n), msg("screen.a", n))
    time.sleep(THROTTLE * 2)
    assert [m["n"] for _g, m in sent] == [1, 39]


def test_an_older_snapshot_never_follows_a_newer_one(pub: Publisher, sent: list[Any]) -> None:
    pub.send_latest("tally:1", (1, 10), msg("screen.a", 10))
    pub.send_latest("tally:1", (1, 12), msg("screen.a", 12))
    pub.send_latest("tally:1", (1, 11), msg("screen.a", 11))  # committed earlier, arrived later
    pub.flush()
    pub.send_latest("tally:1", (1, 9), msg("screen.a", 9))
    pub.flush()
    assert [m["n"] for _g, m in sent] == [10, 12]


def test_keys_are_throttled_apart(pub: Publisher, sent: list[Any]) -> None:
    pub.send_latest("tally:1", (1, 1), msg("project.1", 1))
    pub.send_latest("tally:2", (1, 1), msg("project.2", 1))
    pub.flush()
    assert sorted(g for g, _m in sent) == ["project.1", "project.2"]


def test_flush_sends_what_is_held_back(pub: Publisher, sent: list[Any]) -> None:
    pub.send_latest("tally:1", (1, 1), msg("screen.a", 1))
    pub.send_latest("tally:1", (1, 2), msg("screen.a", 2))
    pub.flush()
    assert [m["n"] for _g, m in sent] == [1, 2]
    time.sleep(THROTTLE * 1.5)  # the scheduled release finds nothing left to send
    assert [m["n"] for _g, m in sent] == [1, 2]


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
    pub.flush()
    assert len(calls) == 2
    assert "could not publish" in caplog.text


def test_one_publisher_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    async def send(messages: list[tuple[str, Any]]) -> None:
        return None

    monkeypatch.setattr(publisher, "_publisher", None)
    first = publisher.get(send)
    assert publisher.get(send) is first
    monkeypatch.setattr(publisher.os, "getpid", lambda: -1)  # as in a forked child
    assert publisher.get(send) is not first


def test_forget_lets_a_key_start_over(pub: Publisher, sent: list[Any]) -> None:
    pub.send_latest("tally:1", (1, 5), msg("screen.a", 5))
    pub.flush()
    pub.forget()
    pub.send_latest("tally:1", (1, 1), msg("screen.a", 1))  # same project id, emptied database
    pub.flush()
    assert [m["n"] for _g, m in sent] == [5, 1]


def test_a_snapshot_superseded_before_its_turn_is_never_built(
    pub: Publisher, sent: list[Any]
) -> None:
    built: list[int] = []

    def builder(n: int) -> Any:
        def build() -> list[tuple[str, Any]]:
            built.append(n)
            return msg("screen.a", n)

        return build

    for n in range(1, 30):
        pub.send_latest("tally:1", (1, n), builder(n))
    pub.flush()
    assert [m["n"] for _g, m in sent] == [1, 29]
    assert built == [1, 29]  # the 27 in between were replaced while held, never serialised


def test_a_builder_that_fails_is_logged_and_the_publisher_carries_on(
    pub: Publisher, sent: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> list[tuple[str, Any]]:
        raise ValueError("cannot serialise")

    pub.send_latest("tally:1", (1, 1), broken)
    pub.flush()
    pub.send_latest("tally:2", (1, 1), msg("screen.a", 2))
    pub.flush()
    assert [m["n"] for _g, m in sent] == [2]
    assert "could not build" in caplog.text
