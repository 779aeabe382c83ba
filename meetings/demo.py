"""Demo content for meetings (``seed_demo`` calls :func:`seed`), and :func:`council_meeting`,
the whole council meeting on one project — convened, attended, voted, closed — which the demo
seed, the tests and the benchmarks use wherever a project must pass the council's step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from meetings import services
from meetings.models import AgendaItem, Body
from projects.models import Community, Membership, Project, Role, State


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
    now = timezone.now()
    meeting = services.meeting_create(
        community=project.community,
        by=secretary,
        body=Body.COUNCIL,
        title=title,
        starts_at=now,
        ends_at=now + timedelta(hours=2),
        place="社区党群服务中心议事厅",
        items=[services.ItemSpec(f"是否建议党委批准实施“{project.title}”", project)],
    )
    services.meeting_open(meeting=meeting, by=secretary)
    for member in members:
        services.meeting_confirm(meeting=meeting, by=member)
        services.attendance_sign(meeting=meeting, by=member)
    item = meeting.items.get()
    for member, choice in zip(members, choices or ["yes"] * len(members), strict=True):
        services.item_vote(item=item, by=member, choice=choice, conflict="利益相关")
    item = services.item_close(item=item, by=secretary)
    services.meeting_close(meeting=meeting, by=secretary)
    if minutes:
        mn = services.minutes_write(meeting=meeting, by=secretary, body=minutes, objection_days=0)
        services.minutes_publish(minutes=mn, by=secretary)
    return item


def seed(stdout: Any = None) -> None:
    """Per community with a council: an upcoming council meeting whose agenda holds the projects
    still in 议事会协商 (the past meetings, minutes published, come from the demo lifecycle:
    every project past the council's step went through :func:`council_meeting`)."""
    for community in Community.objects.order_by("pk"):
        clerk = (
            Membership.objects.filter(community=community, role=Role.CLERK)
            .select_related("user")
            .order_by("user_id")
            .first()
        )
        waiting = list(
            Project.objects.filter(community=community, state=State.DELIBERATING).order_by("pk")[:3]
        )
        if clerk is None or not waiting:
            continue
        start = (timezone.localtime() + timedelta(days=3)).replace(
            hour=19, minute=0, second=0, microsecond=0
        )
        services.meeting_create(
            community=community,
            by=clerk.user,
            body=Body.COUNCIL,
            title="居民议事会月度会议",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            place="社区党群服务中心议事厅",
            items=[services.ItemSpec(f"是否建议党委批准实施“{p.title}”", p) for p in waiting],
        )
        if stdout is not None:
            stdout.write(f"meetings: {community.name}: 1 upcoming council meeting")
