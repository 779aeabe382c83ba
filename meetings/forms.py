"""Forms of the meeting pages: they only parse input; the services hold the rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import Body
from meetings.services import MAX_OBJECTION_DAYS
from projects.models import Project

WHEN = "%Y-%m-%dT%H:%M"


class WhenInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=WHEN)


def _next_hour(hours: int) -> Any:
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    return now + timedelta(hours=hours)


def _project_label(p: Any) -> str:
    return f"{p.title}（{p.get_state_display()}）"


class MeetingForm(forms.Form):
    body = forms.ChoiceField(label=_("会议类型"), choices=Body.choices, initial=Body.COUNCIL)
    title = forms.CharField(label=_("会议名称"), max_length=120)
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=WhenInput(), input_formats=[WHEN, "%Y-%m-%d %H:%M"]
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"), widget=WhenInput(), input_formats=[WHEN, "%Y-%m-%d %H:%M"]
    )
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    video_url = forms.URLField(
        label=_("视频会议链接（可不填）"), max_length=500, required=False, assume_scheme="https"
    )
    projects = forms.ModelMultipleChoiceField(
        label=_("议程：待议项目"),
        queryset=Project.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other = forms.CharField(
        label=_("其他议题（可不填）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, projects: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "starts_at": _next_hour(1),
                "ends_at": _next_hour(2),
                "title": _("居民议事会会议"),
                "place": _("社区党群服务中心议事厅"),
            },
        )
        super().__init__(*args, **kwargs)
        if projects is not None:
            field = self.fields["projects"]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            field.queryset = projects
            field.label_from_instance = _project_label  # type: ignore[method-assign,assignment]


class MinutesForm(forms.Form):
    body = forms.CharField(
        label=_("会议纪要"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )
    objection_days = forms.IntegerField(
        label=_("异议期（天）"), min_value=0, max_value=MAX_OBJECTION_DAYS, initial=3
    )
