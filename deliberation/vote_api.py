"""REST API for the committee roll-call and the budget ballots.

Views parse input, call one service, render. Errors as everywhere in the API: 403 wrong role,
409 wrong state, 400 bad input (with ``errors`` per field), 404 what the caller may not see.
No page, response or export ever pairs a budget-ballot voter with a choice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.privacy import person_json
from deliberation import ballots, services
from deliberation.ballot_models import BudgetRound
from deliberation.models import Decision, DecisionVote
from deliberation.vote_schema import DecisionOut, RoundDetailOut, RoundResultsOut, RoundSummaryOut
from projects.errors import Invalid
from projects.models import Community
from projects.selectors import projects_visible_to


def _user(request: Request) -> User:
    """The authenticated caller (the views that call this require authentication)."""
    assert isinstance(request.user, User)
    return request.user


def _payload(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise Invalid(_("请求体必须是 JSON 对象"))
    return dict(request.data)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(_("参数 %(key)s 必须是文字") % {"key": key}, errors={key: [_("必须是文字")]})
    return value


# --- committee roll-call --------------------------------------------------------------------
def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return person_json(user)


def decision_body(decision: Decision) -> dict[str, Any]:
    """A roll-call as published: the motion, every member's vote, the computed result."""
    tally = services.decision_tally(decision)
    votes = decision.votes.select_related("member").order_by("created_at", "pk")
    return {
        "id": decision.pk,
        "project": decision.project_id,
        "motion": decision.motion,
        "motion_label": str(decision.get_motion_display()),
        "amount": None if decision.amount is None else str(decision.amount),
        "reason": decision.reason,
        "result": decision.result,
        "result_label": str(decision.get_result_display()),
        "minutes": decision.minutes,
        "members_total": tally.members_total,
        "quorum_needed": tally.quorum_needed,
        "present": tally.present,
        "yes": tally.yes,
        "no": tally.no,
        "abstain": tally.abstain,
        "recused": tally.recused,
        "has_quorum": tally.has_quorum,
        "carried": tally.carried,
        "opened_by": _person(decision.opened_by),
        "opened_at": decision.opened_at,
        "closed_by": _person(decision.closed_by),
        "closed_at": decision.closed_at,
        "votes": [
            {
                "member": _person(v.member),
                "choice": v.choice,
                "choice_label": str(v.get_choice_display()),
                "conflict": v.conflict,
                "at": v.created_at,
            }
            for v in votes
        ],
    }


def _decision(request: Request, pk: int) -> Decision:
    visible = projects_visible_to(user=request.user).values("pk")
    qs = Decision.objects.select_related("project__community", "opened_by", "closed_by")
    return get_object_or_404(qs.filter(project__in=visible), pk=pk)


class MotionSerializer(serializers.Serializer[Any]):
    motion = serializers.ChoiceField(choices=Decision.Motion.choices)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VoteSerializer(serializers.Serializer[Any]):
    choice = serializers.ChoiceField(choices=DecisionVote.Choice.choices)
    conflict = serializers.CharField(
        required=False, allow_blank=True, help_text="required to recuse"
    )


DecisionResponse = DecisionOut


class ProjectDecisions(APIView):
    """List a project's roll-calls (public) or open a motion (committee, project in ``deciding``)."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: DecisionOut(many=True)})  # a list, every roll-call
    def get(self, request: Request, pk: int) -> Response:
        project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
        decisions = Decision.objects.filter(project=project).select_related(
            "project__community", "opened_by", "closed_by"
        )
        return Response([decision_body(d) for d in decisions])

    @extend_schema(request=MotionSerializer, responses={201: DecisionResponse})
    def post(self, request: Request, pk: int) -> Response:
        project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
        _payload(request)  # a JSON object, or 400
        values = _validated(MotionSerializer(data=request.data))
        decision = services.decision_open(
            project=project,
            by=_user(request),
            motion=values["motion"],
            amount=values.get("amount"),
            reason=values.get("reason", ""),
        )
        return Response(decision_body(decision), status=status.HTTP_201_CREATED)


class DecisionDetail(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: DecisionResponse})
    def get(self, request: Request, pk: int) -> Response:
        return Response(decision_body(_decision(request, pk)))


class DecisionVotes(APIView):
    """A committee member votes yes / no / abstain, or recuses with a declared conflict."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=VoteSerializer, responses={201: DecisionResponse})
    def post(self, request: Request, pk: int) -> Response:
        decision = _decision(request, pk)
        data = _payload(request)
        services.decision_vote(
            decision=decision,
            by=_user(request),
            choice=_text(data, "choice"),
            conflict=_text(data, "conflict"),
        )
        decision.refresh_from_db()
        return Response(decision_body(decision), status=status.HTTP_201_CREATED)


