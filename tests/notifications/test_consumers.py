"""The websockets, against the real ASGI application (``config.asgi.application``): who may join
which group, events only after commit, and bad messages closing only their own connection."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction
from django.test import Client

from config.asgi import application
from deliberation import services
from deliberation.tally import Tally
from notifications import events
from notifications.consumers import MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_WINDOW
from notifications.events import layer_message
from notifications.services import notification_mark_all_read, notify
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
async def _empty_layer() -> AsyncIterator[None]:
    """A clean in-memory layer per test (a shared Redis is left alone: other runs may use it)."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        await layer.flush()
    yield
    if isinstance(layer, InMemoryChannelLayer):
        await layer.flush()


def _cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def open_socket(
    path: str, user: Any = None, origin: tuple[bytes, bytes] = ORIGIN
) -> tuple[WebsocketCommunicator, bool, Any]:
    headers = [origin]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(_cookie)(user)))
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await comm.connect(timeout=5)
    return comm, connected, code


async def receive(comm: WebsocketCommunicator, timeout: float = 10) -> dict[str, Any]:
    return json.loads(await comm.receive_from(timeout=timeout))


async def closed_with(comm: WebsocketCommunicator) -> int:
    output = await comm.receive_output(timeout=3)
    assert output["type"] == "websocket.close", output
    return int(output["code"])


@pytest.fixture
def alice(transactional_db: None) -> Any:
    return make_user("alice")


# --- who may listen ----------------------------------------------------------------------------
async def test_anonymous_user_cannot_join_a_personal_group() -> None:
    _comm, connected, code = await open_socket("/ws/notifications/")
    assert not connected
    assert code == 4403


async def test_socket_from_a_foreign_origin_is_refused(alice: Any) -> None:
    _comm, connected, _code = await open_socket(
        "/ws/notifications/", alice, origin=(b"origin", b"https://evil.example")
    )
    assert not connected


async def test_signed_in_user_gets_the_unread_count_on_connect(alice: Any) -> None:
    await database_sync_to_async(notify)(recipients=[alice.pk], kind="task.new", verb="新待办")
    comm, connected, _ = await open_socket("/ws/notifications/", alice)
    assert connected
    assert await receive(comm) == {"kind": "unread", "unread": 1}
    await comm.disconnect()


async def test_a_user_hears_only_their_own_notifications(alice: Any) -> None:
    bob = await database_sync_to_async(make_user)("bob")
    comm, _, _ = await open_socket("/ws/notifications/", alice)
    await receive(comm)  # the unread count
    await database_sync_to_async(notify)(
        recipients=[bob.pk], kind="project.state", verb="给 bob 的"
    )
    assert await comm.receive_nothing(timeout=0.5)
    await database_sync_to_async(notify)(
        recipients=[alice.pk], kind="project.state", verb="给 alice 的"
    )
    event = await receive(comm)
    assert event["kind"] == "notification"
    assert event["notification"]["verb"] == "给 alice 的"
    assert event["unread"] == 1
    await comm.disconnect()


async def test_marking_all_read_updates_every_open_page(alice: Any) -> None:
    await database_sync_to_async(notify)(recipients=[alice.pk], kind="task.new", verb="新待办")
    first, _, _ = await open_socket("/ws/notifications/", alice)
    second, _, _ = await open_socket("/ws/notifications/", alice)
    assert (await receive(first))["unread"] == 1 and (await receive(second))["unread"] == 1
    await database_sync_to_async(notification_mark_all_read)(user=alice)
    for comm in (first, second):
        event = await receive(comm)
        assert (event["kind"], event["unread"]) == ("unread", 0)
    await first.disconnect()
    await second.disconnect()


# --- only after commit ---------------------------------------------------------------------------
async def _in_open_transaction(
    work: Any, *, fail: bool
) -> tuple[threading.Event, threading.Event, Any]:
    """Run ``work`` inside a transaction and hold it open until released. It runs on a thread of
    its own: Channels' thread for database work stays free, so a consumer could deliver an event
    published too early — the tests below would then see it."""
    inside, release = threading.Event(), threading.Event()

    def run() -> None:
        try:
            with transaction.atomic():
                work()
                inside.set()
                release.wait(10)
                if fail:
                    raise RuntimeError("roll back")
        except RuntimeError:
            pass
        finally:
            connection.close()

    task = asyncio.ensure_future(sync_to_async(run, thread_sensitive=False)())
    assert await asyncio.to_thread(inside.wait, 10)
    return inside, release, task


