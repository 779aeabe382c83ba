"""Convening a meeting (its agenda and invitations), confirming, opening and closing it, and
signing in on the day."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.models import Decision
from meetings.models import (
    AgendaItem,
    Attendance,
    Body,
    Invitation,
    Meeting,
)
from meetings.services.base import (
    MAX_ITEMS,
    ItemSpec,
    _announce,
    _clean_text,
    _lock,
    _secretary_only,
    body_members,
    is_member,
    may_convene,
    meeting_quorum,
)
from notifications.services import notify
from notifications.texts import iso
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Community,
    Project,
    ProjectFollower,
)


def _hearing_invitees(community: Community, specs: Sequence[ItemSpec]) -> list[int]:
    """The current residents who proposed or follow a project on the hearing's agenda."""
    projects = [s.project.pk for s in specs if s.project is not None]
    involved = set(
        ProjectFollower.objects.filter(project_id__in=projects).values_list("user_id", flat=True)
    ) | set(Project.objects.filter(pk__in=projects).values_list("proposer_id", flat=True))
    residents = body_members(community, Body.HEARING).filter(user_id__in=involved)
    return sorted(set(residents.values_list("user_id", flat=True)))


def _clean_details(body: str, title: str, place: str, video_url: str) -> tuple[str, str, str]:
    """The body checked; the title, place and video link cleaned (a place or a link is needed)."""
    if body not in Body.values:
        raise Invalid(_("未知的会议类型"), errors={"body": [_("无效选项")]})
    title = _clean_text(title, field="title", max_length=120)
    place = _clean_text(place, field="place", max_length=200, required=False)
    video_url = _clean_text(video_url, field="video_url", max_length=500, required=False)
    if not place and not video_url:
        raise Invalid(_("请填写地点或视频会议链接"), errors={"place": [_("此项必填")]})
    if video_url and not video_url.startswith(("https://", "http://")):
        raise Invalid(_("视频会议链接须以 https:// 开头"), errors={"video_url": [_("无效链接")]})
    return title, place, video_url


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    """The meeting's times are aware, and it ends after it starts."""
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise Invalid(_("时间无效"), errors={"starts_at": [_("无效时间")]})
    if ends_at <= starts_at:
        raise Invalid(_("结束时间须晚于开始时间"), errors={"ends_at": [_("须晚于开始时间")]})


def _clean_agenda(items: Sequence[ItemSpec]) -> list[ItemSpec]:
    """The agenda's items, their matters cleaned: at least one, at most ``MAX_ITEMS``."""
    if len(items) > MAX_ITEMS:
        raise Invalid(_("议程过多"), errors={"items": [_("过多")]})
    specs = [
        ItemSpec(_clean_text(i.matter, field="items", max_length=500), i.project) for i in items
    ]
    if not specs:
        raise Invalid(_("请至少列出一项议程"), errors={"items": [_("此项必填")]})
    return specs


def _check_agenda_projects(community: Community, specs: Sequence[ItemSpec]) -> None:
    """Every project on the agenda belongs to the meeting's community."""
    for spec in specs:
        if spec.project is not None and spec.project.community_id != community.pk:
            raise Invalid(_("议程中的项目须属于本社区"), errors={"items": [_("无效项目")]})


def _invitee_ids(
    community: Community, body: str, specs: Sequence[ItemSpec], invitees: Iterable[User] | None
) -> list[int]:
    """Who is invited: those given, else a hearing's involved residents or the body's members."""
    if invitees is None and body == Body.HEARING:
        return _hearing_invitees(community, specs)
    if invitees is None:
        return list(body_members(community, body).values_list("user_id", flat=True).distinct())
    return sorted({u.pk for u in invitees})


def _invite(meeting: Meeting, people: list[int], specs: Sequence[ItemSpec], by: User) -> None:
    """Invite each person to the meeting and notify them with its agenda."""
    Invitation.objects.bulk_create([Invitation(meeting=meeting, member_id=p) for p in people])
    agenda = "；".join(f"{n}. {s.matter}" for n, s in enumerate(specs, start=1))
    notify(
        recipients=people,
        kind="meeting.invited",
        params={
            "title": meeting.title,
            "starts_at": iso(meeting.starts_at),
            "place": meeting.place or meeting.video_url,
            "agenda": agenda,
        },
        actor=by,
        url=f"/meetings/{meeting.pk}/",
    )


