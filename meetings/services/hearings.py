"""Hearings (听证会): residents sign up to speak; the secretary records what was said and
answered."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.models import (
    Body,
    HearingSpeaker,
    Meeting,
    Minutes,
)
from meetings.services.base import (
    _agenda_projects,
    _announce,
    _clean_text,
    _lock,
    _name,
    _record,
    _secretary_only,
)
from notifications.texts import Text
from projects.errors import Conflict, Forbidden
from projects.models import (
    Role,
)
from projects.selectors import user_has_role


# --- hearings (听证会) ---------------------------------------------------------------------
def hearing_signup(*, meeting: Meeting, by: User, topic: str = "") -> HearingSpeaker:
    """A registered resident of the community signs up to speak at a hearing (before it
    closes), saying briefly what about; it goes on each agenda project's timeline."""
    topic = _clean_text(topic, field="topic", max_length=500, required=False)
    with transaction.atomic():
        m = _lock(meeting)
        if m.body != Body.HEARING:
            raise Conflict(_("只有听证会可以报名发言"), state=m.status)
        if not user_has_role(by, m.community, Role.RESIDENT):
            raise Forbidden(_("只有本社区登记居民可以报名发言"))
        if m.status == Meeting.Status.CLOSED:
            raise Conflict(_("听证会已结束，不能再报名发言"), state=m.status)
        if HearingSpeaker.objects.filter(meeting=m, person=by).exists():
            raise Conflict(_("您已报名发言"), state=m.status)
        row = HearingSpeaker.objects.create(meeting=m, person=by, topic=topic)
        note = Text("hearing.signup", {"meeting": m.title, "who": _name(by)})
        for project in _agenda_projects(m):
            _record(project, actor=by, action="hearing_signup", note=note, words=topic)
        _announce(m, "hearing.signup")
    return row


def hearing_record(
    *, speaker: HearingSpeaker, by: User, summary: str, answer: str
) -> HearingSpeaker:
    """The secretary records what a speaker said and what was answered (once the hearing has
    begun, until its minutes are published); each record is an audit row with before / after."""
    summary = _clean_text(summary, field="summary", max_length=2000)
    answer = _clean_text(answer, field="answer", max_length=2000)
    with transaction.atomic():
        m = _lock(speaker.meeting)
        sp = HearingSpeaker.objects.select_for_update().select_related("person").get(pk=speaker.pk)
        _secretary_only(m, by)
        if m.status == Meeting.Status.PLANNED:
            raise Conflict(_("听证会开始后才能记录发言"), state=m.status)
        if Minutes.objects.filter(meeting=m, published_at__isnull=False).exists():
            raise Conflict(_("纪要已公布，不能修改"), state=m.status)
        before = {"summary": sp.summary, "answer": sp.answer} if sp.recorded_at else None
        sp.summary, sp.answer = summary, answer
        sp.recorded_by, sp.recorded_at = by, timezone.now()
        sp.save(update_fields=["summary", "answer", "recorded_by", "recorded_at"])
        params: dict[str, Any] = {
            "meeting": m.title,
            "who": _name(sp.person),
            "summary": summary,
            "answer": answer,
        }
        if before is not None:
            params["before"] = before
        note = Text("hearing.speech", params)
        for project in _agenda_projects(m):
            _record(project, actor=by, action="hearing_speech", note=note)
        _announce(m, "hearing.speech")
    return sp
