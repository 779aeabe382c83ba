"""Minutes: written by the secretary, objected to by members within the window, published on
each agenda project's timeline (a hearing's publication records that it was held)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import actions
from meetings.models import (
    Attendance,
    Body,
    Invitation,
    Meeting,
    Minutes,
    MinutesObjection,
)
from meetings.services.base import (
    MAX_OBJECTION_DAYS,
    _agenda_projects,
    _announce,
    _clean_text,
    _lock,
    _record,
    _secretary_only,
)
from notifications.services import notify
from notifications.texts import Text, iso
from projects.errors import Conflict, Forbidden, Invalid


# --- minutes ---------------------------------------------------------------------------------
def minutes_write(*, meeting: Meeting, by: User, body: str, objection_days: int) -> Minutes:
    """The secretary writes (or rewrites) the minutes after the meeting; members may object
    until ``objection_days`` days from now. Those invited or present are told."""
    body = _clean_text(body, field="body", max_length=20000)
    if not 0 <= objection_days <= MAX_OBJECTION_DAYS:
        raise Invalid(
            _("异议期须在 0 到 %(n)d 天之间") % {"n": MAX_OBJECTION_DAYS},
            errors={"objection_days": [_("超出范围")]},
        )
    with transaction.atomic():
        m = _lock(meeting)
        _secretary_only(m, by)
        if m.status != Meeting.Status.CLOSED:
            raise Conflict(_("会议结束后才能撰写纪要"), state=m.status)
        until = timezone.now() + timedelta(days=objection_days)
        minutes = Minutes.objects.select_for_update().filter(meeting=m).first()
        if minutes is not None and minutes.published_at is not None:
            raise Conflict(_("纪要已公布，不能修改"), state=m.status)
        if minutes is None:
            minutes = Minutes(meeting=m)
        minutes.body, minutes.written_by, minutes.objection_until = body, by, until
        minutes.save()
        people = set(Invitation.objects.filter(meeting=m).values_list("member_id", flat=True))
        people |= set(Attendance.objects.filter(meeting=m).values_list("member_id", flat=True))
        notify(
            recipients=sorted(people),
            kind="meeting.minutes",
            params={"title": m.title, "until_at": iso(until)},
            actor=by,
            url=f"/meetings/{m.pk}/#minutes",
        )
    return minutes


def minutes_object(*, minutes: Minutes, by: User, body: str) -> MinutesObjection:
    """A member invited to or present at the meeting objects to the minutes, within the window."""
    body = _clean_text(body, field="body", max_length=2000)
    with transaction.atomic():
        mn = Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)
        m = mn.meeting
        took_part = (
            Invitation.objects.filter(meeting=m, member=by).exists()
            or Attendance.objects.filter(meeting=m, member=by).exists()
        )
        if not took_part:
            raise Forbidden(_("只有受邀或出席的成员可以对纪要提出异议"))
        if mn.published_at is not None or timezone.now() >= mn.objection_until:
            raise Conflict(_("纪要异议期已结束"), state=m.status)
        return MinutesObjection.objects.create(minutes=mn, member=by, body=body)


def minutes_publish(*, minutes: Minutes, by: User) -> Minutes:
    """The secretary publishes the minutes once the objection window is over: they go on each
    agenda project's timeline and on the public meetings page."""
    with transaction.atomic():
        mn = (
            Minutes.objects.select_for_update()
            .select_related("meeting__community")
            .get(pk=minutes.pk)
        )
        m = mn.meeting
        _secretary_only(m, by)
        if mn.published_at is not None:
            raise Conflict(_("纪要已公布"), state=m.status)
        if timezone.now() < mn.objection_until:
            raise Conflict(
                _("纪要异议期至 %(when)s 结束，尚不能公布")
                % {"when": timezone.localtime(mn.objection_until).strftime("%Y-%m-%d %H:%M")},
                state=m.status,
            )
        mn.published_at, mn.published_by = timezone.now(), by
        mn.save(update_fields=["published_at", "published_by"])
        note = Text(
            "meeting.minutes",
            {"body": m.body, "meeting": m.title, "objections": mn.objections.count()},
        )
        projects = _agenda_projects(m)
        for project in projects:
            _record(project, actor=by, action="minutes_published", note=note, words=mn.body)
        if m.body == Body.HEARING:
            # held and its minutes published: the committee may now decide these projects
            spoke = m.speakers.filter(recorded_at__isnull=False).count()
            held = Text("hearing.held", {"meeting": m.title, "speakers": spoke})
            for project in projects:
                actions.hearing_held(project=project, by=by, note=held)
        _announce(m, "meeting.minutes")
    return mn
