"""REST API for execution and acceptance: milestones, progress posts, the acceptance round and
signing. Views parse input, call one service (``deliberation.execution``), render. Errors as
everywhere (``projects.api_errors``): 400 bad input, 403 wrong role, 409 wrong state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from deliberation import execution
from projects import execution as pe
from projects.errors import Invalid
from projects.models import (
    AcceptanceInspection,
    Milestone,
    ProgressPost,
    ProgressStage,
    Project,
)
from projects.parsers import JSONParser
from projects.selectors import projects_visible_to


def _project(request: Request, pk: int) -> Project:
    return get_object_or_404(projects_visible_to(user=request.user), pk=pk)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _validated(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    if not serializer.is_valid():
        errors = {k: [str(m) for m in v] for k, v in serializer.errors.items()}
        first = next(iter(errors.items()))
        raise Invalid(f"{first[0]}: {first[1][0]}", errors=errors)
    return dict(serializer.validated_data)


# --- milestones -------------------------------------------------------------------------------
class MilestoneSerializer(serializers.ModelSerializer[Milestone]):
    late = serializers.BooleanField(source="is_late", read_only=True)
    days_late = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["id", "name", "planned_date", "budget_share", "done_on", "late", "days_late"]
        read_only_fields = fields

    def get_days_late(self, obj: Milestone) -> int:
        return obj.days_late()


class MilestoneInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    planned_date = serializers.DateField()
    budget_share = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100
    )


class MilestonePlanSerializer(serializers.Serializer[Any]):
    milestones = MilestoneInputSerializer(many=True)


class ScheduleSerializer(serializers.Serializer[Any]):
    percent = serializers.IntegerField(allow_null=True)
    planned_end = serializers.DateField(allow_null=True)
    days_late = serializers.IntegerField()
    next_milestone = MilestoneSerializer(allow_null=True)
    milestones = MilestoneSerializer(many=True)


class ProjectMilestones(APIView):
    """The project's planned milestones and schedule (planned completion = start of execution +
    the assessed duration; ``days_late`` past it while the work runs). PUT replaces the plan
    (the clerk, before the work starts; shares total 100 % or less)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(responses=ScheduleSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ScheduleSerializer(pe.schedule(_project(request, pk))).data)

    @extend_schema(request=MilestonePlanSerializer, responses=ScheduleSerializer)
    def put(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        if not isinstance(request.data, Mapping):
            raise Invalid(_("请求内容必须是 JSON 对象"))
        data = _validated(MilestonePlanSerializer(data=request.data))
        execution.milestones_plan(
            project=project,
            by=_user(request),
            milestones=[execution.MilestoneInput(**m) for m in data["milestones"]],
        )
        return Response(ScheduleSerializer(pe.schedule(project)).data)


class MilestoneRevisionInputSerializer(MilestoneInputSerializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, help_text="a not-done milestone; omit for a new one"
    )


class MilestoneRevisionSerializer(serializers.Serializer[Any]):
    milestones = MilestoneRevisionInputSerializer(
        many=True, help_text="every not-done milestone to keep, changed or not, and new ones"
    )
    reason = serializers.CharField(max_length=2000)


class ProjectMilestonesRevise(APIView):
    """The clerk revises the plan while the work runs: not-done milestones left out are removed,
    done ones are locked; a reason is required. Each change is an audit row with before/after
    and the planned completion becomes the plan's last date."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=MilestoneRevisionSerializer, responses=ScheduleSerializer)
    def post(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        if not isinstance(request.data, Mapping):
            raise Invalid(_("请求内容必须是 JSON 对象"))
        data = _validated(MilestoneRevisionSerializer(data=request.data))
        execution.milestones_revise(
            project=project,
            by=_user(request),
            milestones=[
                execution.MilestoneRevision(
                    id=m.get("id"),
                    name=m["name"],
                    planned_date=m["planned_date"],
                    budget_share=m["budget_share"],
                )
                for m in data["milestones"]
            ],
            reason=data["reason"],
        )
        project.refresh_from_db()
        return Response(ScheduleSerializer(pe.schedule(project)).data)


# --- progress -------------------------------------------------------------------------------
class ProgressPhotoSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(source="image.url")
    stage = serializers.CharField()


class ProgressPostSerializer(serializers.ModelSerializer[ProgressPost]):
    author = serializers.CharField(source="author.username", read_only=True)
    milestone = serializers.CharField(source="milestone.name", allow_null=True, read_only=True)
    photos = ProgressPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressPost
        fields = [
            "id",
            "author",
            "created_at",
            "percent",
            "body",
            "contractor",
            "milestone",
            "milestone_done",
            "photos",
        ]
        read_only_fields = fields


class ProgressInputSerializer(serializers.Serializer[Any]):
    percent = serializers.IntegerField(min_value=0, max_value=100)
    body = serializers.CharField(max_length=2000)
    contractor = serializers.CharField(max_length=200, required=False, allow_blank=True)
    milestone = serializers.IntegerField(required=False, allow_null=True)
    milestone_done = serializers.BooleanField(required=False, default=False)
    photos = serializers.ListField(child=serializers.ImageField(), required=False, max_length=6)
    stages = serializers.ListField(
        child=serializers.ChoiceField(choices=ProgressStage.choices), required=False
    )


class ProjectProgress(APIView):
    """Progress posts (newest first). POST (the clerk, while executing; multipart for photos,
    each photo's ``stages`` entry 施工前/中/后 = before/during/after)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses=ProgressPostSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        posts = ProgressPost.objects.filter(project=project).prefetch_related("photos")
        return Response(ProgressPostSerializer(posts, many=True).data)

    @extend_schema(request=ProgressInputSerializer, responses={201: ProgressPostSerializer})
    def post(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        raw: Any = request.data
        if hasattr(raw, "getlist"):
            raw = {
                **{k: raw.get(k) for k in raw if k not in ("photos", "stages")},
                "photos": raw.getlist("photos"),
                "stages": raw.getlist("stages"),
            }
        elif not isinstance(raw, Mapping):
            raise Invalid(_("请求内容必须是 JSON 对象"))
        data = _validated(ProgressInputSerializer(data=raw))
        stages = list(data.get("stages") or [])
        photos = [
            execution.PhotoInput(f, stages[i] if i < len(stages) else ProgressStage.DURING)
            for i, f in enumerate(data.get("photos") or [])
        ]
        post = execution.progress_post(
            project=project,
            by=_user(request),
            percent=data["percent"],
            body=data["body"],
            contractor=data.get("contractor", ""),
            milestone=data.get("milestone"),
            milestone_done=data.get("milestone_done", False),
            photos=photos,
        )
        return Response(ProgressPostSerializer(post).data, status=status.HTTP_201_CREATED)


# --- acceptance -------------------------------------------------------------------------------
class CheckSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField()
    passed = serializers.BooleanField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SignatureSerializer(serializers.Serializer[Any]):
    inspector = serializers.CharField(source="inspector.username")
    passed = serializers.BooleanField()
    reasons = serializers.CharField()
    signed_at = serializers.DateTimeField()
    checks = serializers.SerializerMethodField()

    def get_checks(self, obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "item": c.item_id,
                "passed": c.passed,
                "note": c.note,
                "photo": c.photo.url if c.photo else None,
            }
            for c in obj.checks.all()
        ]


class InspectionSerializer(serializers.ModelSerializer[AcceptanceInspection]):
    inspectors: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True
    )
    representatives: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True
    )
    items = serializers.SerializerMethodField()
    signatures = SignatureSerializer(many=True, read_only=True)

    class Meta:
        model = AcceptanceInspection
        fields = [
            "number",
            "requested_at",
            "closed_at",
            "accepted",
            "inspectors",
            "representatives",
            "items",
            "signatures",
        ]
        read_only_fields = fields

    def get_items(self, obj: AcceptanceInspection) -> list[dict[str, Any]]:
        return [{"id": i.pk, "text": i.text} for i in obj.items.all()]


