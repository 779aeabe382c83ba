"""Two requests to text a code to one number at the same instant (PostgreSQL only, real parallel
connections): the number's lock row serialises them, so one code is sent and the other request
is told to wait, never two codes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from accounts import codes, sms
from accounts.models import OneTimeCode, Purpose
from accounts.services import code_send_to
from tests.projects.test_ledger_concurrency import in_parallel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's parallel connections"
    ),
]
PHONE = "+8613900139000"


@pytest.mark.parametrize("workers", [2, 8])
def test_concurrent_sends_to_one_number_send_one_code(workers: int, settings: Any) -> None:
    settings.SMS_BACKEND = "accounts.sms.LocmemBackend"
    sms.outbox.clear()

    results = in_parallel(
        workers, lambda i: code_send_to(phone=PHONE, purpose=Purpose.SIGNUP, request=None)
    )

    sent = [r for kind, r in results if kind == "ok"]
    refused = [r for kind, r in results if kind == "error"]
    assert len(sent) == 1, results
    assert len(refused) == workers - 1
    assert all(isinstance(r, codes.TooSoon) for r in refused), refused
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 1
    assert len([m for m in sms.outbox if m.to == PHONE]) == 1  # one text message went out


def test_concurrent_sends_to_two_numbers_both_go() -> None:
    numbers = ["+8613900139001", "+8613900139002"]
    results = in_parallel(
        2, lambda i: codes.issue(phone=numbers[i], purpose=Purpose.SIGNUP, client_ip=None)
    )
    assert [kind for kind, _ in results] == ["ok", "ok"]
    assert OneTimeCode.objects.filter(phone__in=numbers).count() == 2
