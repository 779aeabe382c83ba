"""The kinds of notification, with their defaults.

A kind's ``mandatory`` flag means it is part of someone's duty (a task, a reminder, an
escalation, an objection to handle): it cannot be switched off, only its email can. ``email``
is the default for "also send me an email" until the user says otherwise. A kind not listed here
(a new one added elsewhere) is optional, shown under its own name, and not emailed by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from notifications.texts import register_texts


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any
    help: Any = ""
    mandatory: bool = False
    email: bool = False
    # The sentence (a gettext template over the notification's parameters), shown in the
    # reader's language; see ``texts.py``.
    text: Any = ""
    # Parameter name -> the formatter that shows it, where the name alone does not say
    # (e.g. ``{"title": "step"}``: this ``title`` is a workflow step, stored as its state).
    formats: dict[str, str] = field(default_factory=dict)
    # A notification about a step that is over: a later state change of its project takes it out
    # of the unread count (see ``services.notify``).
    of_a_step: bool = False


KINDS: dict[str, Kind] = {
    k.code: k
    for k in [
        Kind(
            "project.state",
            _("项目进展"),
            _("我提议、附议或关注的项目状态变化"),
            text=_("“%(title)s”状态变为：%(state)s"),
            of_a_step=True,
        ),
        Kind(
            "evaluation.opened",
            _("群众评议开始"),
            _("本社区项目完工后邀请居民评议"),
            text=_("“%(title)s”已完工，请参加群众评议（第 %(n)d 轮）"),
            of_a_step=True,
        ),
        Kind(
            "ballot.opened",
            _("预算投票开始"),
            _("本社区预算投票开始时提醒"),
            text=_("预算投票“%(title)s”开始了，截止 %(when)s"),
        ),
        Kind(
            "ballot.result",
            _("预算投票结果"),
            _("我提议或关注的项目在预算投票中的结果"),
            text=_("“%(name)s”在预算投票“%(title)s”中未入选（%(votes)d 票）"),
        ),
        Kind(
            "task.new",
            _("新待办"),
            _("轮到我的角色处理的新事项"),
            mandatory=True,
            text=_("新待办：%(title)s —— “%(project)s”"),
            formats={"title": "step"},
            of_a_step=True,
        ),
        Kind(
            "decision.opened",
            _("党委表决"),
            _("党委委员：有动议等待记名表决"),
            mandatory=True,
            email=True,
            text=_("“%(title)s”有动议待表决：%(motion)s"),
            of_a_step=True,
        ),
        Kind(
            "objection",
            _("公示异议"),
            _("党委委员：公示期间收到居民异议"),
            mandatory=True,
            email=True,
            text=_("“%(title)s”公示期间收到异议"),
            of_a_step=True,
        ),
        Kind(
            "meeting.invited",
            _("会议通知"),
            _("议事会、党委会或听证会邀请我参加会议"),
            mandatory=True,
            email=True,
            text=_("会议通知：“%(title)s”，%(starts_at)s，%(place)s。议程：%(agenda)s"),
        ),
        Kind(
            "meeting.minutes",
            _("会议纪要"),
            _("我参加的会议纪要待确认，可在期限内提出异议"),
            text=_("“%(title)s”会议纪要已发出，%(until_at)s 前可提出异议"),
        ),
        Kind(
            "task.reminder",
            _("待办到期提醒"),
            _("我的待办已到期限"),
            mandatory=True,
            email=True,
            text=_("待办已到期：%(title)s —— “%(project)s”"),
            formats={"title": "step"},
            of_a_step=True,
        ),
        Kind(
            "task.escalation",
            _("逾期督办"),
            _("街道监督：社区待办逾期未办"),
            mandatory=True,
            email=True,
            text=_("逾期督办：%(community)s “%(project)s” 的“%(title)s”已逾期"),
            formats={"title": "step"},
            of_a_step=True,
        ),
    ]
}


register_texts({code: (kind.text, kind.formats) for code, kind in KINDS.items() if kind.text})


def kind_info(code: str) -> Kind:
    """The registered kind, or an optional, not-emailed kind named by its code."""
    return KINDS.get(code) or Kind(code, code)
