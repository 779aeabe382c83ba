"""Email delivery, off the request path: a django-tasks task run by ``manage.py db_worker``.

Each notification is claimed (``emailed_at`` set) right before its email is sent, so a task that
runs twice, or two workers, send each email once. A send that fails gives the claim back and the
task fails (visible in the task results), so the rest can be retried.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from notifications.kinds import kind_info
from notifications.models import Notification
from notifications.selectors import choices_for, languages_of

log = logging.getLogger(__name__)


def site_url(path: str) -> str:
    """An absolute link for emails (``YISHI_SITE_URL``, e.g. ``https://yishi.example.org``)."""
    base = getattr(settings, "YISHI_SITE_URL", "") or "http://127.0.0.1:8000"
    return urljoin(base.rstrip("/") + "/", path.lstrip("/"))


def _message(n: Notification) -> EmailMessage:
    """The email, in the active language (the recipient's: see ``send_notification_emails``)."""
    context = {
        "n": n,
        "text": n.text,
        "label": kind_info(n.kind).label,
        "link": site_url(n.url) if n.url else "",
        "inbox": site_url(reverse("notification-list")),
        "preferences": site_url(reverse("notification-preferences")),
    }
    subject = " ".join(render_to_string("notifications/email_subject.txt", context).split())
    body = render_to_string("notifications/email_body.txt", context)
    return EmailMessage(subject=subject[:200], body=body, to=[n.recipient.email])


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email these notifications to recipients who still want them by email; returns how many."""
    rows = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("pk")
    )
    wants: dict[tuple[int, str], bool] = {}
    for kind in {n.kind for n in rows}:
        for uid, choice in choices_for(
            sorted({n.recipient_id for n in rows if n.kind == kind}), kind
        ).items():
            wants[(uid, kind)] = choice.by_email
    languages = languages_of(sorted({n.recipient_id for n in rows}))
    sent = 0
    connection = get_connection()
    for n in rows:
        if not (
            n.recipient.is_active and n.recipient.email and wants.get((n.recipient_id, n.kind))
        ):
            continue
        claimed = Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        try:
            with translation.override(languages[n.recipient_id]):
                message = _message(n)
            connection.send_messages([message])
        except Exception:
            Notification.objects.filter(pk=n.pk).update(emailed_at=None)
            log.exception("could not email notification %s", n.pk)
            raise
        sent += 1
    return sent
