from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts import sms


@pytest.fixture(autouse=True)
def outbox(settings: Any) -> Iterator[list[sms.SMSMessage]]:
    """Text messages land in ``accounts.sms.outbox`` (emptied for each test)."""
    settings.SMS_BACKEND = "accounts.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def last_code(outbox: list[sms.SMSMessage], to: str | None = None) -> str:
    for m in reversed(outbox):
        if to is None or m.to == to:
            return m.params["code"]
    raise AssertionError(f"no text message to {to}")