async def test_personal_event_arrives_only_after_commit(alice: Any) -> None:
    comm, _, _ = await open_socket("/ws/notifications/", alice)
    await receive(comm)
    _inside, release, task = await _in_open_transaction(
        lambda: notify(recipients=[alice.pk], kind="project.state", verb="已提交"), fail=False
    )
    assert await comm.receive_nothing(timeout=0.7)  # written, not yet committed: silence
    release.set()
    await task
    assert (await receive(comm))["notification"]["verb"] == "已提交"
    await comm.disconnect()


async def test_rolled_back_change_sends_nothing(alice: Any) -> None:
    comm, _, _ = await open_socket("/ws/notifications/", alice)
    await receive(comm)
    _inside, release, task = await _in_open_transaction(
        lambda: notify(recipients=[alice.pk], kind="project.state", verb="不会发出"), fail=True
    )
    release.set()
    await task
    assert await comm.receive_nothing(timeout=1.0)
    await comm.disconnect()


async def test_vote_reaches_the_public_screen_after_commit_without_login(
    evaluating_project: Any, voters: list[Any]
) -> None:
    screen, connected, _ = await open_socket("/ws/screen/xingfu/")
    other, _, _ = await open_socket("/ws/screen/heping/")
    assert connected
    await database_sync_to_async(services.evaluation_vote)(
        project=evaluating_project, by=voters[0], choice="satisfied"
    )
    assert await screen.receive_nothing(timeout=0.5)  # one ballot alone is never published
    _inside, release, task = await _in_open_transaction(
        lambda: services.evaluation_vote(
            project=evaluating_project, by=voters[1], choice="satisfied"
        ),
        fail=False,
    )
    assert await screen.receive_nothing(timeout=0.5)
    release.set()
    await task
    event = await receive(screen)
    assert (event["kind"], event["project_id"]) == ("evaluation.tally", evaluating_project.pk)
    assert isinstance(event["published_at"], float)
    assert await other.receive_nothing(timeout=0.3)  # another community's screen hears nothing
    await screen.disconnect()
    await other.disconnect()


async def test_project_page_hears_its_project(evaluating_project: Any, voters: list[Any]) -> None:
    comm, connected, _ = await open_socket(f"/ws/projects/{evaluating_project.pk}/")
    assert connected
    for voter in voters[:2]:
        await database_sync_to_async(services.evaluation_vote)(
            project=evaluating_project, by=voter, choice="basically_satisfied"
        )
    event = await receive(comm)
    assert (event["kind"], event["project_id"]) == ("evaluation.tally", evaluating_project.pk)
    await comm.disconnect()


# --- bad messages close only their own connection --------------------------------------------
@pytest.mark.parametrize(
    ("frame", "why"),
    [
        ({"text_data": "not json"}, "malformed"),
        ({"text_data": json.dumps({"type": "ping", "pad": "x" * MAX_MESSAGE_BYTES})}, "oversized"),
        ({"text_data": "[" * 3000 + "]" * 3000}, "nested past the recursion limit"),
        ({"text_data": "[1, 2]"}, "not an object"),
        ({"text_data": json.dumps({"type": "subscribe", "group": "user.1"})}, "not a ping"),
        ({"bytes_data": b"\x00\x01"}, "binary"),
    ],
)
async def test_bad_message_closes_that_connection_and_the_server_goes_on(
    frame: dict[str, Any], why: str, transactional_db: None
) -> None:
    bad, _, _ = await open_socket("/ws/screen/xingfu/")
    good, _, _ = await open_socket("/ws/screen/xingfu/")
    await bad.send_to(**frame)
    assert await closed_with(bad) == 4400, why
    await good.send_to(text_data='{"type": "ping"}')
    assert await receive(good) == {"kind": "pong"}
    after, connected, _ = await open_socket("/ws/screen/xingfu/")
    assert connected
    await get_channel_layer().group_send(
        "screen.xingfu", layer_message("screen.xingfu", {"kind": "x"})
    )
    assert (await receive(good))["kind"] == "x"
    assert (await receive(after))["kind"] == "x"
    await good.disconnect()
    await after.disconnect()


async def test_a_flood_of_messages_closes_the_connection(transactional_db: None) -> None:
    comm, _, _ = await open_socket("/ws/screen/xingfu/")
    for _ in range(MAX_MESSAGES_PER_WINDOW):
        await comm.send_to(text_data='{"type": "ping"}')
        assert await receive(comm) == {"kind": "pong"}
    await comm.send_to(text_data='{"type": "ping"}')
    assert await closed_with(comm) == 4429


