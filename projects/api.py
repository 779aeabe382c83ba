"""REST API for the money: funds and their ledger, a project's money, the monthly statement
(read-only, public), and the writes (expenditures, co-funding, reversals; funds, appropriations
and carry-over for supervisors).

Views parse input, call one service in ``projects.ledger``, render. Errors follow the rest of the
API (``projects.api_errors``): 403 wrong role, 409 wrong state with ``allowed`` (the money
actions possible now), 400 bad input with ``errors`` per field; nothing is written on an error.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import ledger
from projects.api_serializers import (
    ENTRY_RELATED,
    BalancesSchema,
    EntrySerializer,
    FundSerializer,
    _amount,
    _object,
    _text,
    balances_dict,
)
from projects.api_statements import (
    CommunityStatement,
    CommunityStatements,
    StreetStatement,
)
from projects.errors import Invalid
from projects.models import (
    Community,
    EntryKind,
    Fund,
    LedgerEntry,
    Project,
)
from projects.parsers import JSONParser
from projects.selectors import projects_visible_to


# --- funds ----------------------------------------------------------------------------------
class FundList(APIView):
    """Funds (public), filtered by ``community`` (id or slug) and ``year``; supervisors create."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[OpenApiParameter("community", str), OpenApiParameter("year", int)],
        responses=FundSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = Fund.objects.select_related("community").order_by("community__name", "-year")
        params = request.query_params
        if params.get("community"):
            c = params["community"]
            qs = qs.filter(community_id=int(c)) if c.isdigit() else qs.filter(community__slug=c)
        if params.get("year"):
            if not params["year"].isdigit():
                raise Invalid(_("年度必须是数字"), errors={"year": [_("请输入年份")]})
            qs = qs.filter(year=int(params["year"]))
        funds = list(qs[:500])
        balances = ledger.balances_by(LedgerEntry.objects.filter(fund__in=funds), "fund_id")
        return Response(FundSerializer(funds, many=True, context={"balances": balances}).data)

    @extend_schema(
        request=inline_serializer(
            "FundCreate",
            {
                "community": serializers.IntegerField(),
                "year": serializers.IntegerField(),
                "name": serializers.CharField(required=False),
                "amount": serializers.DecimalField(max_digits=14, decimal_places=2, required=False),
                "carry_over": serializers.BooleanField(required=False),
            },
        ),
        responses={201: FundSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _object(request.data)
        community = _community(_text(data, "community"))
        fund = ledger.fund_create(
            community=community,
            year=_text(data, "year"),
            by=request.user,
            name=_text(data, "name"),
            amount=_amount(data) or None,
            carry_over=bool(data.get("carry_over")),
        )
        return Response(FundSerializer(fund).data, status=status.HTTP_201_CREATED)


def _community(value: Any) -> Community:
    text = str(value or "").strip()
    qs = (
        Community.objects.filter(pk=int(text))
        if text.isdigit()
        else Community.objects.filter(slug=text)
    )
    community = qs.first() if text else None
    if community is None:
        raise Invalid(_("社区不存在"), errors={"community": [_("不存在")]})
    return community


class FundDetail(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=FundSerializer)
    def get(self, request: Request, pk: int) -> Response:
        fund = get_object_or_404(Fund.objects.select_related("community"), pk=pk)
        return Response(FundSerializer(fund).data)


class FundEntries(generics.ListAPIView[LedgerEntry]):
    """The fund's ledger, oldest first, paginated; filter by ``kind``, ``project``, ``month``."""

    serializer_class = EntrySerializer
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=EntryKind.values),
            OpenApiParameter("project", int),
            OpenApiParameter("month", str, description="YYYY-MM (local time)"),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        fund = get_object_or_404(Fund, pk=self.kwargs["pk"])
        qs = (
            LedgerEntry.objects.filter(fund=fund)
            .select_related(*ENTRY_RELATED)
            .order_by("created_at", "pk")
        )
        params = self.request.query_params
        if params.get("kind"):
            if params["kind"] not in EntryKind.values:
                raise Invalid(_("未知的分录类型"), errors={"kind": [_("无效的选项")]})
            qs = qs.filter(kind=params["kind"])
        if params.get("project"):
            if not params["project"].isdigit():
                raise Invalid(_("项目编号必须是数字"), errors={"project": [_("请输入数字")]})
            qs = qs.filter(project_id=int(params["project"]))
        if params.get("month"):
            start, end = ledger.month_bounds(ledger.parse_month(params["month"]))
            qs = qs.filter(created_at__gte=start, created_at__lt=end)
        return qs


class FundAppropriation(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=inline_serializer(
            "Appropriation",
            {
                "amount": serializers.DecimalField(max_digits=14, decimal_places=2),
                "memo": serializers.CharField(required=False),
            },
        ),
        responses={201: EntrySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _object(request.data)
        fund = get_object_or_404(Fund.objects.select_related("community"), pk=pk)
        entry = ledger.appropriate(
            fund=fund, amount=_amount(data), by=request.user, memo=_text(data, "memo")
        )
        return Response(
            EntrySerializer(entry, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class FundCarryOver(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: EntrySerializer})
    def post(self, request: Request, pk: int) -> Response:
        fund = get_object_or_404(Fund.objects.select_related("community"), pk=pk)
        entry = ledger.fund_carry_over(fund=fund, by=request.user)
        return Response(
            EntrySerializer(entry, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


# --- a project's money ----------------------------------------------------------------------
def _project(request: Request, pk: int) -> Project:
    return get_object_or_404(
        projects_visible_to(user=request.user).select_related("community"), pk=pk
    )


class ProjectMoney(APIView):
    """The project's balances and every entry."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=inline_serializer(
            "ProjectMoney",
            {
                "project": serializers.IntegerField(),
                "balances": BalancesSchema,
                "entries": EntrySerializer(many=True),
            },
        )
    )
    def get(self, request: Request, pk: int) -> Response:
        project = _project(request, pk)
        entries = (
            LedgerEntry.objects.filter(project=project)
            .select_related(*ENTRY_RELATED)
            .order_by("created_at", "pk")
        )
        return Response(
            {
                "project": project.pk,
                "balances": balances_dict(ledger.project_balances(project)),
                "entries": EntrySerializer(entries, many=True, context={"request": request}).data,
            }
        )


class ProjectExpenditures(APIView):
    """Record an expenditure (multipart: ``receipt`` is a JPEG/PNG/GIF/WebP image or a PDF)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "Expenditure",
                {
                    "amount": serializers.DecimalField(max_digits=14, decimal_places=2),
                    "payee": serializers.CharField(),
                    "paid_on": serializers.DateField(),
                    "receipt": serializers.FileField(),
                    "memo": serializers.CharField(required=False),
                    "milestone": serializers.IntegerField(
                        required=False, help_text="the project's milestone it pays for"
                    ),
                },
            )
        },
        responses={201: EntrySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _object(request.data)
        project = _project(request, pk)
        entry = ledger.expenditure_record(
            project=project,
            by=request.user,
            amount=_amount(data),
            payee=_text(data, "payee"),
            paid_on=_text(data, "paid_on"),
            receipt=request.FILES.get("receipt"),
            memo=_text(data, "memo"),
            milestone=data.get("milestone") or None,
        )
        return Response(
            EntrySerializer(entry, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ProjectCofunding(APIView):
    """Record a co-funding pledge (``kind=pledge``) or receipt (``kind=receipt``), cash or in
    kind (``in_kind`` with ``in_kind_description``; ``amount`` is then the valuation)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request=inline_serializer(
            "Cofunding",
            {
                "kind": serializers.ChoiceField(choices=["pledge", "receipt"]),
                "amount": serializers.DecimalField(max_digits=14, decimal_places=2),
                "contributor": serializers.CharField(),
                "contributor_kind": serializers.ChoiceField(
                    choices=["unit", "company", "resident"]
                ),
                "in_kind": serializers.BooleanField(required=False),
                "in_kind_description": serializers.CharField(required=False),
                "paid_on": serializers.DateField(required=False),
                "receipt": serializers.FileField(required=False),
                "memo": serializers.CharField(required=False),
            },
        ),
        responses={201: EntrySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _object(request.data)
        project = _project(request, pk)
        kind = _text(data, "kind")
        if kind not in ("pledge", "receipt"):
            raise Invalid(
                _("kind 必须是 pledge（认捐）或 receipt（到账）"),
                errors={"kind": [_("无效的选项")]},
            )
        common = {
            "project": project,
            "by": request.user,
            "amount": _amount(data),
            "contributor": _text(data, "contributor"),
            "contributor_kind": _text(data, "contributor_kind"),
            "in_kind": data.get("in_kind", False),
            "in_kind_description": _text(data, "in_kind_description"),
            "memo": _text(data, "memo"),
        }
        if kind == "pledge":
            entry = ledger.cofund_pledge(**common)
        else:
            entry = ledger.cofund_receive(
                **common,
                paid_on=_text(data, "paid_on") or None,
                receipt=request.FILES.get("receipt"),
            )
        return Response(
            EntrySerializer(entry, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class EntryReverse(APIView):
    """Correct an entry by a reversing entry that names it (``reason`` required)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=inline_serializer("Reverse", {"reason": serializers.CharField()}),
        responses={201: EntrySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _object(request.data)
        entry = get_object_or_404(
            LedgerEntry.objects.select_related("fund__community", "project"), pk=pk
        )
        reversal = ledger.entry_reverse(entry=entry, by=request.user, reason=_text(data, "reason"))
        return Response(
            EntrySerializer(reversal, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


__all__ = [
    "CommunityStatement",
    "CommunityStatements",
    "StreetStatement",
]
