"""The texts projects stores as a code and parameters (see ``notifications/texts.py``): the notes
the system writes on a project's timeline, and how a stored state is shown.

Registered by ``ProjectsConfig.ready``. Timeline rows written before notes were stored this way
hold the note in Simplified Chinese inside ``reason``: :func:`legacy_note` recognises those lines
and shows them in the reader's language too.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from notifications.texts import Text, register_formatter, register_texts, render

TEXTS: dict[str, Any] = {
    "cosign.threshold_met": _("附议人数达到门槛"),
    "cosign.expired": _("附议期满未达门槛"),
    # execution and acceptance (``projects.execution``, ``deliberation.execution``)
    "acceptance.opened": _("第 %(n)d 轮验收开始，验收人 %(count)d 人"),
    "acceptance.signed_pass": _("第 %(n)d 轮验收签字：合格"),
    "acceptance.signed_fail": _("第 %(n)d 轮验收签字：不合格"),
    "acceptance.tally": _("第 %(n)d 轮验收：合格 %(yes)d，不合格 %(no)d（验收人 %(total)d 人）"),
    "acceptance.representatives": _("议事会指定居民代表参加验收：%(names)s"),
    "milestones.planned": _("实施计划：%(count)d 个节点，最后一个节点 %(end)s"),
    "progress.note": _("实施进展：完成 %(percent)d%%"),
    "progress.note_done": _("实施进展：完成 %(percent)d%%，节点“%(name)s”已完成"),
    "expenditure.milestone": _("支出 %(amount)s 元（节点“%(name)s”）"),
    "execution.overdue": _("已超过计划完工日期 %(days)d 天，已报党委和街道督办"),
    # the clerk's revision of the milestones during execution (``milestones_revise``)
    "milestones.add": (
        _("实施计划调整：新增节点 %(after)s；计划完工 %(end)s"),
        {"after": "milestone_row"},
    ),
    "milestones.change": (
        _("实施计划调整：节点 %(before)s 改为 %(after)s；计划完工 %(end)s"),
        {"before": "milestone_row", "after": "milestone_row"},
    ),
    "milestones.remove": (
        _("实施计划调整：删除节点 %(before)s；计划完工 %(end)s"),
        {"before": "milestone_row"},
    ),
}

# Notification kinds of execution and acceptance, registered with the others at start-up.
EXECUTION_KINDS: list[dict[str, Any]] = [
    {
        "code": "progress.posted",
        "label": _("实施进展"),
        "help": _("我提议或关注的项目发布实施进展"),
        "text": _("“%(title)s”发布实施进展：完成 %(percent)d%%"),
    },
    {
        "code": "acceptance.invited",
        "label": _("验收邀请"),
        "help": _("议事会成员和居民代表：项目申请验收"),
        "mandatory": True,
        "email": True,
        "text": _("“%(title)s”申请验收，请到现场查验并签字（第 %(n)d 轮）"),
        "of_a_step": True,
    },
    {
        "code": "milestone.late",
        "label": _("节点逾期"),
        "help": _("服务中心：实施节点过了计划日期仍未完成"),
        "mandatory": True,
        "text": _("“%(title)s”的节点“%(name)s”已过计划日期 %(date)s，尚未完成"),
    },
    {
        "code": "project.overdue",
        "label": _("项目逾期"),
        "help": _("党委和街道：项目超过计划完工日期"),
        "mandatory": True,
        "email": True,
        "text": _("逾期督办：“%(title)s”已超过计划完工日期 %(days)d 天"),
    },
]

# The memos the system writes on ledger entries.
MEMOS: dict[str, Any] = {
    "ledger.appropriation": _("拨入经费"),
    "ledger.carry_out": _("结转至 %(year)s 年度"),
    "ledger.carry_in": _("由 %(year)s 年度结转"),
    "ledger.allocation": _("项目批准"),
    "ledger.advance": _("开工拨付预付款"),
    "ledger.advance_returned": _("项目结项，预付款结余退回"),
    "ledger.holdback": _("评议通过拨付尾款"),
    "ledger.unreleased_returned": _("未拨付款退回"),
    "ledger.unspent_returned": _("结余退回"),
    "ledger.objection_upheld": _("公示异议成立，退回批准金额"),
    "ledger.final_fail": _("评议最终未通过，尾款退回"),
    "ledger.reversal": _("冲正 #%(id)s：%(reason)s"),
    "ledger.reversal_returned": _("冲正后结余退回"),
}


def memo(code: str, **params: Any) -> Text:
    """A ledger memo written by the system (``MEMOS``)."""
    return Text(code, params)


def memo_text(code: str | None, params: dict[str, Any] | None, stored: str) -> str:
    """A ledger entry's memo in the active language. Entries written before memos had a code
    show their stored memo, translated when it is one of the system's fixed memos."""
    if code:
        return render(code, params or {}, fallback=stored)
    legacy = _legacy_memos().get(stored)
    return render(legacy, {}, fallback=stored) if legacy else stored


