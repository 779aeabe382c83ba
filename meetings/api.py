"""REST API for meetings: list / retrieve meetings with their agenda, attendance and quorum, the
votes per item and the minutes; convening, the members' actions (confirm, sign in, vote) and the
secretary's (open, close an item, close the meeting, minutes) as POST endpoints calling the same
services as the pages. Errors as everywhere in the API: 403 wrong role, 409 wrong state, 400 bad
input with ``errors``, 404 unknown."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.privacy import person_json
from deliberation.models import Decision
from deliberation.vote_schema import PersonOut
from meetings import selectors, services
from meetings.models import AgendaItem, Attendance, Body, HearingSpeaker, ItemVote, Meeting, Minutes
from projects.errors import Invalid
from projects.models import Community, Project


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _validated(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    if not isinstance(serializer.initial_data, dict):
        raise Invalid(_("请求体必须是 JSON 对象"))
    if not serializer.is_valid():
        errors = {k: [str(m) for m in v] for k, v in serializer.errors.items()}
        raise Invalid(next(iter(errors.values()))[0], errors=errors)
    return dict(serializer.validated_data)


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


def meeting_body(m: Meeting, user: Any) -> dict[str, Any]:
    v = selectors.meeting_view(m, user)
    mn: Minutes | None = v.minutes
    took_part = v.my_invitation is not None or v.signed_in or v.is_secretary
    items = []
    for iv in v.items:
        it, t = iv.item, iv.tally
        closed = not it.is_open
        items.append(
            {
                "id": it.pk,
                "order": it.order,
                "matter": it.matter,
                "project": it.project_id,
                "outcome": it.outcome,
                "members_total": it.members_total if closed else t.members_total,
                "quorum_needed": it.quorum_needed if closed else t.quorum_needed,
                "present": it.present if closed else t.present,
                "yes": it.yes if closed else t.yes,
                "no": it.no if closed else t.no,
                "abstain": it.abstain if closed else t.abstain,
                "recused": it.recused if closed else t.recused,
                "has_quorum": (it.present >= it.quorum_needed and it.present > 0)
                if closed
                else t.has_quorum,
                "closed_by": _person(it.closed_by),
                "closed_at": it.closed_at,
                "votes": [
                    {
                        "member": _person(vote.member),
                        "choice": vote.choice,
                        "recused": vote.recused,
                        "recusal_reason": vote.recusal_reason,
                        "entered_by": _person(vote.entered_by),
                        "at": vote.created_at,
                    }
                    for vote in iv.votes
                ],
                "rollcall": _rollcall(it.decision),
            }
        )
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
        "speakers": [
            {
                "id": sp.pk,
                "person": _person(sp.person),
                "topic": sp.topic,
                "signed_up_at": sp.signed_up_at,
                "summary": sp.summary,
                "answer": sp.answer,
                "recorded_at": sp.recorded_at,
            }
            for sp in v.speakers
        ],
        "minutes": None
        if mn is None
        else {
            "body": mn.body if (mn.published_at or took_part) else None,
            "written_by": _person(mn.written_by),
            "objection_until": mn.objection_until,
            "published_at": mn.published_at,
            "objections": mn.objections.count(),
        },
    }


# --- what is sent ------------------------------------------------------------------------------
class MeetingIn(serializers.Serializer[Any]):
    community = serializers.SlugField()
    body = serializers.ChoiceField(choices=Body.choices)
    title = serializers.CharField(max_length=120)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    video_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    items = serializers.ListField(
        child=serializers.DictField(),
        help_text='agenda items: [{"matter": "…", "project": <id or null>}]',
    )


class MeetingVoteIn(serializers.Serializer[Any]):
    choice = serializers.ChoiceField(choices=[*ItemVote.Choice.choices, ("recuse", "recuse")])
    conflict = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="required to recuse"
    )


class ItemRollCallIn(serializers.Serializer[Any]):
    motion = serializers.ChoiceField(choices=Decision.Motion.choices)
    amount = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="yuan; required to approve"
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="required to decline"
    )


class MeetingSignInIn(serializers.Serializer[Any]):
    how = serializers.ChoiceField(choices=Attendance.How.choices, required=False)


class MeetingMinutesIn(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=20000)
    objection_days = serializers.IntegerField(min_value=0, max_value=services.MAX_OBJECTION_DAYS)


class MinutesObjectionIn(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=2000)


def _meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("community", "secretary"), pk=pk)


def _item(pk: int) -> AgendaItem:
    return get_object_or_404(AgendaItem.objects.select_related("meeting"), pk=pk)


# --- endpoints ---------------------------------------------------------------------------------
class MeetingList(APIView):
    """Meetings (public), newest first; ``?community=<slug>`` narrows them. POST convenes one
    (a clerk of the community, or a member of the council / committee)."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[OpenApiParameter("community", str, required=False)],
        responses={200: MeetingSummaryOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = Meeting.objects.select_related("community", "secretary")
        slug = request.query_params.get("community")
        if slug:
            qs = qs.filter(community__slug=slug)
        return Response([_summary(m) for m in qs[:200]])

    @extend_schema(request=MeetingIn, responses={201: MeetingOut})
    def post(self, request: Request) -> Response:
        data = _validated(MeetingIn(data=request.data))
        community = get_object_or_404(Community, slug=data["community"])
        specs = []
        for raw in data["items"]:
            project_id = raw.get("project")
            project = None
            if project_id is not None:
                if not isinstance(project_id, int):
                    raise Invalid(_("无效项目"), errors={"items": [_("无效项目")]})
                project = Project.objects.filter(pk=project_id, community=community).first()
                if project is None:
                    raise Invalid(_("议程中的项目须属于本社区"), errors={"items": [_("无效项目")]})
            specs.append(services.ItemSpec(str(raw.get("matter") or ""), project))
        meeting = services.meeting_create(
            community=community,
            by=_user(request),
            body=data["body"],
            title=data["title"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            place=data.get("place", ""),
            video_url=data.get("video_url", ""),
            items=specs,
        )
        return Response(meeting_body(meeting, request.user), status=status.HTTP_201_CREATED)


class MeetingDetail(APIView):
    """One meeting: agenda with the votes per item, invitations, attendance and quorum, minutes."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: MeetingOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(meeting_body(_meeting(pk), request.user))


class _MeetingAction(APIView):
    permission_classes = [IsAuthenticated]

    def act(self, request: Request, meeting: Meeting) -> None:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        meeting = _meeting(pk)
        self.act(request, meeting)
        return Response(meeting_body(_meeting(pk), request.user))


@extend_schema(request=None, responses={200: MeetingOut})
class MeetingConfirm(_MeetingAction):
    """An invited member confirms they will attend."""

    def act(self, request: Request, meeting: Meeting) -> None:
        services.meeting_confirm(meeting=meeting, by=_user(request))


@extend_schema(request=None, responses={200: MeetingOut})
class MeetingOpen(_MeetingAction):
    """The secretary opens the meeting (sign-in and votes begin)."""

    def act(self, request: Request, meeting: Meeting) -> None:
        services.meeting_open(meeting=meeting, by=_user(request))


@extend_schema(request=None, responses={200: MeetingOut})
class MeetingClose(_MeetingAction):
    """The secretary closes the meeting."""

    def act(self, request: Request, meeting: Meeting) -> None:
        services.meeting_close(meeting=meeting, by=_user(request))


@extend_schema(request=MeetingSignInIn, responses={200: MeetingOut})
class MeetingSignIn(_MeetingAction):
    """A member signs in while the meeting is open (``how``: phone or qr)."""

    def act(self, request: Request, meeting: Meeting) -> None:
        data = _validated(MeetingSignInIn(data=request.data))
        services.attendance_sign(
            meeting=meeting, by=_user(request), how=data.get("how") or Attendance.How.PHONE
        )


@extend_schema(request=MeetingMinutesIn, responses={200: MeetingOut})
class MeetingMinutes(_MeetingAction):
    """The secretary writes the minutes after the meeting, with the objection window in days."""

    def act(self, request: Request, meeting: Meeting) -> None:
        data = _validated(MeetingMinutesIn(data=request.data))
        services.minutes_write(
            meeting=meeting,
            by=_user(request),
            body=data["body"],
            objection_days=data["objection_days"],
        )


def _minutes_of(meeting: Meeting) -> Minutes:
    return get_object_or_404(Minutes, meeting=meeting)


@extend_schema(request=MinutesObjectionIn, responses={200: MeetingOut})
class MeetingMinutesObject(_MeetingAction):
    """A participant objects to the minutes within the window."""

    def act(self, request: Request, meeting: Meeting) -> None:
        data = _validated(MinutesObjectionIn(data=request.data))
        services.minutes_object(minutes=_minutes_of(meeting), by=_user(request), body=data["body"])


@extend_schema(request=None, responses={200: MeetingOut})
class MeetingMinutesPublish(_MeetingAction):
    """The secretary publishes the minutes once the objection window is over."""

    def act(self, request: Request, meeting: Meeting) -> None:
        services.minutes_publish(minutes=_minutes_of(meeting), by=_user(request))


class HearingSignUpIn(serializers.Serializer[Any]):
    topic = serializers.CharField(max_length=500, required=False, allow_blank=True)


class HearingRecordIn(serializers.Serializer[Any]):
    summary = serializers.CharField(max_length=2000)
    answer = serializers.CharField(max_length=2000)


@extend_schema(request=HearingSignUpIn, responses={200: MeetingOut})
class HearingSignUp(_MeetingAction):
    """A registered resident signs up to speak at a hearing (听证会), before it closes."""

    def act(self, request: Request, meeting: Meeting) -> None:
        data = _validated(HearingSignUpIn(data=request.data))
        services.hearing_signup(meeting=meeting, by=_user(request), topic=data.get("topic", ""))


class HearingRecord(APIView):
    """The secretary records what a speaker said and what was answered (until the minutes are
    published)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=HearingRecordIn, responses={200: MeetingOut})
    def post(self, request: Request, pk: int) -> Response:
        speaker = get_object_or_404(HearingSpeaker.objects.select_related("meeting"), pk=pk)
        data = _validated(HearingRecordIn(data=request.data))
        services.hearing_record(
            speaker=speaker, by=_user(request), summary=data["summary"], answer=data["answer"]
        )
        return Response(meeting_body(_meeting(speaker.meeting_id), request.user))


class ItemVoteView(APIView):
    """A member present votes on an agenda item, or recuses with a reason."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=MeetingVoteIn, responses={201: MeetingOut})
    def post(self, request: Request, pk: int) -> Response:
        item = _item(pk)
        data = _validated(MeetingVoteIn(data=request.data))
        services.item_vote(
            item=item, by=_user(request), choice=data["choice"], conflict=data.get("conflict", "")
        )
        return Response(
            meeting_body(_meeting(item.meeting_id), request.user), status=status.HTTP_201_CREATED
        )


class ItemRollCallView(APIView):
    """The committee meeting's secretary puts the item's project (in 党委决策) to the committee's
    roll-call: members present then vote on the item, and closing the item closes the
    roll-call, which fires the motion when it carries."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ItemRollCallIn, responses={200: MeetingOut})
    def post(self, request: Request, pk: int) -> Response:
        data = _validated(ItemRollCallIn(data=request.data))
        item = services.item_open_rollcall(
            item=_item(pk),
            by=_user(request),
            motion=data["motion"],
            amount=data.get("amount") or None,
            reason=data.get("reason", ""),
        )
        return Response(meeting_body(_meeting(item.meeting_id), request.user))


class ItemCloseView(APIView):
    """The secretary closes an item's vote; the outcome is computed (a carried council item on a
    project in 议事会协商 recommends it to the committee)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: MeetingOut})
    def post(self, request: Request, pk: int) -> Response:
        item = services.item_close(item=_item(pk), by=_user(request))
        return Response(meeting_body(_meeting(item.meeting_id), request.user))
