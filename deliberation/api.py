"""REST API for mobile clients (DRF). Views parse input, call one service, render.

Errors: 403 wrong role, 409 wrong state (``allowed`` lists what the caller may do now), 400 bad
input with ``errors`` per field; see ``projects.api_errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.privacy import shown_params
from deliberation import actions, services
from deliberation.models import EvaluationBallot
from projects import ledger
from projects.errors import Invalid
from projects.models import Community, Project, ProjectEvent, State
from projects.models.states import MAX_AMOUNT
from projects.models.transitions import TRANSITIONS, Param, ParamType, Rule
from projects.parsers import JSONParser
from projects.selectors import projects_visible_to
from projects.throttles import LoginThrottle


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
            "people_served",
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


ActionSchema = inline_serializer(
    "AllowedTransition",
    {
        "name": serializers.CharField(),
        "label": serializers.CharField(),
        "params": inline_serializer(
            "TransitionParam",
            {
                "name": serializers.CharField(),
                "type": serializers.ChoiceField(choices=[t.value for t in ParamType]),
                "required": serializers.BooleanField(),
                "label": serializers.CharField(),
            },
            many=True,
        ),
    },
    many=True,
)


class ProjectDetailSerializer(ProjectSerializer):
    allowed_transitions = serializers.SerializerMethodField()
    money = serializers.SerializerMethodField()
    evaluation = serializers.SerializerMethodField()

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "allowed_transitions", "money", "evaluation"]
        read_only_fields = fields

    @extend_schema_field(ActionSchema)
    def get_allowed_transitions(self, obj: Project) -> list[dict[str, Any]]:
        """Every action the caller may take now, with the parameters each needs (from the
        transition table); exactly what the transitions endpoint accepts."""
        user = self.context["request"].user
        person = user if isinstance(user, User) else None
        return [a.as_dict() for a in actions.allowed(obj, person)]

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
    note = serializers.SerializerMethodField()

    class Meta:
        model = ProjectEvent
        fields = [
            "id",
            "action",
            "source",
            "target",
            "actor",
            "reason",
            "kind",
            "params",
            "note",
            "amount",
            "created_at",
        ]

    def get_note(self, obj: ProjectEvent) -> str:
        """The system's note on this step, in the request's language."""
        return obj.note

    def to_representation(self, instance: ProjectEvent) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["params"] = shown_params(data.get("params"))  # a closed account's name: 已注销用户
        return data

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
    """Exchange username and password for an API token (throttled per address; wrong passwords
    lock the username and the address out, django-axes)."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]  # JSON with limits
    throttle_classes = [LoginThrottle]

    def get_serializer_context(self) -> dict[str, Any]:
        # authenticate() gets Django's request, where django-axes marks a lockout (then 429)
        return {**super().get_serializer_context(), "request": self.request._request}


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
        project = actions.create(by=_user(request), community=community, **data)
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


def _param_field(param: Param) -> serializers.Field[Any, Any, Any, Any]:
    if param.type == ParamType.DECIMAL:
        return serializers.DecimalField(
            max_digits=14,
            decimal_places=2,
            min_value=Decimal("0.01"),
            max_value=MAX_AMOUNT,
            required=param.required,
        )
    if param.type == ParamType.INT:
        return serializers.IntegerField(
            min_value=param.min_value, max_value=param.max_value, required=param.required
        )
    return serializers.CharField(
        max_length=param.max_length, required=param.required, allow_blank=not param.required
    )


def transition_serializer(rule: Rule, data: Any) -> serializers.Serializer[Any]:
    """The parameters of one transition, built from its row of the transition table."""
    fields = {p.name: _param_field(p) for p in rule.params}
    serializer_class = type(f"{rule.name}_params", (serializers.Serializer,), fields)
    return serializer_class(data=data)


TransitionParams = inline_serializer(
    "TransitionParams",
    {
        p.name: _param_field(p)
        for r in TRANSITIONS.values()
        for p in r.params
        if p.name != "reason" or r.name == "withdraw"
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
        rule = actions.check(project=project, name=name, by=_user(request))  # 403 / 409 first
        values = _validated(transition_serializer(rule, request.data))
        project = actions.act(project=project, name=name, by=_user(request), params=values)
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


class EvaluationSerializer(serializers.ModelSerializer[EvaluationBallot]):
    """The ballot's two fields as the model declares them (choices, the comment's length), as
    the page's ``EvaluationForm`` reads them too."""

    class Meta:
        model = EvaluationBallot
        fields = ["choice", "comment"]


class ProjectEvaluation(APIView):
    """Cast one secret evaluation ballot; the response is the public (sealed) tally.

    Who voted is stored apart from what was chosen; one ballot per person (or household) on the
    round's roll. A refusal says why: 400 (a second ballot, a bad field), 403 (not on the roll),
    409 (the project is not being evaluated or the round is over)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=EvaluationSerializer, responses={201: dict})
    def post(self, request: Request, pk: int) -> Response:
        if not isinstance(request.data, Mapping):
            raise Invalid(_("请求内容必须是 JSON 对象"))
        serializer = EvaluationSerializer(data=request.data)
        if not serializer.is_valid():
            errors = {k: [str(m) for m in v] for k, v in serializer.errors.items()}
            if "choice" in errors:
                raise Invalid(_("请选择满意、基本满意或不满意"), errors=errors)
            key, messages = next(iter(errors.items()))
            raise Invalid(f"{key}: {messages[0]}", errors=errors)
        data = serializer.validated_data
        tally = services.evaluation_vote(
            project=pk, by=_user(request), choice=data["choice"], comment=data.get("comment", "")
        )
        return Response(tally.as_dict(), status=status.HTTP_201_CREATED)


class ProjectAudit(generics.ListAPIView[ProjectEvent]):
    serializer_class = AuditSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = None

    def get_queryset(self) -> QuerySet[ProjectEvent]:
        project = _project(self.request, int(self.kwargs["pk"]))
        return ProjectEvent.objects.filter(project=project).select_related("actor")
