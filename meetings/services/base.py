"""Who is who in a meeting (the body's members, who may convene), the quorum, the audit rows on
the agenda's projects and the live announcement: what the meeting services share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.privacy import display_name
from meetings.models import (
    Attendance,
    Body,
    Meeting,
)
from notifications.events import project_group, publish_on_commit, screen_group
from notifications.texts import Text
from projects.errors import Forbidden, Invalid
from projects.models import (
    Community,
    Membership,
    Project,
    ProjectEvent,
    Role,
)
from projects.selectors import user_has_role

# The community role whose members make up each body (a hearing is open to residents).
BODY_ROLE: dict[str, str] = {
    Body.COUNCIL: Role.COUNCIL,
    Body.COMMITTEE: Role.COMMITTEE,
    Body.HEARING: Role.RESIDENT,
}
MAX_ITEMS = 20
MAX_OBJECTION_DAYS = 30


# --- who is who --------------------------------------------------------------------------------
def body_members(community: Community, body: str) -> QuerySet[Membership]:
    """The body's current members (a hearing's body is the community's residents)."""
    return Membership.objects.current().filter(community=community, role=BODY_ROLE[body])


def is_member(user: Any, meeting: Meeting) -> bool:
    return user_has_role(user, meeting.community, BODY_ROLE[meeting.body])


def may_convene(user: Any, community: Community, body: str) -> bool:
    """A clerk of the community, or (council / committee) a member of that body."""
    if user_has_role(user, community, Role.CLERK):
        return True
    return body != Body.HEARING and user_has_role(user, community, BODY_ROLE[body])


def _secretary_only(meeting: Meeting, by: User) -> None:
    if meeting.secretary_id != by.pk:
        raise Forbidden(_("只有会议秘书（召集人）可以执行此操作"))


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("community").get(pk=meeting.pk)


# --- quorum --------------------------------------------------------------------------------
def quorum_of(community: Community, body: str, members: int) -> int:
    """How many (not recused) members must be present: the committee's fraction of the
    community (``committee_quorum``), a simple majority of the council, one for a hearing."""
    if body == Body.COMMITTEE:
        return community.committee_quorum_needed(members)
    if body == Body.COUNCIL:
        return members // 2 + 1
    return 1


@dataclass(frozen=True)
class Quorum:
    members_total: int
    present: int
    needed: int

    @property
    def reached(self) -> bool:
        return self.present >= self.needed and self.present > 0

    @property
    def percent(self) -> int:
        return min(100, self.present * 100 // max(self.members_total, 1))


def _present_members(meeting: Meeting) -> set[int]:
    signed = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    members = set(body_members(meeting.community, meeting.body).values_list("user_id", flat=True))
    return signed & members


def meeting_quorum(meeting: Meeting) -> Quorum:
    """Members of the body signed in, against the quorum of the whole body."""
    if meeting.body == Body.HEARING:  # open to every resident: no roll to count against
        total = len(_present_members(meeting))
    else:
        total = body_members(meeting.community, meeting.body).count()
    return Quorum(
        members_total=total,
        present=len(_present_members(meeting)),
        needed=quorum_of(meeting.community, meeting.body, total),
    )


# --- the audit trail ---------------------------------------------------------------------------
def _record(
    project: Project | None, *, actor: User, action: str, note: Text, words: str = ""
) -> None:
    """A non-transition row on the project's timeline (hash-chained like every other)."""
    if project is None:
        return
    ProjectEvent.objects.create(
        project=project,
        actor=actor,
        action=action,
        reason=words[:2000],
        kind=note.code,
        params=note.params,
    )
    publish_on_commit(project_group(project.pk), {"kind": action, "project_id": project.pk})


# The hall screen's event: a snapshot event (``meetings.live``), answered by each process's hub
# with the meeting's public state; ``change`` says what happened, for logs and tests.
SCREEN_KIND = "meeting.live"


def _announce(meeting: Meeting, change: str, **extra: Any) -> None:
    publish_on_commit(
        screen_group(meeting.community.slug),
        {"kind": SCREEN_KIND, "meeting_id": meeting.pk, "change": change, **extra},
    )


def _name(user: User) -> str:
    return display_name(user)


# --- convening -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemSpec:
    matter: str
    project: Project | None = None


def _clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(_("请填写必填项"), errors={field: [_("此项必填")]})
    if len(value) > max_length:
        raise Invalid(_("内容过长"), errors={field: [_("过长")]})
    return value


def _agenda_projects(meeting: Meeting) -> list[Project]:
    projects = {it.project for it in meeting.items.select_related("project") if it.project}
    return sorted(projects, key=lambda p: p.pk)
