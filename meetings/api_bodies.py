"""What the meetings API returns: the serializers that document each answer (OpenAPI) and the
functions that build it, one place for the list, the detail and every action's answer."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.privacy import person_json
from deliberation.models import Decision
from deliberation.vote_schema import PersonOut
from meetings import selectors
from meetings.models import (
    AgendaItem,
    Attendance,
    Body,
    HearingSpeaker,
    ItemVote,
    Meeting,
    Minutes,
)


# --- what is returned ------------------------------------------------------------------------
def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return person_json(user)


class MeetingVoteOut(serializers.Serializer[Any]):
    member = PersonOut()
    choice = serializers.ChoiceField(choices=ItemVote.Choice.choices, allow_blank=True)
    recused = serializers.BooleanField()
    recusal_reason = serializers.CharField()
    entered_by = PersonOut(allow_null=True, help_text="the secretary, for a show of hands")
    at = serializers.DateTimeField()


class ItemRollCallOut(serializers.Serializer[Any]):
    decision = serializers.IntegerField(help_text="the roll-call (deliberation Decision) id")
    motion = serializers.ChoiceField(choices=Decision.Motion.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    reason = serializers.CharField()
    result = serializers.ChoiceField(choices=Decision.Result.choices)


class AgendaItemOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    matter = serializers.CharField()
    project = serializers.IntegerField(allow_null=True)
    outcome = serializers.ChoiceField(choices=AgendaItem.Outcome.choices)
    members_total = serializers.IntegerField()
    quorum_needed = serializers.IntegerField()
    present = serializers.IntegerField(help_text="members present and not recused")
    yes = serializers.IntegerField()
    no = serializers.IntegerField()
    abstain = serializers.IntegerField()
    recused = serializers.IntegerField()
    has_quorum = serializers.BooleanField()
    closed_by = PersonOut(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    votes = MeetingVoteOut(many=True)
    rollcall = ItemRollCallOut(
        allow_null=True,
        help_text="the committee's roll-call this item hosts (a committee meeting's item on a "
        "project in 党委决策); its votes are the item's votes",
    )


class MeetingAttendanceOut(serializers.Serializer[Any]):
    member = PersonOut()
    how = serializers.ChoiceField(choices=Attendance.How.choices)
    signed_at = serializers.DateTimeField()


class MeetingInvitationOut(serializers.Serializer[Any]):
    member = PersonOut()
    confirmed_at = serializers.DateTimeField(allow_null=True)


class MeetingMinutesOut(serializers.Serializer[Any]):
    body = serializers.CharField(allow_null=True, help_text="public once published")
    written_by = PersonOut()
    objection_until = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    objections = serializers.IntegerField()


class MeetingQuorumOut(serializers.Serializer[Any]):
    members_total = serializers.IntegerField()
    present = serializers.IntegerField()
    needed = serializers.IntegerField()
    reached = serializers.BooleanField()


class MeetingSummaryOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    community = serializers.CharField()
    body = serializers.ChoiceField(choices=Body.choices)
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    place = serializers.CharField()
    video_url = serializers.CharField()
    status = serializers.ChoiceField(choices=Meeting.Status.choices)
    secretary = PersonOut()


class HearingSpeakerOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    person = PersonOut()
    topic = serializers.CharField()
    signed_up_at = serializers.DateTimeField()
    summary = serializers.CharField(help_text="what the speaker said (recorded by the secretary)")
    answer = serializers.CharField(help_text="what was answered")
    recorded_at = serializers.DateTimeField(allow_null=True)


class MeetingOut(MeetingSummaryOut):
    quorum = MeetingQuorumOut()
    items = AgendaItemOut(many=True)
    invitations = MeetingInvitationOut(many=True)
    attendance = MeetingAttendanceOut(many=True)
    minutes = MeetingMinutesOut(allow_null=True)
    speakers = HearingSpeakerOut(many=True, help_text="a hearing's speakers (empty otherwise)")


def _summary(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk,
        "community": m.community.slug,
        "body": m.body,
        "title": m.title,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "place": m.place,
        "video_url": m.video_url,
        "status": m.status,
        "secretary": _person(m.secretary),
    }


def _rollcall(d: Decision | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "decision": d.pk,
        "motion": d.motion,
        "amount": d.amount,
        "reason": d.reason,
        "result": d.result,
    }


def _counts(iv: selectors.ItemView) -> dict[str, Any]:
    """An item's counts: as recorded when it was closed, else as tallied now."""
    it, t = iv.item, iv.tally
    if not it.is_open:
        return {
            "members_total": it.members_total,
            "quorum_needed": it.quorum_needed,
            "present": it.present,
            "yes": it.yes,
            "no": it.no,
            "abstain": it.abstain,
            "recused": it.recused,
            "has_quorum": it.present >= it.quorum_needed and it.present > 0,
        }
    return {
        "members_total": t.members_total,
        "quorum_needed": t.quorum_needed,
        "present": t.present,
        "yes": t.yes,
        "no": t.no,
        "abstain": t.abstain,
        "recused": t.recused,
        "has_quorum": t.has_quorum,
    }


def _vote(vote: selectors.VoteRow) -> dict[str, Any]:
    """One vote on an item, as the API returns it."""
    return {
        "member": _person(vote.member),
        "choice": vote.choice,
        "recused": vote.recused,
        "recusal_reason": vote.recusal_reason,
        "entered_by": _person(vote.entered_by),
        "at": vote.created_at,
    }


def _item(iv: selectors.ItemView) -> dict[str, Any]:
    """One agenda item with its counts, votes and roll-call, as the API returns it."""
    it = iv.item
    return (
        {
            "id": it.pk,
            "order": it.order,
            "matter": it.matter,
            "project": it.project_id,
            "outcome": it.outcome,
        }
        | _counts(iv)
        | {
            "closed_by": _person(it.closed_by),
            "closed_at": it.closed_at,
            "votes": [_vote(vote) for vote in iv.votes],
            "rollcall": _rollcall(it.decision),
        }
    )


def _speaker(sp: HearingSpeaker) -> dict[str, Any]:
    """One of a hearing's speakers, as the API returns it."""
    return {
        "id": sp.pk,
        "person": _person(sp.person),
        "topic": sp.topic,
        "signed_up_at": sp.signed_up_at,
        "summary": sp.summary,
        "answer": sp.answer,
        "recorded_at": sp.recorded_at,
    }


def _minutes(mn: Minutes | None, took_part: bool) -> dict[str, Any] | None:
    """The minutes (their text only once published, or to those who took part), if written."""
    if mn is None:
        return None
    return {
        "body": mn.body if (mn.published_at or took_part) else None,
        "written_by": _person(mn.written_by),
        "objection_until": mn.objection_until,
        "published_at": mn.published_at,
        "objections": mn.objections.count(),
    }


def meeting_body(m: Meeting, user: Any) -> dict[str, Any]:
    v = selectors.meeting_view(m, user)
    took_part = v.my_invitation is not None or v.signed_in or v.is_secretary
    items = [_item(iv) for iv in v.items]
    return _summary(m) | {
        "quorum": {
            "members_total": v.quorum.members_total,
            "present": v.quorum.present,
            "needed": v.quorum.needed,
            "reached": v.quorum.reached,
        },
        "items": items,
        "invitations": [
            {"member": _person(i.member), "confirmed_at": i.confirmed_at} for i in v.invitations
        ],
        "attendance": [
            {"member": _person(a.member), "how": a.how, "signed_at": a.signed_at}
            for a in v.attendances
        ],
        "speakers": [_speaker(sp) for sp in v.speakers],
        "minutes": _minutes(v.minutes, took_part),
    }
