"""Publishing: events leave after commit through the channel layer, one message after another;
a snapshot event is answered by each process's hub with a read that began after it was published
(cached for a second), and never with one older than a socket already got."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import transaction

from notifications import events, snapshots
from notifications.hub import Hub
from projects.services import project_submit, project_withdraw
from tests.conftest import new_project


class RecordingLayer:
    """A channel layer that keeps what it is asked to send; ``fail`` names groups it refuses."""

    def __init__(self, fail: frozenset[str] = frozenset()) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if group in self.fail:
            raise ConnectionError("broker gone")
        self.sent.append((group, json.loads(message["text"])))


@pytest.fixture
def layer(monkeypatch: pytest.MonkeyPatch) -> RecordingLayer:
    recording = RecordingLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: recording)
    return recording


# --- after commit, through the layer -----------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_an_event_goes_to_every_group_named_once_the_transaction_commits(
    layer: RecordingLayer,
) -> None:
    with transaction.atomic():
        events.publish_on_commit(["project.7", "screen.xingfu"], {"kind": "evaluation.tally"})
        events.publish_on_commit("user.3", {"kind": "unread", "unread": 2})
        assert layer.sent == []  # not before the commit
    assert [group for group, _event in layer.sent] == ["project.7", "screen.xingfu", "user.3"]
    assert all(isinstance(event["published_at"], float) for _group, event in layer.sent)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_publishes_nothing(layer: RecordingLayer) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish_on_commit("screen.xingfu", {"kind": "project.state"})
        raise RuntimeError("roll back")
    assert layer.sent == []


def test_a_broker_failure_is_logged_and_the_other_events_still_go(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = RecordingLayer(fail=frozenset({"user.1"}))
    monkeypatch.setattr(events, "get_channel_layer", lambda: broken)
    events.publish_many([("user.1", {"kind": "a"}), ("user.2", {"kind": "b"})])
    assert [group for group, _event in broken.sent] == ["user.2"]
    assert "could not publish to user.1" in caplog.text


@pytest.mark.skipif(
    not str(getattr(settings, "REDIS_URL", "")).startswith("redis"),
    reason="needs Redis (REDIS_URL=redis://…)",
)
def test_a_burst_of_events_through_redis_loses_none() -> None:
    """``seed_demo`` with Redis used to lose about 1,400 of its events to MaxConnectionsError
    (the old background publisher sent them all at once; about 100 got through): the
    sends now go one after another."""
    redis_layer = get_channel_layer()
    group = f"test-burst-{time.time_ns()}"
    total = 500

    async def join() -> str:
        channel = str(await redis_layer.new_channel())
        await redis_layer.group_add(group, channel)
        return channel

    async def drain(channel: str) -> int:
        got = 0
        while got < total:
            await asyncio.wait_for(redis_layer.receive(channel), 5)
            got += 1
        await redis_layer.group_discard(group, channel)
        return got

    channel = asyncio.run(join())
    for n in range(total):  # as a command's many commits do, each publishing on its own
        events.publish(group, {"kind": "notification", "n": n})
    assert asyncio.run(drain(channel)) == total


# --- the public groups hear only public states (issue 15 #8) --------------------------------------
@pytest.mark.django_db
def test_withdrawing_a_private_draft_sends_its_title_to_no_public_group(
    community: Any,
    cast: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(events, "publish_many", lambda messages: sent.extend(messages))
    draft = new_project(community, cast["resident"], title="我家的私人草稿")
    with django_capture_on_commit_callbacks(execute=True):
        project_withdraw(project=draft, by=cast["resident"])
    public = [(g, e) for g, e in sent if g.startswith(("screen.", "project."))]
    assert public == []
    assert "我家的私人草稿" not in json.dumps([e for _g, e in sent if not _g.startswith("user.")])


@pytest.mark.django_db
def test_a_submitted_project_is_announced_on_its_page_and_the_screen(
    community: Any,
    cast: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(events, "publish_many", lambda messages: sent.extend(messages))
    draft = new_project(community, cast["resident"], title="公开的提案")
    with django_capture_on_commit_callbacks(execute=True):
        project_submit(project=draft, by=cast["resident"])
    groups = {g for g, e in sent if e.get("kind") == "project.state" and e["title"] == "公开的提案"}
    assert groups == {f"project.{draft.pk}", "screen.xingfu"}


# --- snapshots: a read cached for a second, used only if it began after the event -----------------
@pytest.fixture
def counting_snapshot() -> Callable[[], list[int]]:
    reads: list[int] = []

    def read(ident: int) -> dict[str, Any]:
        reads.append(ident)
        return {"kind": "test.count", "id": ident, "n": len(reads)}

    snapshots.register("test.count", id_field="id", read=read)
    return lambda: reads


@pytest.mark.django_db
def test_a_cached_read_serves_events_published_before_it_began(
    counting_snapshot: Callable[[], list[int]],
) -> None:
    snap = snapshots.snapshot_for("test.count")
    assert snap is not None
    before = time.time()
    started, first = snapshots.read(snap, 5, after=before)
    assert started >= before and first == {"kind": "test.count", "id": 5, "n": 1}
    assert snapshots.read(snap, 5, after=before) == (started, first)  # shared, not read again
    assert counting_snapshot() == [5]


@pytest.mark.django_db
def test_an_event_published_after_the_cached_read_began_gets_a_new_read(
    counting_snapshot: Callable[[], list[int]],
) -> None:
    snap = snapshots.snapshot_for("test.count")
    assert snap is not None
    first_started, _first = snapshots.read(snap, 5, after=time.time())
    later = first_started + 0.000001
    started, second = snapshots.read(snap, 5, after=later)
    assert started >= later and second is not None and second["n"] == 2
    assert counting_snapshot() == [5, 5]


def test_an_event_without_a_registered_snapshot_or_id_is_passed_on_as_it_came() -> None:
    assert snapshots.target({"kind": "project.state", "project_id": 3}) is None
    assert snapshots.target({"kind": "evaluation.tally", "project_id": "3"}) is None
    assert snapshots.target({"kind": "evaluation.tally"}) is None
    found = snapshots.target({"kind": "evaluation.tally", "project_id": 3})
    assert found is not None and found[1] == 3


class Listener:
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []

    async def deliver(self, text: str) -> None:
        self.got.append(json.loads(text))


@pytest.mark.django_db(transaction=True)
async def test_events_during_a_read_share_the_next_one_and_a_socket_gets_each_read_once() -> None:
    """A burst: while the first event's read is under way two more events arrive. They wait for
    it (it began before they were published, so it may miss their changes) and share one more
    read; the socket gets both reads, in order, each once."""
    slow_started, release = threading.Event(), threading.Event()
    calls = 0

    def read(ident: int) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        mine = calls
        if mine == 1:
            slow_started.set()
            release.wait(5)
        return {"kind": "test.order", "id": ident, "read": mine}

    snapshots.register("test.order", id_field="id", read=read)
    hub = Hub(InMemoryChannelLayer())
    listener = Listener()
    hub.members["screen.x"] = weakref.WeakSet([listener])

    def message() -> dict[str, Any]:
        return events.layer_message("screen.x", {"kind": "test.order", "id": 1}, time.time())

    await hub._fan_out(message())
    assert await asyncio.to_thread(slow_started.wait, 5)
    await hub._fan_out(message())
    await hub._fan_out(message())
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.gather(*list(hub._refreshing))
    assert calls == 2
    assert [e["read"] for e in listener.got] == [1, 2]