class SignInputSerializer(serializers.Serializer[Any]):
    passed = serializers.BooleanField()
    reasons = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    checks = CheckSerializer(many=True, required=False)


class ProjectAcceptance(APIView):
    """Every acceptance round of the project, latest last: inspectors (the council and the
    resident representatives it named), checklist and signatures."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=InspectionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        rounds = project.inspections.order_by("number").prefetch_related(
            "inspectors", "representatives", "items", "signatures__checks"
        )
        return Response(InspectionSerializer(rounds, many=True).data)


class ProjectAcceptanceSign(APIView):
    """An inspector signs the open round once: pass, or fail with reasons (a check per item,
    optional). When every inspector has signed, the count decides: accepted (more than half
    passed; the public evaluation opens) or not accepted (back to execution). Multipart may
    carry a photo per item as ``photo_<item id>``."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=SignInputSerializer, responses={201: InspectionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        if not isinstance(request.data, Mapping) and not hasattr(request.data, "get"):
            raise Invalid(_("请求内容必须是 JSON 对象"))
        data = _validated(SignInputSerializer(data=request.data))
        files = getattr(request, "FILES", {})
        checks = [
            execution.CheckInput(
                item=c["item"],
                passed=c["passed"],
                note=c.get("note", ""),
                photo=files.get(f"photo_{c['item']}"),
            )
            for c in data.get("checks") or []
        ]
        signature = execution.acceptance_sign(
            project=project,
            by=_user(request),
            passed=data["passed"],
            reasons=data.get("reasons", ""),
            checks=checks,
        )
        body = InspectionSerializer(signature.inspection).data
        return Response(body, status=status.HTTP_201_CREATED)


class RepresentativesSerializer(serializers.Serializer[Any]):
    people = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=20,
        help_text="user ids of residents, as the resident search returns them",
    )
    usernames = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, max_length=20
    )


class ProjectAcceptanceRepresentatives(APIView):
    """A council member names resident representatives as inspectors of the open round (before
    anyone has signed)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=RepresentativesSerializer, responses={201: InspectionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        if not isinstance(request.data, Mapping):
            raise Invalid(_("请求内容必须是 JSON 对象"))
        data = _validated(RepresentativesSerializer(data=request.data))
        ids, names = data.get("people") or [], data.get("usernames") or []
        users = list(User.objects.filter(Q(pk__in=ids) | Q(username__in=names)))
        if not (ids or names) or len(users) != len(set(ids)) + len(set(names)):
            raise Invalid(_("居民代表须是本社区登记居民"), errors={"people": [_("无效")]})
        inspection = execution.acceptance_name_representatives(
            project=project, by=_user(request), users=users
        )
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)