def _legacy_memos() -> dict[str, str]:
    """The stored (Simplified Chinese) text of each fixed memo -> its code."""
    with translation.override(None):
        return {str(text): code for code, text in MEMOS.items() if "%(" not in str(text)}


def threshold_met() -> Text:
    return Text("cosign.threshold_met", {})


def cosign_expired() -> Text:
    return Text("cosign.expired", {})


def follower_news(state: str) -> bool:
    """Whether entering ``state`` is news to a project's followers and co-signers (the proposer
    hears of every step): its acceptance for review, the decision, the start of work, the
    public evaluation's outcome and every end. The staff's own steps in between (assessment,
    council, committee) are not; the evaluation itself reaches every resident as an invitation."""
    from projects.models import State

    return state in {
        State.SCREENING,
        State.PUBLICIZING,
        State.EXECUTING,
        State.ACCEPTING,
        State.RECTIFYING,
        State.CLOSED,
        State.FAILED,
        State.REJECTED,
        State.LAPSED,
        State.WITHDRAWN,
    }


def _state_label(value: Any) -> str:
    from projects.models import State

    return str(State(value).label)


def _milestone_row(value: Any) -> str:
    """A milestone as stored in a revision's before / after: “name” date · share%."""
    if not isinstance(value, dict):
        return str(value)
    return str(_("“%(name)s” %(date)s · 预算 %(share)s%%")) % {
        "name": value.get("name", ""),
        "date": value.get("date", ""),
        "share": value.get("share", ""),
    }


def register() -> None:
    from notifications.kinds import KINDS, Kind

    for entry in EXECUTION_KINDS:
        kind = Kind(**entry)
        KINDS.setdefault(kind.code, kind)
        register_texts({kind.code: (kind.text, kind.formats)})
    register_texts(TEXTS)
    register_texts(MEMOS)
    register_formatter("state", _state_label)
    register_formatter("source", _state_label)
    register_formatter("milestone_row", _milestone_row)


# --- rows written before notes had a code ---------------------------------------------------------
# (pattern over one line of the old Chinese reason, the code it was, the parameter names in order)
_LEGACY: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    (re.compile(r"^附议人数达到门槛$"), "cosign.threshold_met", ()),
    (re.compile(r"^附议期满未达门槛$"), "cosign.expired", ()),
    (
        re.compile(r"^表决结果：出席 (\d+)/(\d+)，赞成 (\d+)，反对 (\d+)，弃权 (\d+)，回避 (\d+)$"),
        "decision.tally",
        ("present", "total", "yes", "no", "abstain", "recused"),
    ),
    (
        re.compile(
            r"^第 (\d+) 轮评议：满意 (\d+)，基本满意 (\d+)，不满意 (\d+)；"
            r"参与率 ([\d.]+)%，满意率 ([\d.]+)%$"
        ),
        "evaluation.tally",
        ("n", "s", "b", "d", "t", "r"),
    ),
]


def _legacy_line(line: str) -> str | None:
    for pattern, code, names in _LEGACY:
        m = pattern.match(line.strip())
        if m is None:
            continue
        params: dict[str, Any] = {}
        for name, raw in zip(names, m.groups(), strict=True):
            params[name] = float(raw) if "." in raw else int(raw)
        shown = render(code, params)
        return shown or None
    return None


def legacy_note(reason: str) -> tuple[str, str]:
    """Split an old row's reason into (the system's note, in the active language; what a person
    wrote, as written)."""
    notes: list[str] = []
    words: list[str] = []
    for line in (reason or "").splitlines():
        shown = _legacy_line(line)
        if shown is None:
            words.append(line)
        else:
            notes.append(shown)
    return "\n".join(notes), "\n".join(words).strip()


def event_note_and_words(
    kind: str | None, params: dict[str, Any] | None, reason: str
) -> tuple[str, str]:
    """What a timeline row shows: the system's note in the reader's language, and the person's
    words. Rows with a code render it; older rows are read through :func:`legacy_note`."""
    if kind:
        return render(kind, params or {}), reason
    return legacy_note(reason)
