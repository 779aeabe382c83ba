"""Text messages through a pluggable backend, the way Django sends email.

``settings.SMS_BACKEND`` names the backend class (dotted path); the default,
:class:`ConsoleBackend`, writes each message to the log and to standard output, which is where
``make run`` shows the codes. :class:`LocmemBackend` keeps them in :data:`outbox` for tests.

Wiring a real provider
----------------------
Write a class with the same interface and point ``SMS_BACKEND`` at it::

    # mysite/sms.py
    from accounts.sms import BaseBackend, SMSMessage

    class AliyunBackend(BaseBackend):
        '''Aliyun SMS (dysmsapi): one SendSms call per message, with an approved template.'''

        def __init__(self, fail_silently: bool = False, **kwargs):
            super().__init__(fail_silently=fail_silently)
            from alibabacloud_dysmsapi20170525.client import Client  # the provider's SDK
            from alibabacloud_tea_openapi.models import Config
            self.client = Client(Config(access_key_id=os.environ["ALIYUN_SMS_KEY"],
                                        access_key_secret=os.environ["ALIYUN_SMS_SECRET"],
                                        endpoint="dysmsapi.aliyuncs.com"))

        def send_messages(self, messages: list[SMSMessage]) -> int:
            from alibabacloud_dysmsapi20170525.models import SendSmsRequest
            sent = 0
            for m in messages:
                request = SendSmsRequest(
                    phone_numbers=m.to.removeprefix("+86"),      # Aliyun wants national digits
                    sign_name="议事", template_code="SMS_123456789",
                    template_param=json.dumps({"code": m.params.get("code", "")}),
                )
                try:
                    response = self.client.send_sms(request)
                    if response.body.code != "OK":
                        raise RuntimeError(response.body.message)
                    sent += 1
                except Exception:
                    if not self.fail_silently:
                        raise
            return sent

    # settings: SMS_BACKEND = "mysite.sms.AliyunBackend"

Tencent Cloud SMS is the same shape (``tencentcloud.sms.v20210111.SendSms`` with
``PhoneNumberSet=["+86..."]``, ``TemplateId`` and ``TemplateParamSet=[code]``). Providers in
China send only approved templates: ``SMSMessage.params`` carries the values (``code``) for the
template, ``body`` the full text for backends that send free text. Nothing here imports a
provider's SDK.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

DEFAULT_BACKEND = "accounts.sms.ConsoleBackend"


@dataclass
class SMSMessage:
    to: str  # E.164
    body: str  # the whole text, in the recipient's language
    params: dict[str, str] = field(default_factory=dict)  # template values (``code``)


class BaseBackend:
    """The interface: ``send_messages(messages) -> int`` returns how many were sent; with
    ``fail_silently`` a failed send is not raised."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        self.fail_silently = fail_silently

    def send_messages(self, messages: list[SMSMessage]) -> int:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Prints each message (and logs it at INFO)."""

    def send_messages(self, messages: list[SMSMessage]) -> int:
        for m in messages:
            line = f"[SMS to {m.to}] {m.body}"
            log.info("%s", line)
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        return len(messages)


outbox: list[SMSMessage] = []


class LocmemBackend(BaseBackend):
    """Keeps the messages in ``accounts.sms.outbox`` (tests empty it)."""

    def send_messages(self, messages: list[SMSMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


class DummyBackend(BaseBackend):
    def send_messages(self, messages: list[SMSMessage]) -> int:
        return len(messages)


def get_backend(path: str | None = None, **kwargs: Any) -> BaseBackend:
    cls = import_string(str(path or getattr(settings, "SMS_BACKEND", None) or DEFAULT_BACKEND))
    backend: BaseBackend = cls(**kwargs)
    return backend
