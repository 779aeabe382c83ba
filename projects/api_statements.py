"""The money API's monthly statements (公示栏): per community and per street, as JSON."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import ledger
from projects.api_serializers import (
    balances_dict,
)
from projects.errors import Forbidden
from projects.models import (
    Community,
)
from projects.models.places import Place


# --- statements ---------------------------------------------------------------------------
class CommunityStatements(APIView):
    """The months that have a statement for the community (newest first)."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        operation_id="v1_communities_statement_months",
        responses=inline_serializer(
            "StatementMonths",
            {
                "community": serializers.IntegerField(),
                "months": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        community = get_object_or_404(Community, pk=pk)
        months = [f"{m:%Y-%m}" for m in ledger.statement_months(community)]
        return Response({"community": community.pk, "months": months})


class CommunityStatement(APIView):
    """The monthly public statement: opening and closing balances, the month's movement, every
    entry with how it moved each balance, per-project figures and co-funding received."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int, month: str) -> Response:
        community = get_object_or_404(Community, pk=pk)
        statement = ledger.statement_build(community=community, month=ledger.parse_month(month))
        return Response(ledger.statement_as_dict(statement))


class StreetStatement(APIView):
    """Every community of a street for a month (the street's supervisors only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int, month: str) -> Response:
        street = get_object_or_404(Place, pk=pk)  # a street, or any place above communities
        if not ledger.street_supervisor(request.user, street):
            raise Forbidden(_("只有本街道监督人员可以查看街道汇总"))
        when = ledger.parse_month(month)
        rows = ledger.street_statement(street=street, month=when)
        return Response(
            {
                "street": {"id": street.pk, "name": street.name},
                "month": f"{when:%Y-%m}",
                "communities": [
                    {
                        "id": r.community.pk,
                        "slug": r.community.slug,
                        "name": r.community.name,
                        "opening": balances_dict(r.opening),
                        "movement": balances_dict(r.movement),
                        "closing": balances_dict(r.closing),
                    }
                    for r in rows
                ],
            }
        )
