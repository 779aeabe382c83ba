"""Demo content for meetings (``seed_demo`` calls :func:`seed`), and whole meetings on one
project, each convened, attended, voted or heard, closed and minuted: :func:`council_meeting`
(which the demo seed, the tests and the benchmarks use wherever a project must pass the
council's step), :func:`committee_meeting` (the committee's roll-call hosted in its meeting) and
:func:`hearing` (a 听证会 where residents speak, held before the committee decides a large
project)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from meetings import services
from meetings.models import AgendaItem, Body, Meeting
from projects.models import Community, Membership, Project, Role, State


def _convene(
    *, project: Project, secretary: User, body: str, title: str, place: str, matter: str
) -> Meeting:
    """Convene a two-hour meeting of ``body`` now, with ``project`` the one item, and open it."""
    now = timezone.now()
    meeting = services.meeting_create(
        community=project.community,
        by=secretary,
        body=body,
        title=title,
        starts_at=now,
        ends_at=now + timedelta(hours=2),
        place=place,
        items=[services.ItemSpec(matter, project)],
    )
    services.meeting_open(meeting=meeting, by=secretary)
    return meeting


def _sign_in(meeting: Meeting, members: Sequence[User]) -> None:
    for member in members:
        services.meeting_confirm(meeting=meeting, by=member)
        services.attendance_sign(meeting=meeting, by=member)


def _close(meeting: Meeting, *, secretary: User, minutes: str) -> None:
    """Close ``meeting``; with ``minutes``, write and publish them (no objection period)."""
    services.meeting_close(meeting=meeting, by=secretary)
    if minutes:
        mn = services.minutes_write(meeting=meeting, by=secretary, body=minutes, objection_days=0)
        services.minutes_publish(minutes=mn, by=secretary)


def council_meeting(
    *,
    project: Project,
    secretary: User,
    members: Sequence[User],
    choices: Sequence[str] | None = None,
    minutes: str = "",
    title: str = "居民议事会会议",
) -> AgendaItem:
    """Convene a council meeting with ``project`` on the agenda, open it, sign ``members`` in,
    let each vote (``choices``, default all 赞成), close the item (which recommends the project
    when the vote carries) and the meeting; with ``minutes``, write and publish them too."""
    meeting = _convene(
        project=project,
        secretary=secretary,
        body=Body.COUNCIL,
        title=title,
        place="社区党群服务中心议事厅",
        matter=f"是否建议党委批准实施“{project.title}”",
    )
    _sign_in(meeting, members)
    item = meeting.items.get()
    for member, choice in zip(members, choices or ["yes"] * len(members), strict=True):
        services.item_vote(item=item, by=member, choice=choice, conflict="利益相关")
    item = services.item_close(item=item, by=secretary)
    _close(meeting, secretary=secretary, minutes=minutes)
    return item


def committee_meeting(
    *,
    project: Project,
    secretary: User,
    members: Sequence[User],
    amount: Decimal,
    reason: str = "",
    minutes: str = "",
    title: str = "社区党委会会议",
) -> AgendaItem:
    """Convene a committee meeting with ``project`` (in 党委决策) on the agenda, sign
    ``members`` in, put the project to the committee's roll-call on approving ``amount``, let
    every member present vote 赞成, close the item (which approves the project) and the meeting;
    with ``minutes``, write and publish them too."""
    meeting = _convene(
        project=project,
        secretary=secretary,
        body=Body.COMMITTEE,
        title=title,
        place="社区党群服务中心会议室",
        matter=f"是否批准实施“{project.title}”",
    )
    _sign_in(meeting, members)
    item = services.item_open_rollcall(
        item=meeting.items.get(), by=secretary, motion="approve", amount=amount, reason=reason
    )
    for member in members:
        services.item_vote(item=item, by=member, choice="yes")
    item = services.item_close(item=item, by=secretary)
    _close(meeting, secretary=secretary, minutes=minutes)
    return item


def hearing(
    *,
    project: Project,
    secretary: User,
    speakers: Sequence[tuple[User, str, str, str]],
    minutes: str,
    title: str = "听证会",
) -> Meeting:
    """Hold a hearing (听证会) on ``project``: each of ``speakers`` (resident, topic, what they
    said, what was answered) signs up and is heard; the minutes, published, record that the
    hearing was held, so the committee may decide."""
    meeting = _convene(
        project=project,
        secretary=secretary,
        body=Body.HEARING,
        title=title,
        place="社区党群服务中心议事厅",
        matter=f"听取居民对“{project.title}”的意见",
    )
    for resident, topic, said, answered in speakers:
        speaker = services.hearing_signup(meeting=meeting, by=resident, topic=topic)
        services.attendance_sign(meeting=meeting, by=resident)
        services.hearing_record(speaker=speaker, by=secretary, summary=said, answer=answered)
    _close(meeting, secretary=secretary, minutes=minutes)
    return meeting


# The upcoming meetings: (body, convened by, projects in, title, in days, at hour, place,
# the matter for each project)
UPCOMING = [
    (Body.COUNCIL, Role.CLERK, State.DELIBERATING, "居民议事会月度会议", 3, 19,
     "社区党群服务中心议事厅", "是否建议党委批准实施“{}”"),
    (Body.COMMITTEE, Role.COMMITTEE, State.DECIDING, "社区党委会会议", 2, 15,
     "社区党群服务中心会议室", "是否批准实施“{}”"),
]  # fmt: skip


def seed(stdout: Any = None) -> None:
    """Per community: an upcoming council meeting whose agenda holds the projects still in
    议事会协商, and an upcoming committee meeting on those awaiting its decision (the past
    meetings, minutes published, come from the demo lifecycle: every project past the council's
    step went through :func:`council_meeting`, past the committee's :func:`committee_meeting`)."""
    for body, role, state, title, days, hour, place, matter in UPCOMING:
        for community in Community.objects.order_by("pk"):
            convener = (
                Membership.objects.filter(community=community, role=role)
                .select_related("user")
                .order_by("user_id")
                .first()
            )
            waiting = list(
                Project.objects.filter(community=community, state=state).order_by("pk")[:3]
            )
            if convener is None or not waiting:
                continue
            start = (timezone.localtime() + timedelta(days=days)).replace(
                hour=hour, minute=0, second=0, microsecond=0
            )
            services.meeting_create(
                community=community,
                by=convener.user,
                body=body,
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                place=place,
                items=[services.ItemSpec(matter.format(p.title), p) for p in waiting],
            )
            if stdout is not None:
                stdout.write(f"meetings: {community.name}: 1 upcoming {body} meeting")
