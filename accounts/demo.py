"""Demo numbers, and where the codes show up (``make demo``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from accounts.models import Phone

NUMBERS = {"resident1": "+8613800000001", "clerk1": "+8613800000101"}


def seed(stdout: Any) -> None:
    users = get_user_model().objects.filter(username__in=NUMBERS)
    for user in users:
        Phone.objects.get_or_create(user=user, defaults={"number": NUMBERS[user.username]})
    backend = getattr(settings, "SMS_BACKEND", "accounts.sms.ConsoleBackend")
    where = (
        "printed in the terminal running `make run` (the db_worker line '[SMS to ...]')"
        if backend.endswith("ConsoleBackend")
        else f"sent by {backend}"
    )
    stdout.write(
        "Sign-up and code sign-in: /account/signup/ and /account/signin/. Codes are "
        f"{where}. Demo numbers: resident1 13800000001, clerk1 13800000101."
    )
