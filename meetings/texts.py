"""The texts meetings store as a code and parameters (see ``notifications/texts.py``): the notes
meeting votes, closed agenda items and published minutes leave on a project's timeline.
Registered by ``MeetingsConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from notifications.texts import Text, register_formatter, register_texts

TEXTS: dict[str, Any] = {
    "meeting.vote": (
        _("%(body)s“%(meeting)s”议题表决：%(member)s %(choice)s"),
        {"choice": "meeting_choice", "body": "meeting_body"},
    ),
    "meeting.vote_hands": (
        _("%(body)s“%(meeting)s”议题表决（秘书按举手录入）：%(member)s %(choice)s"),
        {"choice": "meeting_choice", "body": "meeting_body"},
    ),
    "meeting.recused": (
        _("%(body)s“%(meeting)s”议题表决：%(member)s 回避（%(why)s）"),
        {"body": "meeting_body"},
    ),
    "meeting.item": (
        _(
            "%(body)s“%(meeting)s”议题“%(matter)s”表决结果：%(outcome)s。"
            "出席 %(present)d/%(total)d（法定人数 %(quorum)d），赞成 %(yes)d，反对 %(no)d，"
            "弃权 %(abstain)d，回避 %(recused)d"
        ),
        {"outcome": "meeting_outcome", "body": "meeting_body"},
    ),
    "meeting.rollcall": (
        _("党委会“%(meeting)s”议题“%(matter)s”付党委决策表决：%(motion)s"),
        {"motion": "motion"},
    ),
    "hearing.signup": _("%(who)s 报名在听证会“%(meeting)s”上发言"),
    "hearing.speech": _("听证会“%(meeting)s”发言：%(who)s：%(summary)s ／ 答复：%(answer)s"),
    "hearing.held": _("听证会“%(meeting)s”已召开，纪要已公布（发言 %(speakers)d 人）"),
    "meeting.minutes": (
        _("%(body)s“%(meeting)s”会议纪要已公布（异议 %(objections)d 条）"),
        {"body": "meeting_body"},
    ),
}


def item_result(
    *,
    body: str,
    meeting: str,
    matter: str,
    outcome: str,
    present: int,
    total: int,
    quorum: int,
    yes: int,
    no: int,
    abstain: int,
    recused: int,
) -> Text:
    return Text(
        "meeting.item",
        {
            "body": body,
            "meeting": meeting,
            "matter": matter,
            "outcome": outcome,
            "present": present,
            "total": total,
            "quorum": quorum,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "recused": recused,
        },
    )


def _choice(value: Any) -> str:
    from meetings.models import ItemVote

    return str(ItemVote.Choice(value).label)


def _outcome(value: Any) -> str:
    from meetings.models import AgendaItem

    return str(AgendaItem.Outcome(value).label)


def _body(value: Any) -> str:
    from meetings.models import Body

    return str(Body(value).label)


def register() -> None:
    register_texts(TEXTS)
    register_formatter("meeting_choice", _choice)
    register_formatter("meeting_outcome", _outcome)
    register_formatter("meeting_body", _body)
