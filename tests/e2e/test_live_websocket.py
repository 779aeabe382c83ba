"""Websockets against a real daphne process: a malformed or oversized message closes only that
connection, and the server goes on serving the others (and new ones)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.slow


def open_ws(stack: Stack, path: str, **kw: Any) -> Any:
    return connect(
        stack.server.ws_url + path, origin=stack.server.url, proxy=None, open_timeout=5, **kw
    )  # type: ignore[arg-type]


async def ping(ws: ClientConnection) -> dict[str, Any]:
    await ws.send('{"type": "ping"}')
    return dict(json.loads(await asyncio.wait_for(ws.recv(), 5)))


async def close_code(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    return closed.value.rcvd.code if closed.value.rcvd else None


@pytest.mark.parametrize(
    ("message", "expected_code"),
    [
        ("x" * 5000, {4400}),  # over the consumer's 4 KiB limit
        ("{not json", {4400}),
        ("[" * 50000, {4400}),  # nested past Python's recursion limit, still under 1 MiB
        # Over daphne's 1 MiB limit autobahn fails the connection: "message too big" (1009), or,
        # when the client is still sending, it drops the TCP connection without a close frame.
        ("y" * (2 * 1024 * 1024), {1009, None}),
    ],
    ids=["oversized", "malformed", "deeply-nested", "over-the-server-limit"],
)
async def test_bad_message_closes_only_that_connection(
    stack: Stack, message: str, expected_code: set[int | None]
) -> None:
    async with (
        open_ws(stack, "/ws/screen/live-ws/") as good,
        open_ws(stack, "/ws/screen/live-ws/", max_size=None) as bad,
    ):
        from websockets.exceptions import ConnectionClosed

        try:
            await bad.send(message)
        except ConnectionClosed:  # the server dropped it mid-send: no close frame, no code
            code = None
        else:
            code = await close_code(bad)
        assert code in expected_code
        assert await ping(good) == {"kind": "pong"}
    async with open_ws(stack, "/ws/screen/live-ws/") as fresh:
        assert await ping(fresh) == {"kind": "pong"}
    assert stack.server.proc is not None and stack.server.proc.poll() is None


async def test_anonymous_socket_to_a_personal_group_is_refused(stack: Stack) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        async with open_ws(stack, "/ws/notifications/"):
            pass
    assert refused.value.response.status_code == 403
