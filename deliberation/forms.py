"""Forms: the only place page input is validated; services get the typed cleaned data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from deliberation.models import Decision, EvaluationBallot, EvaluationChoice, Objection
from projects.errors import Invalid
from projects.models import Comment, Project
from projects.models.states import MAX_AMOUNT
from projects.models.transitions import Param, ParamType, Rule


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


# The page forms below are model forms: what is required and how long a text may be come from
# the model fields (as the API's model serializers read them), never written here again.
class EvaluationForm(forms.ModelForm[EvaluationBallot]):
    """One evaluation ballot: a choice, an optional comment (the model's length limit)."""

    class Meta:
        model = EvaluationBallot
        fields = ["choice", "comment"]
        labels = {"comment": _("意见（可选）")}
        widgets = {"choice": forms.RadioSelect}
        error_messages = {
            "choice": {
                "required": _("请选择满意、基本满意或不满意"),
                "invalid_choice": _("请选择满意、基本满意或不满意"),
            }
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["choice"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = EvaluationChoice.choices  # no blank radio button


class ObjectionForm(forms.ModelForm[Objection]):
    """A resident's objection during 公示: its text, required and limited as the model says."""

    class Meta:
        model = Objection
        fields = ["body"]


class ObjectionResolveForm(forms.ModelForm[Objection]):
    """The committee's resolution of an objection: upheld or not, and why (the model's limit;
    a resolution must be written, though the field stays blank while the objection waits)."""

    uphold = forms.TypedChoiceField(
        choices=[("1", _("异议成立")), ("0", _("异议不成立"))],
        coerce=lambda value: value == "1",
        error_messages={"required": _("请选择异议是否成立")},
    )

    class Meta:
        model = Objection
        fields = ["resolution"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resolution"].required = True


class CommentForm(forms.ModelForm[Comment]):
    """A comment on a project: its text, required and limited as the model says."""

    class Meta:
        model = Comment
        fields = ["body"]


def _transition_field(param: Param) -> forms.Field:
    messages = {"required": param.missing or _("此项必填")}
    if param.type == ParamType.DECIMAL:
        return forms.DecimalField(
            label=param.label,
            required=param.required,
            max_digits=14,
            decimal_places=2,
            min_value=Decimal("0.01"),
            max_value=MAX_AMOUNT,
            error_messages=messages,
        )
    if param.type == ParamType.INT:
        return forms.IntegerField(
            label=param.label,
            required=param.required,
            min_value=param.min_value,
            max_value=param.max_value,
            error_messages=messages,
        )
    return forms.CharField(
        label=param.label,
        required=param.required,
        max_length=param.max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=messages,
    )


class TransitionForm(forms.Form):
    """The parameters of one transition, built from its row of the transition table. The
    cleaned data are the typed keyword arguments of the transition's service."""

    def __init__(self, rule: Rule, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{rule.name}_%s")
        super().__init__(*args, **kwargs)
        self.rule = rule
        for param in rule.params:
            self.fields[param.name] = _transition_field(param)

    def values(self) -> dict[str, Any]:
        """The typed values given (blank optional text left out)."""
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class MotionForm(forms.Form):
    """A committee motion for the roll-call: what the panel's form posts."""

    motion = forms.ChoiceField(choices=Decision.Motion.choices)
    amount = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_AMOUNT,
    )
    reason = forms.CharField(required=False, max_length=2000)


def first_error(form: forms.BaseForm) -> Invalid:
    """The form's errors as the domain's 400 (the first message leads)."""
    errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
    field, found = next(iter(form.errors.as_data().items()))
    message = " ".join(str(m) for m in found[0].messages)
    label = form.fields[field].label if field in form.fields else ""
    if label and found[0].code != "required":  # "required" messages name their field already
        message = f"{label}：{message}"
    return Invalid(message, errors=errors)
