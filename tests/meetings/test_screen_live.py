"""The hall screen's meeting page follows the meeting live: a signed attendance and a cast vote
reach a socket on ``/ws/screen/<slug>/`` (no login) as the meeting's public state, after commit;
the page and its snapshot show the current item and the counts per choice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from meetings import services
from meetings.models import Body, Meeting
from projects.models import Community, Project
from tests.meetings.test_services import opened

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
async def _empty_layer() -> AsyncIterator[None]:
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        await layer.flush()
    yield


async def next_live(comm: WebsocketCommunicator, change_seen: Any) -> dict[str, Any]:
    """The next ``meeting.live`` event that satisfies ``change_seen`` (others may come first)."""
    for _ in range(10):
        event = json.loads(await comm.receive_from(timeout=10))
        if event.get("kind") == "meeting.live" and change_seen(event):
            return event
    raise AssertionError("no such meeting.live event")


@pytest.mark.django_db(transaction=True)
async def test_signed_attendance_and_a_cast_vote_reach_the_connected_screen(
    community: Community, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    m, item = await database_sync_to_async(opened)(community, cast["clerk"], deliberating)
    comm = WebsocketCommunicator(application, f"/ws/screen/{community.slug}/", headers=[ORIGIN])
    connected, _ = await comm.connect(timeout=5)
    assert connected

    await database_sync_to_async(services.attendance_sign)(meeting=m, by=council[0])
    event = await next_live(comm, lambda e: e["quorum"]["present"] == 1)
    assert event["meeting_id"] == m.pk
    assert event["quorum"] == {"present": 1, "total": 3, "needed": 2, "reached": False}
    assert event["current"]["matter"] == item.matter

    await database_sync_to_async(services.attendance_sign)(meeting=m, by=council[1])
    await next_live(comm, lambda e: e["quorum"]["reached"])
    await database_sync_to_async(services.item_vote)(item=item, by=council[0], choice="yes")
    event = await next_live(comm, lambda e: e["current"]["yes"] == 1)
    assert (event["current"]["no"], event["current"]["abstain"]) == (0, 0)
    await database_sync_to_async(services.item_vote)(item=item, by=council[1], choice="no")
    event = await next_live(comm, lambda e: e["current"]["no"] == 1)
    assert event["current"]["yes"] == 1 and event["current"]["open"]

    await database_sync_to_async(services.item_close)(item=item, by=cast["clerk"])
    event = await next_live(comm, lambda e: not e["current"]["open"])
    assert event["items"][0]["outcome"] == "not_carried"
    await comm.disconnect()


@pytest.mark.django_db
def test_the_screen_page_and_snapshot_show_the_current_item_and_counts_without_login(
    community: Community, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    m, item = opened(community, cast["clerk"], deliberating)
    for member in council[:2]:
        services.attendance_sign(meeting=m, by=member)
    services.item_vote(item=item, by=council[0], choice="yes")
    client = Client()
    page = client.get(f"/screen/{community.slug}/meeting/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-meeting-id="{m.pk}"' in html and f"/ws/screen/{community.slug}/" in html
    assert '<strong data-count="yes">1</strong>' in html
    snap = client.get(f"/screen/{community.slug}/meeting/snapshot/").json()
    assert snap["meeting"]["meeting_id"] == m.pk and snap["meeting"]["body"] == Body.COUNCIL
    assert snap["meeting"]["quorum"]["present"] == 2 and snap["meeting"]["current"]["yes"] == 1
    services.item_close(item=item, by=cast["clerk"])
    services.meeting_close(meeting=m, by=cast["clerk"])
    assert Meeting.objects.get(pk=m.pk).status == Meeting.Status.CLOSED
    assert client.get(f"/screen/{community.slug}/meeting/snapshot/").json()["meeting"] is None
