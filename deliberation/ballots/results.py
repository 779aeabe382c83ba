"""A round as the API and pages publish it: its settings, live standings, and the explained result."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deliberation import rules
from deliberation.ballot_models import (
    BudgetRound,
    BudgetRule,
    RoundProject,
    RoundResult,
)
from deliberation.ballots.counting import CENT, TIE_BREAK, _cents
from deliberation.ballots.selectors import _entry_key, _window_open, has_voted, standings, turnout
from projects.models import (
    Role,
    State,
)
from projects.selectors import user_has_role

RULE_HELP = {
    BudgetRule.GREEDY: gettext_lazy("按得票从高到低依次入选；放不下的项目跳过，继续看后面的项目。"),
    BudgetRule.GREEDY_NO_SKIP: gettext_lazy(
        "按得票从高到低依次入选；遇到第一个放不下的项目即停止。"
    ),
    BudgetRule.GREEDY_THRESHOLD: gettext_lazy(
        "只考虑得票不低于最低票数的项目，按得票从高到低依次入选，放不下的跳过。"
    ),
    BudgetRule.MES: gettext_lazy(
        "平等份额法：预算平均分给每位投票人；每轮选出支持者能凑齐成本、且每单位成本人均支付最少的项目，"
        "由支持者分摊；直到没有项目能凑齐为止。"
    ),
    BudgetRule.MES_ADD1: gettext_lazy(
        "平等份额法，并逐元增加每人份额重新计算，直到结果用尽预算（再多一个项目也放不下）或将超出预算为止"
        "（Pabulib 的 equalshares/add1）。"
    ),
}


def round_summary(rnd: BudgetRound) -> dict[str, Any]:
    return {
        "id": rnd.pk,
        "community": rnd.community.slug,
        "title": rnd.title,
        "status": rnd.status,
        "status_label": str(rnd.get_status_display()),
        "source": rnd.source,
        "rule": rnd.rule,
        "rule_label": str(rnd.get_rule_display()),
        "budget": str(rnd.budget),
        "currency": rnd.currency,
        "opens_at": rnd.opens_at,
        "closes_at": rnd.closes_at,
        "accepting_ballots": _window_open(rnd),
    }


def round_detail(rnd: BudgetRound, *, user: Any = None) -> dict[str, Any]:
    """A round as the API publishes it: settings, projects with live votes, turnout."""
    body = round_summary(rnd)
    body.update(
        {
            "description": rnd.description,
            "rule_help": str(RULE_HELP[BudgetRule(rnd.rule)]),
            "tie_break": str(TIE_BREAK),
            "min_votes": rnd.min_votes,
            "max_projects": rnd.max_projects,
            "cost_limited": rnd.cost_limited,
            "eligible": rnd.eligible,
            "voters": turnout(rnd),
            "projects": standings(rnd),
            "has_voted": has_voted(rnd, user),
            "may_vote": bool(
                user is not None
                and user.is_authenticated
                and _window_open(rnd)
                and user_has_role(user, rnd.community, Role.RESIDENT)
            ),
        }
    )
    return body


def money_text(value: Any) -> str:
    """Exact amounts from the trace (``"1234.5"`` or ``"p/q"``) as yuan with two decimals."""
    if value is None:
        return ""
    text = str(value)
    if "/" in text:
        return "≈" + str(_cents(Fraction(text)))
    return str(Decimal(text).quantize(CENT, rounding=ROUND_HALF_UP))


def _explain(rnd: BudgetRound, step: dict[str, Any]) -> str:
    verdict = step.get("verdict")
    v = {
        "rank": step.get("rank"),
        "score": step.get("score"),
        "cost": money_text(step.get("cost")),
        "left": money_text(step.get("budget_left")),
        "threshold": rnd.min_votes,
        "round": step.get("round"),
        "supporters": step.get("supporters"),
        "money": money_text(step.get("supporters_money")),
        "price": money_text(step.get("price")),
        "paid_in_full": step.get("paid_in_full") or 0,
    }
    explain = _explain_greedy if "rank" in step else _explain_mes
    return explain(rnd, verdict, v) or str(verdict)


def _explain_greedy(rnd: BudgetRound, verdict: Any, v: dict[str, Any]) -> str | None:
    if verdict == rules.Verdict.SELECTED:
        return (
            _(
                "得票排第 %(rank)s（%(score)s 票）；轮到它时剩余预算 %(left)s 元，够支付成本 %(cost)s 元：入选。"
            )
            % v
        )
    if verdict == rules.Verdict.DOES_NOT_FIT:
        if rnd.rule == BudgetRule.GREEDY_NO_SKIP:
            return (
                _(
                    "得票排第 %(rank)s（%(score)s 票）；剩余预算 %(left)s 元不够支付成本 %(cost)s 元：未入选，计票到此停止。"
                )
                % v
            )
        return (
            _(
                "得票排第 %(rank)s（%(score)s 票）；剩余预算 %(left)s 元不够支付成本 %(cost)s 元：跳过。"
            )
            % v
        )
    if verdict == rules.Verdict.NOT_REACHED:
        return (
            _(
                "得票排第 %(rank)s（%(score)s 票）；排在前面的项目已放不下，按“放不下即停止”规则不再考虑。"
            )
            % v
        )
    if verdict == rules.Verdict.BELOW_THRESHOLD:
        return _("得票 %(score)s 票，低于最低票数 %(threshold)s 票：不入选。") % v
    return None


def _explain_mes(rnd: BudgetRound, verdict: Any, v: dict[str, Any]) -> str | None:
    if verdict == rules.Verdict.SELECTED:
        return (
            _(
                "第 %(round)s 轮入选：%(supporters)s 位支持者共有 %(money)s 元，每人最多付 %(price)s 元"
                "（其中 %(paid_in_full)s 人付出了全部余额），凑齐成本 %(cost)s 元。"
            )
            % v
        )
    if verdict == rules.Verdict.NOT_AFFORDABLE:
        return (
            _(
                "第 %(round)s 轮起，%(supporters)s 位支持者剩余的份额合计 %(money)s 元，不够支付成本 %(cost)s 元：未入选。"
            )
            % v
        )
    if verdict == rules.Verdict.NO_SUPPORTERS:
        return _("无人投票支持：未入选。")
    if verdict == rules.Verdict.ZERO_COST:
        return _("成本为零，按成本满意度不产生效用：未入选。")
    return None


def _step_order(step: dict[str, Any]) -> tuple[int, int]:
    if "rank" in step:
        return (int(step["rank"]), 0)
    selected = step.get("verdict") == rules.Verdict.SELECTED
    return (int(step.get("round") or 10**9), 0 if selected else 1)


def round_results(rnd: BudgetRound) -> dict[str, Any]:
    """The published outcome: every project with its votes, verdict and the reason, in the order
    the rule looked at them; the rule, the tie-break, the inputs hash; what happened next."""
    body = round_summary(rnd)
    body.update({"rule_help": str(RULE_HELP[BudgetRule(rnd.rule)]), "tie_break": str(TIE_BREAK)})
    result = RoundResult.objects.filter(round=rnd).first()
    entries = {
        e.external_id: e
        for e in RoundProject.objects.filter(round_id=rnd.pk).select_related("project")
    }
    if result is None:
        body.update({"result": None, "projects": standings(rnd), "voters": turnout(rnd)})
        return body
    steps = sorted(result.trace.get("steps", []), key=_step_order) if result.trace else []
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for step in steps:
        e = entries.get(str(step.get("project_id")))
        if e is None:
            continue
        seen.add(e.external_id)
        rows.append(_result_row(rnd, e, step))
    for e in sorted(entries.values(), key=_entry_key):
        if e.external_id not in seen:
            rows.append(_result_row(rnd, e, None))
    mes = result.trace.get("mes") if result.trace else None
    body.update(
        {
            "result": {
                "total_cost": str(result.total_cost),
                "unspent": str(result.budget - result.total_cost),
                "voters": result.voters,
                "eligible": rnd.eligible,
                "inputs_sha256": result.inputs_sha256,
                "tie_break_code": result.tie_break,
                "computed_at": result.computed_at,
                "selected": [r["external_id"] for r in rows if r["selected"]],
                "mes": None
                if not mes
                else {
                    "voters": mes.get("voters"),
                    "voter_money": money_text(mes.get("voter_money")),
                    "increments": mes.get("increments"),
                    "rounds": mes.get("rounds"),
                },
            },
            "projects": rows,
        }
    )
    return body


def _result_row(rnd: BudgetRound, e: RoundProject, step: dict[str, Any] | None) -> dict[str, Any]:
    why = _("无人投票，本轮没有项目入选。") if step is None else _explain(rnd, step)
    after = ""
    if e.project is not None:
        state = State(e.project.state)
        if e.selected:
            after = (
                _("已进入“%(state)s”，待党委按 %(amount)s 元表决")
                % {"state": state.label, "amount": e.awarded_amount}
                if state == State.DECIDING
                else _("当前状态：%(state)s") % {"state": state.label}
            )
        else:
            after = _("未入选，项目保持“%(state)s”状态") % {"state": state.label}
    official = e.pb_extra.get("selected") if isinstance(e.pb_extra, dict) else None
    return {
        "project_id": e.project_id,
        "external_id": e.external_id,
        "name": e.name,
        "cost": str(e.cost),
        "votes": e.votes or 0,
        "selected": bool(e.selected),
        "awarded_amount": None if e.awarded_amount is None else str(e.awarded_amount),
        "verdict": None if step is None else step.get("verdict"),
        "round": None if step is None else step.get("round", step.get("rank")),
        "why": why,
        "after": after,
        "official_selected": None if official is None else official == "1",
    }
