from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from deliberation.models import EvaluationBallot
from projects.models import Project


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleFileInput(attrs={"accept": "image/*", "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleImageField, self).clean(item, initial) for item in items]


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("标题"), min_length=4, max_length=120)
    summary = forms.CharField(
        label=_("提议内容"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    location = forms.CharField(label=_("地点"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("类别"), choices=Project.Category.choices)
    estimated_cost = forms.DecimalField(
        label=_("估算费用（元，可不填）"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )
    photos = MultipleImageField(label=_("照片（最多 6 张）"), required=False)
    submit_now = forms.BooleanField(label=_("立即提交，开始征集附议"), required=False, initial=True)


class EvaluationForm(forms.Form):
    choice = forms.ChoiceField(choices=EvaluationBallot.Choice.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("意见（可选）"), max_length=500, required=False)
