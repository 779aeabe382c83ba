"""REST API for mobile clients (DRF). Views parse input, call one service, render.

Errors: 403 wrong role, 409 wrong state (``allowed`` lists what the caller may do now), 400 bad
input with ``errors`` per field; see ``projects.api_errors``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from deliberation import actions, services
from deliberation.models import EvaluationBallot
from projects import api_auth, ledger
from projects import services as project_services
from projects.errors import Invalid
from projects.models import Community, Project, ProjectEvent, State
from projects.selectors import projects_visible_to


class ProjectSerializer(serializers.ModelSerializer[Project]):
    community: serializers.SlugRelatedField[Community] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    proposer = serializers.CharField(source="proposer.username", read_only=True)
    state_label = serializers.SerializerMethodField()
    cosign_threshold = serializers.IntegerField(source="community.cosign_threshold", read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "community",
            "title",
            "summary",
            "location",
            "category",
            "state",
            "state_label",
            "proposer",
            "estimated_cost",
            "assessed_cost",
            "approved_amount",
            "plan",
            "duration_days",
            "cosign_count",
            "cosign_threshold",
            "cosign_deadline",
            "publicity_ends_at",
            "rectification_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_state_label(self, obj: Project) -> str:
        return str(State(obj.state).label)


class ProjectDetailSerializer(ProjectSerializer):
    allowed_transitions = serializers.SerializerMethodField()
    money = serializers.SerializerMethodField()
    evaluation = serializers.SerializerMethodField()

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "allowed_transitions", "money", "evaluation"]
        read_only_fields = fields

    def get_allowed_transitions(self, obj: Project) -> list[str]:
        user = self.context["request"].user
        return project_services.allowed_transitions(obj, user if isinstance(user, User) else None)

    def get_money(self, obj: Project) -> dict[str, str]:
        b = ledger.project_balances(obj)
        return {
            "allocated": str(b.allocated),
            "released": str(b.released),
            "spent": str(b.spent),
            "cofunded": str(b.cofunded),
        }

    def get_evaluation(self, obj: Project) -> dict[str, Any] | None:
        rnd = obj.evaluation_rounds.order_by("-number").first()
        return services.evaluation_tally(rnd).as_dict() if rnd else None


class ProjectCreateSerializer(serializers.Serializer[Any]):
    community = serializers.SlugField(help_text="community slug")
    title = serializers.CharField(max_length=120, min_length=4)
    summary = serializers.CharField(max_length=5000, min_length=10)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Project.Category.choices, required=False)
    estimated_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=6)
    submit = serializers.BooleanField(required=False, default=False)


class AuditSerializer(serializers.ModelSerializer[ProjectEvent]):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ProjectEvent
        fields = ["id", "action", "source", "target", "actor", "reason", "amount", "created_at"]

    def get_actor(self, obj: ProjectEvent) -> str | None:
        return obj.actor.username if obj.actor is not None else None


def _user(request: Request) -> User:
    """The authenticated caller (views that call this require authentication)."""
    assert isinstance(request.user, User)
    return request.user


def _validated(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    if not serializer.is_valid():
        errors = {k: [str(m) for m in v] for k, v in serializer.errors.items()}
        first = next(iter(errors.items()))
        raise Invalid(f"{first[0]}: {first[1][0]}", errors=errors)
    return dict(serializer.validated_data)


class TokenView(ObtainAuthToken):
    """Exchange username and password for an API token."""


class ProjectListCreate(generics.ListAPIView[Project]):
    serializer_class = ProjectSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[
            OpenApiParameter("community", str),
            OpenApiParameter("state", str),
            OpenApiParameter("q", str, description="search title, summary and location"),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Project]:
        qs = projects_visible_to(user=self.request.user).order_by("-updated_at", "-pk")
        params = self.request.query_params
        if params.get("community"):
            qs = qs.filter(community__slug=params["community"])
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        if params.get("q"):
            q = params["q"][:100]
            qs = qs.filter(
                Q(title__icontains=q) | Q(summary__icontains=q) | Q(location__icontains=q)
            )
        return qs

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectDetailSerializer})
    def post(self, request: Request) -> Response:
        data = _validated(ProjectCreateSerializer(data=request.data))
        community = Community.objects.filter(slug=data.pop("community")).first()
        if community is None:
            raise Invalid("community: not found", errors={"community": ["not found"]})
        project = project_services.project_create(by=_user(request), community=community, **data)
        body = ProjectDetailSerializer(project, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


def _project(request: Request, pk: int) -> Project:
    return get_object_or_404(projects_visible_to(user=request.user), pk=pk)


class ProjectDetail(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=ProjectDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        return Response(ProjectDetailSerializer(project, context={"request": request}).data)


TransitionParams = inline_serializer(
    "TransitionParams",
    {
        "reason": serializers.CharField(required=False),
        "report": serializers.CharField(required=False),
        "assessed_cost": serializers.DecimalField(max_digits=14, decimal_places=2, required=False),
        "plan": serializers.CharField(required=False),
        "duration_days": serializers.IntegerField(required=False),
    },
)


class ProjectTransition(APIView):
    """Fire a named transition (see the project's ``allowed_transitions``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=TransitionParams, responses=ProjectDetailSerializer)
    def post(self, request: Request, pk: int, name: str) -> Response:
        project = _project(request, pk)
        if not hasattr(request.data, "get"):
            raise Invalid(_("请求内容必须是 JSON 对象"))
        project = actions.act(project=project, name=name, by=_user(request), params=request.data)  # type: ignore[arg-type]
        return Response(ProjectDetailSerializer(project, context={"request": request}).data)


class ProjectCosign(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ProjectDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        services.cosign_add(project=project, by=_user(request))
        project.refresh_from_db()
        body = ProjectDetailSerializer(project, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class EvaluationSerializer(serializers.Serializer[Any]):
    choice = serializers.ChoiceField(choices=EvaluationBallot.Choice.choices)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class JSONOnly(DefaultContentNegotiation):
    """Answers in JSON whatever ``Accept`` says (no header parsing on the vote path)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ProjectEvaluation(APIView):
    """Cast one secret evaluation ballot; the response is the public tally (always JSON).

    Who voted is stored apart from what was chosen; one ballot per eligible resident (or
    household) per round. A refusal says why: 400 (a second ballot, a bad field), 403 (not a
    resident of the community), 409 (the project is not being evaluated or the round is over)."""

    # The body's two fields are checked by the service itself (type, choice, length; per-field
    # errors) rather than by a serializer built for each request; ``EvaluationSerializer``
    # documents it. A counted ballot from an API token holder is answered before this view
    # is reached (``project_evaluation``).

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    @extend_schema(request=EvaluationSerializer, responses={201: dict})
    def post(self, request: Request, pk: int) -> Response:
        data = request.data
        if not isinstance(data, Mapping):
            raise Invalid(_("请求内容必须是 JSON 对象"))
        tally = services.evaluation_vote(
            project=pk,
            by=_user(request),
            choice=data.get("choice", ""),
            comment=data.get("comment", ""),
        )
        return Response(tally.as_dict(), status=status.HTTP_201_CREATED)


_evaluation_view = ProjectEvaluation.as_view()
_JSON = JSONRenderer()


@wraps(_evaluation_view)  # keeps cls / initkwargs (the schema) and csrf_exempt
def project_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    """The vote endpoint, for a whole community voting at once.

    A JSON ballot sent with an API token is first offered to
    ``services.evaluation_vote_by_token``: one statement that authenticates the token, checks
    the voter and counts the ballot, without DRF's request cycle or a user lookup. Whatever does
    not count there (a refusal, a malformed body, session authentication, SQLite) goes to
    :class:`ProjectEvaluation`, which authenticates, checks and explains in the usual way; the
    body is read once and DRF reads it again from memory. Both answer the same JSON."""
    if request.method == "POST" and request.content_type == "application/json":
        key = api_auth.token_key(request)
        if key is not None:
            try:
                data = json.loads(request.body)
            except ValueError:
                data = None
            if isinstance(data, dict):
                tally = services.evaluation_vote_by_token(
                    project_id=pk,
                    token=key,
                    choice=data.get("choice", ""),
                    comment=data.get("comment", ""),
                )
                if tally is not None:
                    return HttpResponse(
                        _JSON.render(tally.as_dict()),  # the bytes DRF's view would answer
                        status=status.HTTP_201_CREATED,
                        content_type=_JSON.media_type,
                    )
    return _evaluation_view(request, pk=pk)


class ProjectAudit(generics.ListAPIView[ProjectEvent]):
    serializer_class = AuditSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = None

    def get_queryset(self) -> QuerySet[ProjectEvent]:
        project = _project(self.request, int(self.kwargs["pk"]))
        return ProjectEvent.objects.filter(project=project).select_related("actor")