def meeting_create(
    *,
    community: Community,
    by: User,
    body: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
    video_url: str = "",
    items: Sequence[ItemSpec] = (),
    invitees: Iterable[User] | None = None,
) -> Meeting:
    """Convene a meeting: its agenda, and invitations (by default every current member of the
    council / committee; a hearing, open to every resident, by default invites the residents who
    proposed or follow a project on its agenda). Each invitee is notified with the agenda."""
    title, place, video_url = _clean_details(body, title, place, video_url)
    _check_times(starts_at, ends_at)
    specs = _clean_agenda(items)
    if not may_convene(by, community, body):
        raise Forbidden(_("只有社区服务中心或该会议的成员可以召集会议"))
    _check_agenda_projects(community, specs)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            community=community,
            body=body,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            video_url=video_url,
            secretary=by,
        )
        AgendaItem.objects.bulk_create(
            [
                AgendaItem(meeting=meeting, order=n, project=s.project, matter=s.matter)
                for n, s in enumerate(specs, start=1)
            ]
        )
        people = _invitee_ids(community, body, specs, invitees)
        _invite(meeting, people, specs, by)
        _announce(meeting, "meeting.created")
    return meeting


def meeting_confirm(*, meeting: Meeting, by: User) -> Invitation:
    """An invited member confirms they will attend."""
    with transaction.atomic():
        m = _lock(meeting)
        if m.status == Meeting.Status.CLOSED:
            raise Conflict(_("会议已结束"), state=m.status)
        inv = Invitation.objects.select_for_update().filter(meeting=m, member=by).first()
        if inv is None:
            raise Forbidden(_("您未受邀参加此会议"))
        if inv.confirmed_at is None:
            inv.confirmed_at = timezone.now()
            inv.save(update_fields=["confirmed_at"])
    return inv


def meeting_open(*, meeting: Meeting, by: User) -> Meeting:
    """The secretary opens the meeting: sign-in and voting begin."""
    with transaction.atomic():
        m = _lock(meeting)
        _secretary_only(m, by)
        if m.status != Meeting.Status.PLANNED:
            raise Conflict(_("只有待召开的会议可以开始"), state=m.status)
        m.status, m.opened_at = Meeting.Status.OPEN, timezone.now()
        m.save(update_fields=["status", "opened_at"])
        _announce(m, "meeting.opened")
    return m


def meeting_close(*, meeting: Meeting, by: User) -> Meeting:
    """The secretary closes the meeting; items not closed stay undecided."""
    with transaction.atomic():
        m = _lock(meeting)
        _secretary_only(m, by)
        if m.status != Meeting.Status.OPEN:
            raise Conflict(_("只有进行中的会议可以结束"), state=m.status)
        if m.items.filter(decision__result=Decision.Result.OPEN).exists():
            raise Conflict(_("请先结束正在进行的党委决策表决"), state=m.status)
        m.status, m.closed_at = Meeting.Status.CLOSED, timezone.now()
        m.save(update_fields=["status", "closed_at"])
        _announce(m, "meeting.closed")
    return m


# --- attendance ------------------------------------------------------------------------------
def attendance_sign(*, meeting: Meeting, by: User, how: str = Attendance.How.PHONE) -> Attendance:
    """A member signs in on the day (on their phone, or from the hall screen's QR code)."""
    if how not in Attendance.How.values:
        raise Invalid(_("未知的签到方式"), errors={"how": [_("无效选项")]})
    with transaction.atomic():
        m = _lock(meeting)
        invited = Invitation.objects.filter(meeting=m, member=by).exists()
        if not (is_member(by, m) or invited):
            raise Forbidden(_("只有受邀成员可以签到"))
        if m.status != Meeting.Status.OPEN:
            raise Conflict(_("会议进行中才能签到"), state=m.status)
        try:
            with transaction.atomic():
                row = Attendance.objects.create(meeting=m, member=by, how=how)
        except IntegrityError:
            raise Invalid(_("您已签到")) from None
        q = meeting_quorum(m)
        _announce(m, "meeting.attendance", present=q.present, needed=q.needed)
    return row
