"""REST API for residency: a resident declares where they live (with an optional private photo),
lists their declarations and memberships, reads their household and moves out; the clerk of the
community lists the verification queue and approves or refuses with a reason. Every change calls
``residents.services`` (the same functions as the pages). Errors as everywhere in the API: 403
wrong role, 409 already decided or ended, 400 bad input with ``errors``, 404 unknown."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.privacy import person_json, phone_for
from projects.errors import Forbidden, Invalid
from projects.models import Community, Grid, Membership, Role
from projects.parsers import JSONParser
from projects.selectors import user_has_role
from residents import selectors, services
from residents.models import Declaration


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _validated(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    if not hasattr(serializer.initial_data, "get"):
        raise Invalid(_("请求体必须是 JSON 对象"))
    if not serializer.is_valid():
        errors = {k: [str(m) for m in v] for k, v in serializer.errors.items()}
        raise Invalid(next(iter(errors.values()))[0], errors=errors)
    return dict(serializer.validated_data)


# --- what is returned ------------------------------------------------------------------------
class ResidencyPersonOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField(allow_blank=True, help_text="empty once the account is closed")
    name = serializers.CharField(help_text="已注销用户 once the account is closed")


class ResidentPersonOut(ResidencyPersonOut):
    phone = serializers.CharField(help_text="masked unless the caller may see it whole")


class DeclarationOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    person = ResidentPersonOut()
    community = serializers.CharField(help_text="the community's slug")
    community_name = serializers.CharField()
    grid = serializers.IntegerField(allow_null=True)
    building = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    room = serializers.CharField()
    address = serializers.CharField()
    has_photo = serializers.BooleanField(
        help_text="a photo waits for the clerk (deleted once decided)"
    )
    status = serializers.CharField(help_text="pending, approved, refused or withdrawn")
    reason = serializers.CharField(allow_blank=True)
    decided_by = ResidencyPersonOut(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    membership = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class MembershipOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    community = serializers.CharField()
    community_name = serializers.CharField()
    grid = serializers.IntegerField(allow_null=True)
    household = serializers.CharField(allow_blank=True)
    since = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    ended_reason = serializers.CharField(allow_blank=True)
    current = serializers.BooleanField()


class HouseholdMemberOut(serializers.Serializer[Any]):
    person = ResidentPersonOut()
    membership = serializers.IntegerField()
    since = serializers.DateTimeField()


class HouseholdOut(serializers.Serializer[Any]):
    community = serializers.CharField()
    household = serializers.CharField(allow_blank=True)
    per_household = serializers.BooleanField(
        help_text="the community counts one evaluation ballot per household"
    )
    members = HouseholdMemberOut(many=True)


def _person_with_phone(user: Any, viewer: Any) -> dict[str, Any]:
    return (person_json(user) or {}) | {"phone": phone_for(viewer, user)}


def declaration_body(d: Declaration, viewer: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "person": _person_with_phone(d.user, viewer),
        "community": d.community.slug,
        "community_name": d.community.name,
        "grid": d.grid_id,
        "building": d.building,
        "unit": d.unit,
        "room": d.room,
        "address": d.address,
        "has_photo": bool(d.photo),
        "status": d.status,
        "reason": d.reason,
        "decided_by": person_json(d.decided_by),
        "decided_at": d.decided_at,
        "membership": d.membership_id,
        "created_at": d.created_at,
    }


def membership_body(m: Membership) -> dict[str, Any]:
    assert m.community is not None
    return {
        "id": m.pk,
        "community": m.community.slug,
        "community_name": m.community.name,
        "grid": m.grid_id,
        "household": m.household,
        "since": m.created_at,
        "ended_at": m.ended_at,
        "ended_reason": m.ended_reason,
        "current": m.ended_at is None,
    }


# --- what is sent ------------------------------------------------------------------------------
class DeclarationIn(serializers.Serializer[Any]):
    community = serializers.SlugField(help_text="the community's slug")
    grid = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    building = serializers.CharField(max_length=40)
    unit = serializers.CharField(max_length=40, required=False, allow_blank=True)
    room = serializers.CharField(max_length=40)
    photo = serializers.FileField(
        required=False, help_text="a lease or property certificate (JPEG/PNG/GIF/WebP), private"
    )


class ApproveIn(serializers.Serializer[Any]):
    household = serializers.CharField(
        max_length=60, required=False, allow_blank=True, help_text="defaults to the address"
    )


class RefuseIn(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=services.MAX_REASON)


class MoveOutIn(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=services.MAX_REASON,
        required=False,
        allow_blank=True,
        help_text="optional for the resident, required for the clerk",
    )


def _declarations() -> Any:
    return Declaration.objects.select_related(
        "user__phone", "community", "decided_by", "grid"
    ).order_by("-created_at", "-pk")


def _memberships() -> Any:
    return Membership.objects.filter(role=Role.RESIDENT, community__isnull=False).select_related(
        "community"
    )


# --- endpoints ---------------------------------------------------------------------------------
class DeclarationList(APIView):
    """GET: the caller's own declarations, newest first. POST: declare where the caller lives
    (JSON, or multipart with a ``photo``); the clerks of the community are told."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: DeclarationOut(many=True)})
    def get(self, request: Request) -> Response:
        user = _user(request)
        rows = _declarations().filter(user_id=user.pk)[:200]
        return Response([declaration_body(d, user) for d in rows])

    @extend_schema(
        request={"application/json": DeclarationIn, "multipart/form-data": DeclarationIn},
        responses={201: DeclarationOut},
    )
    def post(self, request: Request) -> Response:
        data = _validated(DeclarationIn(data=request.data))
        community = get_object_or_404(Community, slug=data["community"])
        grid = None
        if data.get("grid") is not None:
            grid = Grid.objects.filter(pk=data["grid"]).first()
            if grid is None:
                raise Invalid(_("所选网格不属于该社区"), errors={"grid": [_("网格不对")]})
        d = services.declaration_create(
            by=_user(request),
            community=community,
            grid=grid,
            building=data["building"],
            unit=data.get("unit", ""),
            room=data["room"],
            photo=request.FILES.get("photo"),
        )
        d = _declarations().get(pk=d.pk)
        return Response(declaration_body(d, request.user), status=status.HTTP_201_CREATED)


