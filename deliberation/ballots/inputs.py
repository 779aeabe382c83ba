"""Parsing what a committee member or a voter sends: a new round's settings and projects, a
ballot's choice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.ballot_models import BudgetRule
from projects.errors import Invalid

MAX_TITLE = 200


def _parse_int(value: Any, field: str, *, minimum: int, allow_none: bool = False) -> int | None:
    if value is None or value == "":
        if allow_none:
            return None
        value = minimum
    if isinstance(value, bool):
        raise Invalid(
            _("%(field)s 必须是整数") % {"field": field}, errors={field: [_("请输入整数")]}
        )
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(
            _("%(field)s 必须是整数") % {"field": field}, errors={field: [_("请输入整数")]}
        ) from None
    if number < minimum:
        raise Invalid(
            _("%(field)s 不能小于 %(min)d") % {"field": field, "min": minimum},
            errors={field: [_("不能小于 %(min)d") % {"min": minimum}]},
        )
    return number


def _aware(value: Any, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise Invalid(_("时间格式不正确"), errors={field: [_("时间格式不正确")]})
        value = parsed
    if not isinstance(value, datetime):
        raise Invalid(_("时间格式不正确"), errors={field: [_("时间格式不正确")]})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _clean_choice(project_ids: Any) -> list[str]:
    if not isinstance(project_ids, list | tuple):
        raise Invalid(_("请选择要支持的项目"), errors={"projects": [_("必须是项目编号的列表")]})
    ids: list[str] = []
    for raw in project_ids:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise Invalid(_("项目编号格式不正确"), errors={"projects": [_("项目编号格式不正确")]})
        pid = str(raw).strip()
        if not pid or len(pid) > 100:
            raise Invalid(_("项目编号格式不正确"), errors={"projects": [_("项目编号格式不正确")]})
        if pid in ids:
            raise Invalid(_("同一项目只能选一次"), errors={"projects": [pid]})
        ids.append(pid)
    if not ids:
        raise Invalid(_("请至少选择一个项目"), errors={"projects": [_("此项必填")]})
    return ids


def _round_fields(
    *,
    title: str,
    description: str,
    rule: str,
    min_votes: Any,
    max_projects: Any,
    opens_at: Any,
    closes_at: Any,
) -> dict[str, Any]:
    """A new round's settings, checked (400 on the first that is wrong), as model fields."""
    title = (title or "").strip()
    if not title:
        raise Invalid(_("请填写标题"), errors={"title": [_("此项必填")]})
    if len(title) > MAX_TITLE:
        raise Invalid(_("标题不能超过 200 字"), errors={"title": [_("过长")]})
    if rule not in BudgetRule.values:
        raise Invalid(_("未知的计票规则"), errors={"rule": [", ".join(BudgetRule.values)]})
    threshold = _parse_int(min_votes, "min_votes", minimum=0) or 0
    if rule == BudgetRule.GREEDY_THRESHOLD and threshold < 1:
        raise Invalid(
            _("“须达到最低票数”规则需要填写最低票数（至少 1 票）"),
            errors={"min_votes": [_("至少 1")]},
        )
    k = _parse_int(max_projects, "max_projects", minimum=1, allow_none=True)
    start = _aware(opens_at, "opens_at")
    end = _aware(closes_at, "closes_at")
    if end is None:
        raise Invalid(_("请填写截止时间"), errors={"closes_at": [_("此项必填")]})
    if end <= (start or timezone.now()):
        raise Invalid(_("截止时间必须晚于开始时间和现在"), errors={"closes_at": [_("时间不正确")]})
    return {
        "title": title,
        "description": (description or "").strip()[:5000],
        "rule": rule,
        "min_votes": threshold,
        "max_projects": k,
        "opens_at": start,
        "closes_at": end,
    }


def _project_ids(project_ids: Any) -> list[int]:
    """The round's project ids: a non-empty list of distinct positive integers."""
    if not isinstance(project_ids, list | tuple) or not project_ids:
        raise Invalid(_("请至少选择一个项目"), errors={"projects": [_("此项必填")]})
    wanted: list[int] = []
    for raw in project_ids:
        pid = _parse_int(raw, "projects", minimum=1)
        if pid in wanted:
            raise Invalid(_("项目重复"), errors={"projects": [str(pid)]})
        wanted.append(pid)  # type: ignore[arg-type]
    return wanted
