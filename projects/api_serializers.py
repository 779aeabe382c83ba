"""The money API's serializers (entries, funds, balances) and the parsing of its request bodies."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from projects import ledger
from projects.errors import Invalid
from projects.models import (
    Fund,
    LedgerEntry,
)
from projects.models.money import ContributorKind


# --- serializers ----------------------------------------------------------------------------
def balances_dict(b: ledger.Balances) -> dict[str, str]:
    return {k: str(v) for k, v in b.as_dict().items()}


BalancesSchema = inline_serializer(
    "Balances",
    {
        name: serializers.DecimalField(max_digits=20, decimal_places=2)
        for name in [
            *ledger.BALANCE_NAMES,
            "available",
            "unreleased",
            "unspent",
            "held",
            "cofunded_cash",
        ]
    },
)


class EntrySerializer(serializers.ModelSerializer[LedgerEntry]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True
    )
    project_title = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    reversed_by = serializers.SerializerMethodField()
    receipt = serializers.SerializerMethodField()
    # "" on every entry that is not co-funding: documented as part of the enum
    contributor_kind = serializers.ChoiceField(
        choices=ContributorKind.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "fund",
            "project",
            "project_title",
            "kind",
            "kind_label",
            "amount",
            "actor",
            "memo",
            "reverses",
            "reversed_by",
            "payee",
            "paid_on",
            "receipt",
            "contributor",
            "contributor_kind",
            "in_kind",
            "in_kind_description",
            "created_at",
        ]
        read_only_fields = fields

    def get_project_title(self, obj: LedgerEntry) -> str | None:
        return obj.project.title if obj.project_id and obj.project else None

    def get_actor(self, obj: LedgerEntry) -> str | None:
        return obj.actor.username if obj.actor_id and obj.actor else None

    def get_reversed_by(self, obj: LedgerEntry) -> int | None:
        return obj.reversed_by.pk if ledger.is_reversed(obj) else None

    def get_receipt(self, obj: LedgerEntry) -> str | None:
        if not obj.receipt:
            return None
        request = self.context.get("request")
        url = obj.receipt.url
        return request.build_absolute_uri(url) if request is not None else url


ENTRY_RELATED = ["project", "actor", "reversed_by"]


class FundSerializer(serializers.ModelSerializer[Fund]):
    community = serializers.SerializerMethodField()
    balances = serializers.SerializerMethodField()

    class Meta:
        model = Fund
        fields = ["id", "community", "year", "name", "balances", "created_at"]
        read_only_fields = fields

    def get_community(self, obj: Fund) -> dict[str, Any]:
        return {"id": obj.community_id, "slug": obj.community.slug, "name": obj.community.name}

    def get_balances(self, obj: Fund) -> dict[str, str]:
        known = self.context.get("balances")
        b = known.get(obj.pk, ledger.Balances()) if known is not None else ledger.fund_balances(obj)
        return balances_dict(b)


def _text(data: Any, key: str) -> Any:
    value = data.get(key, "") if hasattr(data, "get") else ""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise Invalid(_("参数 %(key)s 格式不正确") % {"key": key}, errors={key: [_("格式不正确")]})
    return value


def _amount(data: Any, key: str = "amount") -> Any:
    """Amounts arrive as strings (preferred) or JSON numbers, which the parser reads as written
    (``projects.parsers.JSONParser``: a Decimal, never a float)."""
    return _text(data, key)


def _object(data: Any) -> Any:
    if not hasattr(data, "get"):
        raise Invalid(_("请求内容必须是 JSON 对象或表单"))
    return data
