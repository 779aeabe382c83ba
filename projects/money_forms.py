"""The money pages' forms: a fund, an expenditure, a co-funding receipt, a reversal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from projects.models import (
    Community,
)
from projects.models.membership import supervised_q
from projects.models.money import ContributorKind

ENTRIES_PER_PAGE = 50


class FundForm(forms.Form):
    community = forms.ModelChoiceField(
        queryset=Community.objects.none(), label=gettext_lazy("社区")
    )
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    name = forms.CharField(label=gettext_lazy("名称"), max_length=120, required=False)
    amount = forms.CharField(
        label=gettext_lazy("首次拨入金额（元）"), required=False, max_length=20
    )
    carry_over = forms.BooleanField(
        label=gettext_lazy("结转上年度未分配余额（上年度须已结束）"), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Community.objects.filter(supervised_q(user, "")).order_by("name")


class ExpenditureForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("金额（元）"), max_length=20)
    payee = forms.CharField(label=gettext_lazy("收款方"), max_length=200)
    paid_on = forms.CharField(
        label=gettext_lazy("支付日期"),
        max_length=10,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    receipt = forms.FileField(
        label=gettext_lazy("票据（图片或 PDF，不超过 10 MB）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    memo = forms.CharField(label=gettext_lazy("摘要"), max_length=300, required=False)
    milestone = forms.ChoiceField(label=gettext_lazy("实施节点"), required=False, choices=[])


class CofundingForm(forms.Form):
    KIND_CHOICES = [
        ("pledge", gettext_lazy("认捐（承诺）")),
        ("receipt", gettext_lazy("到账（已收到）")),
    ]
    kind = forms.ChoiceField(label=gettext_lazy("登记类型"), choices=KIND_CHOICES)
    contributor = forms.CharField(label=gettext_lazy("共建方名称"), max_length=200)
    contributor_kind = forms.ChoiceField(
        label=gettext_lazy("共建方类型"), choices=ContributorKind.choices
    )
    amount = forms.CharField(label=gettext_lazy("金额或实物估值（元）"), max_length=20)
    in_kind = forms.BooleanField(label=gettext_lazy("实物共建"), required=False)
    in_kind_description = forms.CharField(
        label=gettext_lazy("实物说明"), max_length=300, required=False
    )
    paid_on = forms.CharField(
        label=gettext_lazy("到账日期"),
        max_length=10,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    receipt = forms.FileField(
        label=gettext_lazy("凭证（可选，图片或 PDF）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    memo = forms.CharField(label=gettext_lazy("摘要"), max_length=300, required=False)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("冲正原因"), max_length=300)