class DecisionClose(APIView):
    """Close the roll-call: the result is computed; if carried, the motion takes effect."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=inline_serializer(
            "DecisionClose", {"minutes": serializers.CharField(required=False)}
        ),
        responses={200: DecisionResponse},
    )
    def post(self, request: Request, pk: int) -> Response:
        decision = _decision(request, pk)
        data = _payload(request)
        decision = services.decision_close(
            decision=decision, by=_user(request), minutes=_text(data, "minutes")
        )
        return Response(decision_body(decision))


# --- budget ballots -------------------------------------------------------------------------
def _rounds(request: Request) -> QuerySet[BudgetRound]:
    return ballots.rounds_visible_to(user=request.user)


def _round(request: Request, pk: int) -> BudgetRound:
    return get_object_or_404(_rounds(request), pk=pk)


class RoundCreateSerializer(serializers.Serializer[Any]):
    community = serializers.SlugField(help_text="community slug")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    budget = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="default: the fund's available amount",
    )
    rule = serializers.ChoiceField(choices=ballots.BudgetRule.choices)
    min_votes = serializers.IntegerField(min_value=0, required=False, default=0)
    max_projects = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    cost_limited = serializers.BooleanField(required=False, default=False)
    opens_at = serializers.DateTimeField(required=False, allow_null=True)
    closes_at = serializers.DateTimeField()
    projects = serializers.ListField(child=serializers.IntegerField(), help_text="project ids")
    open = serializers.BooleanField(required=False, default=False, help_text="open at once")


def _validated(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    if not serializer.is_valid():
        errors = {k: [str(m) for m in v] for k, v in serializer.errors.items()}
        key, msgs = next(iter(errors.items()))
        raise Invalid(f"{key}: {msgs[0]}", errors=errors)
    return dict(serializer.validated_data)


class Rounds(APIView):
    """Budget rounds (public; drafts only to the community's committee). Committee creates."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        operation_id="v1_rounds_list",
        parameters=[
            OpenApiParameter("community", str, description="community slug"),
            OpenApiParameter("status", str, description="draft / open / closed"),
        ],
        responses={200: RoundSummaryOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = _rounds(request).select_related("community")
        community = request.query_params.get("community")
        if community:
            qs = qs.filter(community__slug=community)
        state = request.query_params.get("status")
        if state:
            qs = qs.filter(status=state)
        return Response([ballots.round_summary(r) for r in qs[:200]])

    @extend_schema(request=RoundCreateSerializer, responses={201: RoundDetailOut})
    def post(self, request: Request) -> Response:
        data = _validated(RoundCreateSerializer(data=request.data))
        community = Community.objects.filter(slug=data.pop("community")).first()
        if community is None:
            raise Invalid(_("社区不存在"), errors={"community": [_("不存在")]})
        open_now = data.pop("open")
        rnd = ballots.round_create(
            community=community, by=_user(request), project_ids=data.pop("projects"), **data
        )
        if open_now:
            rnd = ballots.round_open(round=rnd, by=_user(request))
        return Response(
            ballots.round_detail(rnd, user=request.user), status=status.HTTP_201_CREATED
        )


class RoundDetail(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: RoundDetailOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ballots.round_detail(_round(request, pk), user=request.user))


class RoundBallots(APIView):
    """Cast one approval ballot: ``{"projects": [<project id>, ...]}``. The response carries the
    public standings and turnout, never the ballot itself."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=inline_serializer(
            "BallotIn", {"projects": serializers.ListField(child=serializers.CharField())}
        ),
        responses={201: dict},
    )
    def post(self, request: Request, pk: int) -> Response:
        rnd = _round(request, pk)
        data = _payload(request)
        receipt = ballots.ballot_cast(
            round=rnd, by=_user(request), project_ids=data.get("projects")
        )
        return Response(receipt.as_dict(), status=status.HTTP_201_CREATED)


class RoundOpen(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: RoundDetailOut})
    def post(self, request: Request, pk: int) -> Response:
        rnd = ballots.round_open(round=_round(request, pk), by=_user(request))
        return Response(ballots.round_detail(rnd, user=request.user))


class RoundClose(APIView):
    """Close the round (committee): winners computed by the round's rule; winners move on."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: RoundResultsOut})
    def post(self, request: Request, pk: int) -> Response:
        rnd = _round(request, pk)
        ballots.round_close(round=rnd, by=_user(request))
        rnd.refresh_from_db()
        return Response(ballots.round_results(rnd))


class RoundResults(APIView):
    """The published outcome with its explanation, rule, tie-break and inputs hash."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: RoundResultsOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ballots.round_results(_round(request, pk)))
