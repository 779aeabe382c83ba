"""Sending text messages off the request path: a django-tasks task run by ``db_worker``.

The code travels in the task's arguments (the worker must put it into the message); it is good
for five minutes and only for its number and purpose.
"""

from __future__ import annotations

from django.utils import translation
from django_tasks import task

from accounts.sms import SMSMessage, get_backend
from accounts.texts import code_message


@task()
def send_code_sms(to: str, code: str, purpose: str, language: str) -> int:
    """Text ``code`` to ``to`` in ``language``; returns how many messages went out."""
    with translation.override(language):
        body = code_message(code, purpose)
    return get_backend().send_messages([SMSMessage(to=to, body=body, params={"code": code})])