class DeclarationQueue(APIView):
    """The verification queue of a community (``?community=<slug>``), oldest first: its clerk
    only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("community", str, required=True)],
        responses={200: DeclarationOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        slug = request.query_params.get("community") or ""
        if not slug:
            raise Invalid(_("请选择社区"), errors={"community": [_("必填")]})
        community = get_object_or_404(Community, slug=slug)
        if not user_has_role(request.user, community, Role.CLERK):
            raise Forbidden(_("只有本社区服务中心可以查看"))
        rows = selectors.pending_declarations(community).select_related("user__phone")[:500]
        return Response([declaration_body(d, request.user) for d in rows])


class DeclarationDetail(APIView):
    """One declaration: to the person who made it and the clerks of its community."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: DeclarationOut})
    def get(self, request: Request, pk: int) -> Response:
        d = get_object_or_404(_declarations(), pk=pk)
        if d.user_id != request.user.pk and not user_has_role(
            request.user, d.community, Role.CLERK
        ):
            raise Http404
        return Response(declaration_body(d, request.user))


class DeclarationApprove(APIView):
    """The clerk of the community approves: the person becomes a resident (household defaults to
    the address). Only that clerk (403 otherwise); a decided declaration is 409."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ApproveIn, responses={200: DeclarationOut})
    def post(self, request: Request, pk: int) -> Response:
        d = get_object_or_404(_declarations(), pk=pk)
        data = _validated(ApproveIn(data=request.data))
        services.declaration_approve(
            declaration=d, by=_user(request), household=data.get("household", "")
        )
        return Response(declaration_body(_declarations().get(pk=pk), request.user))


class DeclarationRefuse(APIView):
    """The clerk of the community refuses, with a reason the person is told. Only that clerk
    (403 otherwise); a decided declaration is 409."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=RefuseIn, responses={200: DeclarationOut})
    def post(self, request: Request, pk: int) -> Response:
        d = get_object_or_404(_declarations(), pk=pk)
        data = _validated(RefuseIn(data=request.data))
        services.declaration_refuse(declaration=d, by=_user(request), reason=data["reason"])
        return Response(declaration_body(_declarations().get(pk=pk), request.user))


class MembershipList(APIView):
    """The caller's resident memberships, current and ended (history kept), newest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MembershipOut(many=True)})
    def get(self, request: Request) -> Response:
        rows = _memberships().filter(user_id=request.user.pk).order_by("-created_at", "-pk")
        return Response([membership_body(m) for m in rows[:200]])


def _membership(request: Request, pk: int) -> Membership:
    """A resident membership the caller holds or whose community they clerk; otherwise 404."""
    m = get_object_or_404(_memberships(), pk=pk)
    assert m.community is not None
    if m.user_id != request.user.pk and not user_has_role(request.user, m.community, Role.CLERK):
        raise Http404
    return m


class MembershipEnd(APIView):
    """Moving out: the resident (reason optional) or the clerk of the community (reason
    required) ends the membership; the history stays and ballots already cast still count.
    Ending it twice is 409."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=MoveOutIn, responses={200: MembershipOut})
    def post(self, request: Request, pk: int) -> Response:
        m = _membership(request, pk)
        data = _validated(MoveOutIn(data=request.data))
        services.membership_end(membership=m, by=_user(request), reason=data.get("reason", ""))
        return Response(membership_body(_memberships().get(pk=pk)))


class MembershipHousehold(APIView):
    """The household of a resident membership: its current members. Readable by the members of
    that household and by the community's clerk."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: HouseholdOut})
    def get(self, request: Request, pk: int) -> Response:
        m = get_object_or_404(_memberships(), pk=pk)
        community = m.community
        assert community is not None
        members = (
            Membership.objects.residents()
            .filter(community=community)
            .filter(Q(pk=m.pk) | (Q(household=m.household) & ~Q(household="")))
            .select_related("user__phone")
            .order_by("created_at", "pk")
        )
        in_household = any(x.user_id == request.user.pk for x in members)
        if not in_household and not user_has_role(request.user, community, Role.CLERK):
            raise Http404
        return Response(
            {
                "community": community.slug,
                "household": m.household,
                "per_household": community.evaluation_per_household,
                "members": [
                    {
                        "person": _person_with_phone(x.user, request.user),
                        "membership": x.pk,
                        "since": x.created_at,
                    }
                    for x in members
                ],
            }
        )
