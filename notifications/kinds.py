"""The kinds of notification, with their defaults.

A kind's ``mandatory`` flag means it is part of someone's duty (a task, a reminder, an
escalation, an objection to handle): it cannot be switched off, only its email can. ``email``
is the default for "also send me an email" until the user says otherwise. A kind not listed here
(a new one added elsewhere) is optional, shown under its own name, and not emailed by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any
    help: Any = ""
    mandatory: bool = False
    email: bool = False


KINDS: dict[str, Kind] = {
    k.code: k
    for k in [
        Kind(
            "project.state",
            _("项目进展"),
            _("我提议、附议或关注的项目状态变化"),
        ),
        Kind(
            "evaluation.opened",
            _("群众评议开始"),
            _("本社区项目完工后邀请居民评议"),
        ),
        Kind(
            "ballot.opened",
            _("预算投票开始"),
            _("本社区预算投票开始时提醒"),
        ),
        Kind(
            "ballot.result",
            _("预算投票结果"),
            _("我提议或关注的项目在预算投票中的结果"),
        ),
        Kind(
            "task.new",
            _("新待办"),
            _("轮到我的角色处理的新事项"),
            mandatory=True,
        ),
        Kind(
            "decision.opened",
            _("党委表决"),
            _("党委委员：有动议等待记名表决"),
            mandatory=True,
            email=True,
        ),
        Kind(
            "objection",
            _("公示异议"),
            _("党委委员：公示期间收到居民异议"),
            mandatory=True,
            email=True,
        ),
        Kind(
            "task.reminder",
            _("待办到期提醒"),
            _("我的待办已到期限"),
            mandatory=True,
            email=True,
        ),
        Kind(
            "task.escalation",
            _("逾期督办"),
            _("街道监督：社区待办逾期未办"),
            mandatory=True,
            email=True,
        ),
    ]
}


def kind_info(code: str) -> Kind:
    """The registered kind, or an optional, not-emailed kind named by its code."""
    return KINDS.get(code) or Kind(code, code)
