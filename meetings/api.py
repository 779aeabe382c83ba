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

from deliberation.models import Decision
from meetings import services
from meetings.api_bodies import (
    MeetingOut,
    MeetingSummaryOut,
    _summary,
    meeting_body,
)
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