# --- one subscription per process (notifications.hub) ----------------------------------------
async def _publish(group: str, kind: str) -> None:
    await get_channel_layer().group_send(group, layer_message(group, {"kind": kind}))


async def test_every_local_socket_hears_an_event_and_closed_ones_stop(
    transactional_db: None,
) -> None:
    sockets = [(await open_socket("/ws/screen/xingfu/"))[0] for _ in range(3)]
    await _publish("screen.xingfu", "first")
    for comm in sockets:
        assert (await receive(comm))["kind"] == "first"
    await sockets[0].disconnect()
    await sockets[1].disconnect()
    await _publish("screen.xingfu", "second")
    assert (await receive(sockets[2]))["kind"] == "second"
    await sockets[2].disconnect()
    again, connected, _ = await open_socket("/ws/screen/xingfu/")  # the hub starts afresh
    assert connected
    await _publish("screen.xingfu", "third")
    assert (await receive(again))["kind"] == "third"
    await again.disconnect()


async def test_hub_joins_its_groups_again_after_the_layer_forgot_them(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications import hub as hub_module

    monkeypatch.setattr(hub_module, "REJOIN_SECONDS", 0.2)
    comm, _, _ = await open_socket("/ws/screen/xingfu/")
    channel = hub_module.hub().channel
    assert channel is not None
    await get_channel_layer().group_discard("screen.xingfu", channel)  # as group_expiry would
    await _publish("screen.xingfu", "lost")
    assert await comm.receive_nothing(timeout=0.1)
    await asyncio.sleep(0.4)
    await _publish("screen.xingfu", "heard")
    assert (await receive(comm))["kind"] == "heard"
    await comm.disconnect()


# --- what the public groups show: the sealed tally, read by the hub (issue 15 #4) ----------------
def _sealed_at_five(rnd: Any) -> Tally:
    """A stand-in for the sealed count: 5 satisfied, whatever the ballots cast since."""
    return Tally(
        round=rnd.number,
        eligible=rnd.eligible,
        satisfied=5,
        basically_satisfied=0,
        dissatisfied=0,
        pass_rate=Decimal("0.80"),
        min_turnout=Decimal("0.50"),
    )


async def test_screen_and_project_page_show_only_the_public_tally_never_a_fresher_count(
    evaluating_project: Any, cast: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever else happens — a vote's own event, an event that carries numbers of its own, a
    page or screen (re)loading the snapshot — the public sees ``services.evaluation_tally``, the
    count published in steps of sealed ballots, never the ballot just cast."""
    from deliberation.services import evaluation

    monkeypatch.setattr(services, "evaluation_tally", _sealed_at_five)  # the pages' and screen's
    monkeypatch.setattr(evaluation, "evaluation_tally", _sealed_at_five)  # the services' own
    screen, _, _ = await open_socket("/ws/screen/xingfu/")
    page, _, _ = await open_socket(f"/ws/projects/{evaluating_project.pk}/")
    await database_sync_to_async(services.evaluation_vote)(
        project=evaluating_project, by=cast["resident"], choice="dissatisfied"
    )
    # "The tally changed", as a sealed batch announces it (a single vote may announce nothing).
    changed = {"kind": "evaluation.tally", "project_id": evaluating_project.pk}
    await database_sync_to_async(events.publish_many)(
        [(f"project.{evaluating_project.pk}", changed), ("screen.xingfu", changed)]
    )
    for comm in (screen, page):
        event = await receive(comm)
        assert event["kind"] == "evaluation.tally"
        assert (event["tally"]["votes"], event["tally"]["dissatisfied"]) == (5, 0)
    forged = {
        "kind": "evaluation.tally",
        "project_id": evaluating_project.pk,
        "tally": {"votes": 1},
    }
    await get_channel_layer().group_send("screen.xingfu", layer_message("screen.xingfu", forged))
    assert (await receive(screen))["tally"]["votes"] == 5
    client = Client()
    snapshot = await sync_to_async(lambda: client.get("/screen/xingfu/snapshot/").json())()
    [board] = snapshot["evaluations"]
    assert (board["tally"]["votes"], board["tally"]["dissatisfied"]) == (5, 0)
    await screen.disconnect()
    await page.disconnect()


async def test_a_tally_event_for_a_project_without_a_round_sends_nothing(
    transactional_db: None,
) -> None:
    screen, _, _ = await open_socket("/ws/screen/xingfu/")
    event = {"kind": "evaluation.tally", "project_id": 987654}
    await get_channel_layer().group_send("screen.xingfu", layer_message("screen.xingfu", event))
    assert await screen.receive_nothing(timeout=0.5)
    await screen.disconnect()
