"""The community's rules page: public to read, changed by the street's supervisors
(projects/community_rules.py), with the record of every change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from projects import community_rules as rules
from projects.errors import Forbidden, YishiError
from projects.models import Community
from projects.models.membership import supervised_q
from projects.templatetags.money import yuan
from projects.web_errors import attach_to_form


class PercentField(forms.DecimalField):
    """A share stored as a fraction (0.800), entered and shown as a percentage (80)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        super().__init__(min_value=0, max_value=100, max_digits=4, decimal_places=1, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.1"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value * 100:.1f}".removesuffix(".0")
        return value

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        number = super().to_python(value)  # "80.00" is 80: trailing zeros are not precision
        return None if number is None else number.normalize()

    def clean(self, value: Any) -> Decimal | None:
        percent = super().clean(value)
        return None if percent is None else (percent / 100).quantize(Decimal("0.001"))


class RulesForm(forms.ModelForm[Community]):
    reason = forms.CharField(
        label=gettext_lazy("修改说明"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("例如：经居民议事会讨论通过"),
    )

    class Meta:
        model = Community
        fields = rules.RULE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in rules.PERCENT_FIELDS:
            old = self.fields[name]
            self.fields[name] = PercentField(
                label=_("%(label)s（%%）") % {"label": old.label},
                help_text=old.help_text,
                required=old.required,
            )
        for field in self.fields.values():
            if isinstance(field.widget, forms.NumberInput):
                field.widget.attrs.setdefault("inputmode", "numeric")

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in rules.RULE_GROUPS]


# numerator field → (label, the community's property saying the fraction in words)
FRACTIONS = {
    "committee_quorum_numerator": (gettext_lazy("党委决策法定出席比例"), "committee_quorum_words"),
    "acceptance_pass_numerator": (gettext_lazy("验收通过比例（超过）"), "acceptance_share_words"),
}
FRACTION_PARTS = {"committee_quorum_denominator", "acceptance_pass_denominator"}


def shown(name: str, value: Any) -> str:
    """One rule's value as the page shows it (a share as a percentage, an amount in yuan)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if name in rules.PERCENT_FIELDS:
        return f"{Decimal(value) * 100:.1f}".removesuffix(".0") + " %"
    if name == "hearing_amount":
        return yuan(value)
    return str(value)


def _values(community: Community) -> list[tuple[Any, list[dict[str, Any]]]]:
    """The rules as they are, for reading: label, value and help, by group."""
    out = []
    for title, names in rules.RULE_GROUPS:
        rows = []
        for name in names:
            field = rules.rule_field(name)
            if name in FRACTIONS:  # one row for the two parts, in words (三分之二)
                label, words = FRACTIONS[name]
                rows.append({"label": label, "value": getattr(community, words), "help": ""})
                continue
            if name in FRACTION_PARTS:
                continue
            rows.append(
                {
                    "label": field.verbose_name,
                    "value": shown(name, getattr(community, name)),
                    "help": field.help_text,
                }
            )
        out.append((title, rows))
    return out


def _changes(community: Community) -> list[dict[str, Any]]:
    changes = rules.rule_changes(community)
    for change in changes:
        for c in change["changes"]:
            c["old"], c["new"] = shown(c["name"], c["old"]), shown(c["name"], c["new"])
    return changes


@require_http_methods(["GET", "POST"])
def community_rules(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_object_or_404(Community.objects.select_related("place__parent"), slug=slug)
    may_change = rules.may_change_rules(request.user, community)
    form: RulesForm | None = None
    status = 200
    if request.method == "POST":
        if not may_change:
            exc = Forbidden(_("只有上级街道的监督人员可以修改社区规则"))
            return render(request, "error.html", {"error": exc, "back": request.path}, status=403)
        # the form works on a copy: the service compares with the row as it is in the database
        form = RulesForm(request.POST, instance=Community.objects.get(pk=community.pk))
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = rules.change_rules(
                    community=community,
                    by=request.user,
                    values={name: data[name] for name in rules.RULE_FIELDS},
                    reason=data.get("reason", ""),
                )
            except YishiError as exc:
                attach_to_form(form, exc)
                status = exc.status
            else:
                if changed:
                    messages.success(request, _("社区规则已修改，从现在起生效"))
                else:
                    messages.info(request, _("没有改动"))
                return redirect("community-rules", slug=community.slug)
        else:
            status = 400
    elif may_change:
        form = RulesForm(instance=community)
    context = {
        "community": community,
        "form": form,
        "groups": _values(community),
        "changes": _changes(community),
    }
    return render(request, "projects/community_rules.html", context, status=status)


@login_required
def rules_index(request: HttpRequest) -> HttpResponse:
    """The communities whose rules this supervisor may change."""
    communities = (
        Community.objects.filter(supervised_q(request.user, ""))
        .select_related("place__parent")
        .order_by("place__parent__name", "name")
    )
    if not communities:
        exc = Forbidden(_("只有上级街道的监督人员可以修改社区规则"))
        return render(request, "error.html", {"error": exc, "back": "/"}, status=403)
    return render(
        request,
        "projects/rules_index.html",
        {"communities": communities},
    )
