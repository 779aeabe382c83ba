"""Reads with rules: which meetings a page lists, and what one meeting's page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from deliberation.models import DecisionVote
from meetings import services
from meetings.models import (
    AgendaItem,
    Attendance,
    Body,
    HearingSpeaker,
    Invitation,
    ItemVote,
    Meeting,
    Minutes,
)
from projects.models import Community, Role
from projects.selectors import user_has_role


def meetings_of(community: Community) -> QuerySet[Meeting]:
    return Meeting.objects.filter(community=community).select_related("secretary", "community")


def upcoming(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return qs.filter(
        Q(status=Meeting.Status.OPEN)
        | Q(status=Meeting.Status.PLANNED, ends_at__gte=timezone.now())
    ).order_by("starts_at", "pk")


def past(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return qs.exclude(pk__in=upcoming(qs).values("pk")).order_by("-starts_at", "-pk")


def my_upcoming(user: Any) -> QuerySet[Meeting]:
    """The meetings a member is invited to that are still to come (or going on)."""
    if user is None or not user.is_authenticated:
        return Meeting.objects.none()
    mine = Meeting.objects.filter(invitations__member_id=user.pk).select_related("community")
    return upcoming(mine)


def current_meeting(community: Community) -> Meeting | None:
    """What the hall screen shows: the meeting going on, else the next one today or later."""
    qs = meetings_of(community)
    return (
        qs.filter(status=Meeting.Status.OPEN).order_by("starts_at").first() or upcoming(qs).first()
    )


@dataclass(frozen=True)
class VoteRow:
    """One vote as pages and the API show it, whether an ``ItemVote`` or a vote in the
    committee's roll-call hosted by the item (``DecisionVote``)."""

    member: Any
    choice: str  # "" when recused
    recused: bool
    recusal_reason: str
    entered_by: Any
    created_at: Any

    @property
    def by_show_of_hands(self) -> bool:
        return self.entered_by is not None

    def get_choice_display(self) -> str:
        return str(dict(ItemVote.Choice.choices).get(self.choice, self.choice))


def vote_rows(item: AgendaItem) -> list[VoteRow]:
    if item.decision_id is not None:
        qs = DecisionVote.objects.filter(decision_id=item.decision_id).select_related(
            "member", "entered_by"
        )
        return [
            VoteRow(
                member=v.member,
                choice="" if v.choice == DecisionVote.Choice.RECUSE else v.choice,
                recused=v.choice == DecisionVote.Choice.RECUSE,
                recusal_reason=v.conflict,
                entered_by=v.entered_by,
                created_at=v.created_at,
            )
            for v in qs
        ]
    return [
        VoteRow(
            member=v.member,
            choice=v.choice,
            recused=v.recused,
            recusal_reason=v.recusal_reason,
            entered_by=v.entered_by,
            created_at=v.created_at,
        )
        for v in item.votes.select_related("member", "entered_by")
    ]


@dataclass
class ItemView:
    item: AgendaItem
    tally: services.ItemTally
    votes: list[VoteRow]
    my_vote: VoteRow | None
    to_enter: list[Any]  # members present who have not voted (the show-of-hands form)
    # A committee item on a project in 党委决策 not yet put to the roll-call: the secretary puts
    # it (``services.item_open_rollcall``); no vote is taken on it before.
    awaits_rollcall: bool = False


@dataclass
class MeetingView:
    meeting: Meeting
    items: list[ItemView]
    invitations: list[Invitation]
    attendances: list[Attendance]
    quorum: services.Quorum
    minutes: Minutes | None
    my_invitation: Invitation | None
    signed_in: bool
    is_member: bool
    is_secretary: bool
    can_convene: bool
    # hearings: who signed up to speak (and what was said and answered), and may I sign up
    speakers: list[HearingSpeaker] = field(default_factory=list)
    my_speaker: HearingSpeaker | None = None
    may_sign_up: bool = False


def _members_present(meeting: Meeting, attendances: list[Attendance]) -> list[Any]:
    """The people signed in who may vote: members of the body (anyone signed in at a hearing)."""
    return [
        a.member
        for a in attendances
        if services.is_member(a.member, meeting) or meeting.body == "hearing"
    ]


def _item_views(meeting: Meeting, member_present: list[Any], uid: int | None) -> list[ItemView]:
    """Each agenda item with its tally, its votes, my vote and who is left to enter."""
    items = []
    for item in meeting.items.select_related("project", "decision"):
        votes = vote_rows(item)
        voted = {v.member.pk for v in votes}
        items.append(
            ItemView(
                item=item,
                tally=services.item_tally(item),
                votes=votes,
                my_vote=next((v for v in votes if v.member.pk == uid), None),
                to_enter=[m for m in member_present if m.pk not in voted],
                awaits_rollcall=services.awaits_rollcall(item),
            )
        )
    return items


def _speakers(meeting: Meeting) -> list[HearingSpeaker]:
    """A hearing's speakers (none for other meetings)."""
    if meeting.body == Body.HEARING:
        return list(meeting.speakers.select_related("person"))
    return []


def _can_convene(meeting: Meeting, user: Any, uid: int | None) -> bool:
    """Whether the signed-in user may convene a meeting of this body in this community."""
    return uid is not None and (
        user_has_role(user, meeting.community, Role.CLERK)
        or services.may_convene(user, meeting.community, meeting.body)
    )


def _may_sign_up(meeting: Meeting, user: Any, my_speaker: HearingSpeaker | None) -> bool:
    """Whether the user, a resident not yet signed up, may sign up to speak at this hearing."""
    return (
        meeting.body == Body.HEARING
        and meeting.status != Meeting.Status.CLOSED
        and my_speaker is None
        and user_has_role(user, meeting.community, Role.RESIDENT)
    )


def meeting_view(meeting: Meeting, user: Any) -> MeetingView:
    invitations = list(meeting.invitations.select_related("member"))
    attendances = list(meeting.attendances.select_related("member"))
    present_ids = {a.member_id for a in attendances}
    quorum = services.meeting_quorum(meeting)
    member_present = _members_present(meeting, attendances)
    uid = user.pk if user is not None and user.is_authenticated else None
    items = _item_views(meeting, member_present, uid)
    minutes = Minutes.objects.filter(meeting=meeting).select_related("written_by").first()
    speakers = _speakers(meeting)
    my_speaker = next((sp for sp in speakers if sp.person_id == uid), None)
    return MeetingView(
        meeting=meeting,
        items=items,
        invitations=invitations,
        attendances=attendances,
        quorum=quorum,
        minutes=minutes,
        my_invitation=next((i for i in invitations if i.member_id == uid), None),
        signed_in=uid in present_ids,
        is_member=uid is not None and services.is_member(user, meeting),
        is_secretary=uid is not None and meeting.secretary_id == uid,
        can_convene=_can_convene(meeting, user, uid),
        speakers=speakers,
        my_speaker=my_speaker,
        may_sign_up=_may_sign_up(meeting, user, my_speaker),
    )
