"""Two server processes sharing PostgreSQL and Redis: what happens through one reaches websockets
connected to the other — a vote cast through process A's API reaches the public screen on B, and a
state change made through A reaches the proposer's own socket on B."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import ClientConnection, connect

from deliberation.models import EvaluationRound
from deliberation.services import evaluation_close_due
from tests.e2e import live

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _shared_stack_available() -> str:
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (DATABASE_URL=postgres://…): two processes cannot share SQLite's in-memory test database"
    if not str(getattr(settings, "REDIS_URL", "")).startswith("redis"):
        return "needs Redis (REDIS_URL=redis://…): the in-memory channel layer lives inside one process"
    return ""


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def two_servers(transactional_db: None, tmp_path: Any) -> Iterator[tuple[live.Daphne, live.Daphne]]:
    reason = _shared_stack_available()
    if reason:
        pytest.skip(reason)
    env = live.server_env(_test_database_url(), settings.REDIS_URL)
    a, b = live.Daphne(env, tmp_path, "a"), live.Daphne(env, tmp_path, "b")
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.close()
        b.close()


def _session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _socket(server: live.Daphne, path: str, cookie: str = "") -> Any:
    headers = {"Cookie": cookie} if cookie else None
    return connect(
        server.ws_url + path,
        origin=server.url,
        additional_headers=headers,
        proxy=None,
        open_timeout=10,
    )  # type: ignore[arg-type]


async def _next_event(ws: ClientConnection, kind: str, timeout: float = 5) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            event = dict(json.loads(await ws.recv()))
            if event.get("kind") == kind:
                return event

    return await asyncio.wait_for(wait(), timeout)


async def test_vote_through_one_process_reaches_a_screen_on_the_other(
    two_servers: tuple[live.Daphne, live.Daphne], evaluating_project: Any, voters: list[Any]
) -> None:
    a, b = two_servers
    tokens = await sync_to_async(lambda: [Token.objects.create(user=v).key for v in voters[:2]])()
    url = f"{a.url}/api/v1/projects/{evaluating_project.pk}/evaluation/"
    async with _socket(b, "/ws/screen/xingfu/") as screen:
        for token in tokens:  # a batch of two (the round's tally step) is sealed and published
            status, body = await asyncio.to_thread(
                live.api_post, url, token, {"choice": "satisfied"}
            )
            assert status == 201, body
        event = await _next_event(screen, "evaluation.tally")
    assert event["project_id"] == evaluating_project.pk
    assert (body["votes"], body["satisfied"]) == (2, 2)  # the sealed public tally


async def test_state_change_by_the_clock_reaches_the_proposer_on_the_other_process(
    two_servers: tuple[live.Daphne, live.Daphne],
    evaluating_project: Any,
    cast: dict[str, Any],
    voters: list[Any],
) -> None:
    """Votes go in through server A; the evaluation window ends and the clock (``manage.py tick``,
    a process of its own: here the test's) closes it; the proposer's socket on server B hears
    that the project is 已结项."""
    a, b = two_servers

    def prepare() -> tuple[str, list[str]]:
        tokens = [Token.objects.create(user=v).key for v in voters[:4]]
        return _session_cookie(cast["resident"]), tokens

    cookie, voter_tokens = await sync_to_async(prepare)()
    base = f"{a.url}/api/v1/projects/{evaluating_project.pk}"
    for token in voter_tokens:
        status, body = await asyncio.to_thread(
            live.api_post, f"{base}/evaluation/", token, {"choice": "satisfied"}
        )
        assert status == 201, body
    await sync_to_async(
        lambda: EvaluationRound.objects.filter(project=evaluating_project).update(
            closes_at=timezone.now() - timedelta(minutes=1)
        )
    )()
    async with _socket(b, "/ws/notifications/", cookie) as mine:
        assert (await _next_event(mine, "unread"))["unread"] >= 0
        closed = await sync_to_async(evaluation_close_due)()
        assert closed == 1
        event = await _next_event(mine, "notification")
    assert event["notification"]["kind"] == "project.state"
    assert event["notification"]["project_id"] == evaluating_project.pk
    assert "已结项" in event["notification"]["verb"]
