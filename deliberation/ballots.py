"""Budget ballots (预算投票): services, the live standings and the published results.

A committee member creates a round over shortlisted projects of one community (projects in
``deliberating`` or ``deciding`` with an assessed cost), with the fund's available amount as the
default budget and one of the rules of :mod:`deliberation.rules`, then opens it. Each eligible
resident casts one approval ballot; who voted and what was chosen are stored apart
(:class:`~deliberation.ballot_models.BallotParticipation` /
:class:`~deliberation.ballot_models.Ballot`). Closing the round computes the winners in exact
arithmetic with the round's rule and the published tie-break, stores a
:class:`~deliberation.ballot_models.RoundResult` (rule, tie-break, inputs hash, explanation), and
moves each winner that is still in ``deliberating`` on to ``deciding`` with its amount recorded.

Reproducing a result: :func:`inputs_canonical` is the exact text hashed into
``RoundResult.inputs_sha256``; :func:`round_to_election` gives the same inputs as a Pabulib file
(``manage.py pb_export``), which ``manage.py pb_outcome`` recomputes with the same rule.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deliberation import pabulib, rules
from deliberation.ballot_models import (
    Ballot,
    BallotApproval,
    BallotParticipation,
    BudgetRound,
    BudgetRule,
    RoundProject,
    RoundResult,
)
from notifications.events import publish, publish_on_commit, screen_group
from notifications.services import notify
from projects import ledger
from projects import services as project_services
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Community,
    Fund,
    Membership,
    Project,
    ProjectFollower,
    Role,
    State,
)
from projects.models.lifecycle import MAX_AMOUNT
from projects.selectors import eligible_residents, user_has_role

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
SHORTLIST_STATES = (State.DELIBERATING, State.DECIDING)
MAX_TITLE = 200

TIE_BREAK = gettext_lazy(
    "同等条件下（贪心规则：票数相同；平等份额法：每单位效用的支付额 ρ/成本 相同），"
    "项目编号按字符串顺序在前者优先（逐字符比较，如“10”排在“9”之前）；与 Pabulib/pabutools 的默认规则一致。"
    "无人投票的一轮没有项目入选。"
)
TIE_BREAK_CODE = "project_id string order (pabutools lexico_tie_breaking)"

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

# Pabulib META ``rule`` values and ours.
PB_RULE_IN = {
    "greedy": BudgetRule.GREEDY,
    "greedy-no-skip": BudgetRule.GREEDY_NO_SKIP,
    "greedy-threshold": BudgetRule.GREEDY_THRESHOLD,
    "mes": BudgetRule.MES,
    "equalshares": BudgetRule.MES,
    "mes-add1": BudgetRule.MES_ADD1,
    "equalshares/add1": BudgetRule.MES_ADD1,
}
PB_RULE_OUT = {
    BudgetRule.GREEDY: "greedy",
    BudgetRule.GREEDY_NO_SKIP: "greedy-no-skip",
    BudgetRule.GREEDY_THRESHOLD: "greedy-threshold",
    BudgetRule.MES: "equalshares",
    BudgetRule.MES_ADD1: "equalshares/add1",
}


# --- reading --------------------------------------------------------------------------------
def rounds_visible_to(*, user: Any) -> QuerySet[BudgetRound]:
    """Every round that has been opened is public; drafts only to the community's committee."""
    q = ~Q(status=BudgetRound.Status.DRAFT)
    if user is not None and user.is_authenticated:
        committees = Membership.objects.filter(user_id=user.pk, role=Role.COMMITTEE).values(
            "community"
        )
        q |= Q(community__in=committees)
    return BudgetRound.objects.filter(q).select_related("community")


def shortlist_candidates(community: Community) -> QuerySet[Project]:
    """Projects a round of ``community`` may list: assessed, in ``deliberating`` or ``deciding``."""
    return Project.objects.filter(
        community=community, state__in=SHORTLIST_STATES, assessed_cost__isnull=False
    ).order_by("pk")


def busy_project_ids(community: Community, exclude_round: int | None = None) -> set[int]:
    """Projects already listed in a round of ``community`` that has not been counted yet."""
    qs = RoundProject.objects.filter(
        round__community=community,
        round__status__in=[BudgetRound.Status.DRAFT, BudgetRound.Status.OPEN],
        project__isnull=False,
    )
    if exclude_round is not None:
        qs = qs.exclude(round_id=exclude_round)
    return {pid for pid in qs.values_list("project_id", flat=True) if pid is not None}


def fund_available(community: Community) -> Decimal | None:
    """This year's fund's available amount, or ``None`` if the community has no fund this year."""
    fund = Fund.objects.filter(community=community, year=timezone.localdate().year).first()
    return None if fund is None else ledger.fund_balances(fund).available


def _vote_counts(rnd: BudgetRound) -> dict[int, int]:
    rows = (
        BallotApproval.objects.filter(entry__round_id=rnd.pk)
        .values_list("entry_id")
        .annotate(n=Count("id"))
        .values_list("entry_id", "n")
    )
    return dict(rows)


def _entry_key(entry: RoundProject) -> tuple[int, str]:
    return (-(entry.votes or 0), entry.external_id)


def standings(round: BudgetRound) -> list[dict[str, Any]]:
    """Approvals per project so far (public and live), most votes first, then the published
    tie-break (project id in string order): ``{project_id, external_id, name, cost, votes}``."""
    counts = _vote_counts(round)
    rows: list[dict[str, Any]] = [
        {
            "project_id": e.project_id,
            "external_id": e.external_id,
            "name": e.name,
            "cost": str(e.cost),
            "votes": counts.get(e.pk, 0),
        }
        for e in RoundProject.objects.filter(round_id=round.pk)
    ]
    rows.sort(key=lambda r: (-r["votes"], r["external_id"]))
    return rows


def turnout(rnd: BudgetRound) -> int:
    return BallotParticipation.objects.filter(round_id=rnd.pk).count()


def has_voted(rnd: BudgetRound, user: Any) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return BallotParticipation.objects.filter(round_id=rnd.pk, voter_key=_voter_key(user)).exists()


def _window_open(rnd: BudgetRound, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if rnd.status != BudgetRound.Status.OPEN:
        return False
    return (rnd.opens_at is None or rnd.opens_at <= now) and now < rnd.closes_at


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


# --- writing: rounds ------------------------------------------------------------------------
def _require_committee(by: Any, community: Community, message: str) -> None:
    if not user_has_role(by, community, Role.COMMITTEE):
        raise Forbidden(message)


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


def round_create(
    *,
    community: Community,
    by: User,
    title: str,
    rule: str,
    closes_at: Any,
    project_ids: Sequence[Any],
    budget: Any = None,
    min_votes: Any = 0,
    max_projects: Any = None,
    cost_limited: bool = False,
    opens_at: Any = None,
    description: str = "",
) -> BudgetRound:
    """A committee member drafts a round over shortlisted projects of ``community``.

    The budget defaults to this year's fund's available amount and may not exceed it."""
    _require_committee(by, community, _("只有社区党委委员可以发起预算投票"))
    title = (title or "").strip()
    if not title:
        raise Invalid(_("请填写标题"), errors={"title": [_("此项必填")]})
    if len(title) > MAX_TITLE:
        raise Invalid(_("标题不能超过 200 字"), errors={"title": [_("过长")]})
    description = (description or "").strip()[:5000]
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
    if not isinstance(project_ids, list | tuple) or not project_ids:
        raise Invalid(_("请至少选择一个项目"), errors={"projects": [_("此项必填")]})
    wanted: list[int] = []
    for raw in project_ids:
        pid = _parse_int(raw, "projects", minimum=1)
        if pid in wanted:
            raise Invalid(_("项目重复"), errors={"projects": [str(pid)]})
        wanted.append(pid)  # type: ignore[arg-type]
    with transaction.atomic():
        projects = {
            p.pk: p
            for p in Project.objects.select_for_update().filter(pk__in=wanted, community=community)
        }
        bad = [
            str(pid)
            for pid in wanted
            if pid not in projects
            or projects[pid].state not in SHORTLIST_STATES
            or projects[pid].assessed_cost is None
        ]
        if bad:
            raise Invalid(
                _("只能列入本社区处于“议事会协商”或“党委决策”且已评估成本的项目：%(ids)s")
                % {"ids": "、".join(bad)},
                errors={"projects": bad},
            )
        busy = sorted(set(wanted) & busy_project_ids(community))
        if busy:
            raise Conflict(
                _("项目 %(ids)s 已列入另一轮尚未计票的预算投票")
                % {"ids": "、".join(map(str, busy))}
            )
        available = fund_available(community)
        if budget is None or budget == "":
            if available is None:
                raise Invalid(
                    _("本社区本年度尚未设立公益事业经费，请填写预算"),
                    errors={"budget": [_("此项必填")]},
                )
            amount = available
            if amount <= 0:
                raise Conflict(_("经费已无可用余额"))
        else:
            amount = project_services.parse_amount(budget, field="budget")
        if available is not None and amount > available:
            raise Invalid(
                _("预算 %(amount)s 超出经费可用余额 %(available)s")
                % {"amount": amount, "available": available},
                errors={"budget": [_("超出经费可用余额")]},
            )
        rnd = BudgetRound(
            community=community,
            title=title,
            description=description,
            budget=amount,
            rule=rule,
            min_votes=threshold,
            max_projects=k,
            cost_limited=bool(cost_limited),
            opens_at=start,
            closes_at=end,
            created_by=by,
        )
        rnd.full_clean()
        rnd.save()
        RoundProject.objects.bulk_create(
            RoundProject(
                round=rnd,
                project=projects[pid],
                external_id=str(pid),
                name=projects[pid].title,
                cost=projects[pid].assessed_cost or Decimal("0"),
                position=i,
            )
            for i, pid in enumerate(wanted)
        )
    return rnd


def round_open(*, round: BudgetRound, by: User) -> BudgetRound:
    """Draft → open: the eligible residents are counted and told."""
    with transaction.atomic():
        rnd = BudgetRound.objects.select_for_update().select_related("community").get(pk=round.pk)
        _require_committee(by, rnd.community, _("只有社区党委委员可以开放预算投票"))
        if rnd.status != BudgetRound.Status.DRAFT:
            raise Conflict(_("只有草稿状态的预算投票可以开放"), state=rnd.status)
        now = timezone.now()
        if rnd.closes_at <= now:
            raise Conflict(_("截止时间已过，请重新设定"), state=rnd.status)
        stale = [
            e.name
            for e in rnd.entries.select_related("project")
            if e.project is not None and e.project.state not in SHORTLIST_STATES
        ]
        if stale:
            raise Conflict(
                _("以下项目已不在“议事会协商”或“党委决策”状态：%(names)s")
                % {"names": "、".join(stale)},
                state=rnd.status,
            )
        residents = eligible_residents(rnd.community)
        rnd.status, rnd.opened_at, rnd.opened_by = BudgetRound.Status.OPEN, now, by
        rnd.opens_at = rnd.opens_at or now
        rnd.eligible = residents.values("user_id").distinct().count()
        rnd.save()
        notify(
            recipients=residents.values_list("user_id", flat=True),
            kind="ballot.opened",
            verb=_("预算投票“%(title)s”开始了，截止 %(when)s")
            % {
                "title": rnd.title,
                "when": timezone.localtime(rnd.closes_at).strftime("%Y-%m-%d %H:%M"),
            },
            actor=by,
            url=f"/rounds/{rnd.pk}/",
        )
        publish_on_commit(
            screen_group(rnd.community.slug),
            {"kind": "ballot.opened", "round_id": rnd.pk, "title": rnd.title},
        )
    return rnd


# --- writing: ballots -----------------------------------------------------------------------
@dataclass(frozen=True)
class BallotReceipt:
    """What a voter gets back: the public standings and turnout, never the ballot itself."""

    round_id: int
    voters: int
    eligible: int
    standings: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "round": self.round_id,
            "voters": self.voters,
            "eligible": self.eligible,
            "standings": self.standings,
        }


def _voter_key(user: Any) -> str:
    return f"u:{user.pk}"


def _round_for_ballot(pk: int) -> BudgetRound:
    """Read the round and hold it against a concurrent close until this ballot commits.

    On PostgreSQL ``FOR KEY SHARE`` lets ballots proceed side by side but makes ``round_close``
    (``FOR UPDATE``) wait for them, and a ballot that arrives while the round is being closed waits
    and then sees it closed. SQLite serialises writing transactions anyway."""
    if connection.vendor == "postgresql":
        sql = f'SELECT * FROM "{BudgetRound._meta.db_table}" WHERE id = %s FOR KEY SHARE'  # noqa: S608 - our table
        found = list(BudgetRound.objects.raw(sql, [pk]))
        if not found:
            raise BudgetRound.DoesNotExist
        return found[0]
    return BudgetRound.objects.get(pk=pk)


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


def ballot_cast(*, round: BudgetRound, by: User, project_ids: Any) -> BallotReceipt:
    """One approval ballot per eligible resident per round. Refused, with nothing written: a
    project outside the round, more projects than allowed, a total cost over the budget (when the
    round limits it), a round that is not open, a voter who is not an eligible resident."""
    ids = _clean_choice(project_ids)
    with transaction.atomic():
        try:
            rnd = _round_for_ballot(round.pk)
        except BudgetRound.DoesNotExist:
            raise Conflict(_("该预算投票不存在")) from None
        now = timezone.now()
        if rnd.status != BudgetRound.Status.OPEN:
            raise Conflict(
                _("该预算投票未开放")
                if rnd.status == BudgetRound.Status.DRAFT
                else _("该预算投票已结束"),
                state=rnd.status,
            )
        if rnd.opens_at is not None and now < rnd.opens_at:
            raise Conflict(_("投票尚未开始"), state=rnd.status)
        if now >= rnd.closes_at:
            raise Conflict(_("投票已截止"), state=rnd.status)
        community = Community.objects.get(pk=rnd.community_id)
        if not user_has_role(by, community, Role.RESIDENT):
            raise Forbidden(_("只有本社区登记居民可以参加预算投票"))
        entries = {
            e.external_id: e
            for e in RoundProject.objects.filter(round_id=rnd.pk, external_id__in=ids)
        }
        unknown = [pid for pid in ids if pid not in entries]
        if unknown:
            raise Invalid(
                _("项目 %(ids)s 不在本轮投票中") % {"ids": "、".join(unknown)},
                errors={"projects": unknown},
            )
        if rnd.max_projects is not None and len(ids) > rnd.max_projects:
            raise Invalid(
                _("每张选票最多选 %(k)d 个项目，您选了 %(n)d 个")
                % {"k": rnd.max_projects, "n": len(ids)},
                errors={"projects": [_("选择过多")]},
            )
        total = sum((entries[pid].cost for pid in ids), Decimal("0"))
        if rnd.cost_limited and total > rnd.budget:
            raise Invalid(
                _("所选项目总成本 %(total)s 元超过预算 %(budget)s 元")
                % {"total": total, "budget": rnd.budget},
                errors={"projects": [_("超过预算")]},
            )
        try:
            with transaction.atomic():
                BallotParticipation.objects.create(
                    round_id=rnd.pk, voter=by, voter_key=_voter_key(by)
                )
                ballot = Ballot.objects.create(round_id=rnd.pk)
                BallotApproval.objects.bulk_create(
                    BallotApproval(ballot=ballot, entry=entries[pid]) for pid in ids
                )
        except IntegrityError:
            raise Invalid(_("您已在本轮预算投票中投过票")) from None
        slug, round_id = community.slug, rnd.pk
        transaction.on_commit(lambda: _publish_standings(round_id, slug), robust=True)
        voters = turnout(rnd)
        current = standings(rnd)
    return BallotReceipt(round_id=rnd.pk, voters=voters, eligible=rnd.eligible, standings=current)


def _publish_standings(round_id: int, slug: str) -> None:
    """After a ballot commits: the live totals to the community's screen (``ballot.tally``)."""
    try:
        rnd = BudgetRound.objects.get(pk=round_id)
        event = {
            "kind": "ballot.tally",
            "round_id": rnd.pk,
            "title": rnd.title,
            "voters": turnout(rnd),
            "eligible": rnd.eligible,
            "budget": str(rnd.budget),
            "standings": standings(rnd),
        }
    except Exception:  # the ballot is committed; a failed broadcast must not turn it into an error
        log.exception("could not compute standings of round %s", round_id)
        return
    publish(screen_group(slug), event)


# --- closing: computing the winners ---------------------------------------------------------
def _profile(rnd: BudgetRound) -> tuple[list[RoundProject], list[frozenset[str]]]:
    """The round's projects (in listing order) and one approval set per ballot."""
    entries = list(RoundProject.objects.filter(round_id=rnd.pk).order_by("position", "pk"))
    ids = {e.pk: e.external_id for e in entries}
    sets: dict[Any, set[str]] = {
        b: set() for b in Ballot.objects.filter(round_id=rnd.pk).values_list("id", flat=True)
    }
    for ballot_id, entry_id in BallotApproval.objects.filter(ballot__round_id=rnd.pk).values_list(
        "ballot_id", "entry_id"
    ):
        sets[ballot_id].add(ids[entry_id])
    return entries, [frozenset(s) for s in sets.values()]


def inputs_canonical(
    rnd: BudgetRound, entries: Sequence[RoundProject], approvals: Iterable[frozenset[str]]
) -> str:
    """The exact text whose SHA-256 is published with the result: compact JSON with the rule, the
    threshold, the budget, the projects (id, cost) in id order, and the ballots as sorted id lists,
    sorted. Anyone holding the ``.pb`` export can rebuild it."""
    data = {
        "rule": rnd.rule,
        "min_votes": rnd.min_votes if rnd.rule == BudgetRule.GREEDY_THRESHOLD else None,
        "budget": str(rnd.budget),
        "projects": sorted([e.external_id, str(e.cost)] for e in entries),
        "ballots": sorted(sorted(a) for a in approvals),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def compute(
    rnd: BudgetRound,
) -> tuple[rules.RuleResult | None, list[RoundProject], list[frozenset[str]]]:
    """Run the round's rule on its ballots (``None`` when nobody voted: no winners)."""
    entries, approvals = _profile(rnd)
    if not approvals:
        return None, entries, approvals
    counts = Counter(pid for a in approvals for pid in a)
    data = rules.RuleInput(
        budget=Fraction(rnd.budget),
        costs={e.external_id: Fraction(e.cost) for e in entries},
        scores={e.external_id: Fraction(counts.get(e.external_id, 0)) for e in entries},
        approvals=tuple(approvals),
        threshold=Fraction(rnd.min_votes) if rnd.rule == BudgetRule.GREEDY_THRESHOLD else None,
    )
    return rules.run(rnd.rule, data), entries, approvals


def _cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def _everyone_voted(rnd: BudgetRound) -> bool:
    """Has every resident registered now (eligibility is checked live) cast a ballot?"""
    residents = eligible_residents(rnd.community).values("user_id").distinct().count()
    voted = BallotParticipation.objects.filter(
        round_id=rnd.pk,
        voter__memberships__community_id=rnd.community_id,
        voter__memberships__role=Role.RESIDENT,
    ).count()
    return residents > 0 and voted >= residents


def round_close(*, round: BudgetRound, by: User | None, force: bool = False) -> RoundResult:
    """Count the round with its rule and publish the result; winners move on to ``deciding``.

    A committee member may close once the window is over (or everyone eligible has voted);
    ``by=None`` is the system closing a round whose window is over. ``force`` (management use
    only) closes before the window ends."""
    with transaction.atomic():
        rnd = BudgetRound.objects.select_for_update().select_related("community").get(pk=round.pk)
        if by is not None:
            _require_committee(by, rnd.community, _("只有社区党委委员可以结束预算投票"))
        if rnd.status != BudgetRound.Status.OPEN:
            raise Conflict(
                _("该预算投票尚未开放")
                if rnd.status == BudgetRound.Status.DRAFT
                else _("该预算投票已计票"),
                state=rnd.status,
            )
        now = timezone.now()
        if now < rnd.closes_at and not force and not _everyone_voted(rnd):
            raise Conflict(
                _("投票至 %(when)s 截止，尚未结束")
                % {"when": timezone.localtime(rnd.closes_at).strftime("%Y-%m-%d %H:%M")},
                state=rnd.status,
            )
        outcome, entries, approvals = compute(rnd)
        counts = Counter(pid for a in approvals for pid in a)
        selected = set(outcome.selected) if outcome else set()
        total = sum((e.cost for e in entries if e.external_id in selected), Decimal("0"))
        result = RoundResult.objects.create(
            round=rnd,
            rule=rnd.rule,
            tie_break=TIE_BREAK_CODE,
            budget=rnd.budget,
            total_cost=total,
            voters=len(approvals),
            inputs_sha256=hashlib.sha256(
                inputs_canonical(rnd, entries, approvals).encode()
            ).hexdigest(),
            trace=outcome.as_dict() if outcome else {},
            computed_by=by,
        )
        for e in entries:
            e.votes = counts.get(e.external_id, 0)
            e.selected = e.external_id in selected
            e.awarded_amount = e.cost if e.selected else None
        RoundProject.objects.bulk_update(entries, ["votes", "selected", "awarded_amount"])
        rnd.status, rnd.closed_at, rnd.closed_by = BudgetRound.Status.CLOSED, now, by
        rnd.save(update_fields=["status", "closed_at", "closed_by"])
        for e in entries:
            if e.project_id is None:
                continue
            if e.selected:
                reason = _(
                    "预算投票“%(title)s”（%(rule)s）结果：入选，%(votes)d 票，金额 %(amount)s 元"
                ) % {
                    "title": rnd.title,
                    "rule": rnd.get_rule_display(),
                    "votes": e.votes or 0,
                    "amount": e.cost,
                }
                _recommend_winner(e, by=by, reason=reason)
            else:
                _tell_followers(e, rnd, by)
        publish_on_commit(
            screen_group(rnd.community.slug),
            {
                "kind": "ballot.closed",
                "round_id": rnd.pk,
                "title": rnd.title,
                "selected": [
                    {
                        "project_id": e.project_id,
                        "external_id": e.external_id,
                        "name": e.name,
                        "cost": str(e.cost),
                    }
                    for e in entries
                    if e.selected
                ],
            },
        )
    return result


def _recommend_winner(entry: RoundProject, *, by: User | None, reason: str) -> None:
    """Fire ``recommend`` (deliberating → deciding) for a winner, as the ballot's result, with the
    committee member who closed the round (or the system) as the actor."""
    from deliberation import workflow

    assert entry.project_id is not None
    project = (
        Project.objects.select_for_update().select_related("community").get(pk=entry.project_id)
    )
    if project.state != State.DELIBERATING:
        return  # already in ``deciding`` (or moved on): the amount is recorded on the entry
    project = project_services.project_recommend_by_ballot(
        project=project, by=by, reason=reason, amount=entry.cost
    )
    workflow.sync(project, by)


def _tell_followers(entry: RoundProject, rnd: BudgetRound, by: User | None) -> None:
    assert entry.project_id is not None
    followers = ProjectFollower.objects.filter(project_id=entry.project_id).values_list(
        "user_id", flat=True
    )
    notify(
        recipients=followers,
        kind="ballot.result",
        verb=_("“%(name)s”在预算投票“%(title)s”中未入选（%(votes)d 票）")
        % {"name": entry.name, "title": rnd.title, "votes": entry.votes or 0},
        actor=by,
        project_id=entry.project_id,
        project_title=entry.name,
        url=f"/rounds/{rnd.pk}/results/",
    )


def rounds_close_due(now: datetime | None = None) -> int:
    """Close (as the system) every open round whose window is over; returns how many."""
    now = now or timezone.now()
    n = 0
    for rnd in BudgetRound.objects.filter(status=BudgetRound.Status.OPEN, closes_at__lte=now):
        try:
            round_close(round=rnd, by=None)
        except Conflict:
            continue
        n += 1
    return n


def ballot_amount_for(project: Project) -> Decimal | None:
    """The amount a closed budget ballot recorded for ``project`` (latest round), if it won."""
    entry = (
        RoundProject.objects.filter(
            project=project, selected=True, round__status=BudgetRound.Status.CLOSED
        )
        .order_by("-round__closed_at")
        .first()
    )
    return None if entry is None else entry.awarded_amount


# --- the published result -------------------------------------------------------------------
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
    if "rank" in step:  # greedy
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
    else:  # MES
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
    return str(verdict)


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


# --- Pabulib interop ------------------------------------------------------------------------
class PbImportError(Invalid):
    """A .pb file that cannot become a round (the message names the line where known)."""


def _pb_amount(value: pabulib.Number, what: str) -> Decimal:
    amount = Decimal(value)
    if amount != amount.quantize(CENT) or amount <= 0 or amount > MAX_AMOUNT:
        raise PbImportError(
            _("%(what)s 必须是大于零、最多两位小数的金额：%(value)s")
            % {"what": what, "value": value}
        )
    return amount.quantize(CENT)


def _meta_line(text: str | None, key: str) -> str:
    if not text:
        return ""
    for n, line in enumerate(text.splitlines(), start=1):
        if line.split(";", 1)[0].strip() == key:
            return _("第 %(n)d 行：") % {"n": n}
    return ""


def round_import(
    *,
    community: Community,
    election: pabulib.Election,
    text: str | None = None,
    title: str = "",
    rule: str | None = None,
    by: User | None = None,
) -> BudgetRound:
    """Turn a parsed Pabulib election (approval or choose-1) into a round of external projects,
    with its ballots; the round's window is over at once, ready to be counted."""
    if election.vote_type not in ("approval", "choose-1"):
        raise PbImportError(
            _("%(where)s只能导入 approval 或 choose-1 类型的投票（文件为 %(type)s）")
            % {"where": _meta_line(text, "vote_type"), "type": election.vote_type}
        )
    name = rule or election.rule or ""
    chosen = PB_RULE_IN.get(name)
    if chosen is None:
        raise PbImportError(
            _("%(where)s文件的计票规则“%(rule)s”无法识别，请指定规则（%(rules)s）")
            % {
                "where": _meta_line(text, "rule"),
                "rule": name,
                "rules": ", ".join(BudgetRule.values),
            }
        )
    budget = _pb_amount(election.budget, "budget")
    threshold = 0
    if chosen == BudgetRule.GREEDY_THRESHOLD:
        raw = election.meta.get("min_project_score_threshold")
        number = pabulib.parse_number(raw or "")
        if not isinstance(number, int) or number < 0:
            raise PbImportError(
                _("%(where)s“须达到最低票数”规则需要整数 min_project_score_threshold")
                % {"where": _meta_line(text, "min_project_score_threshold")}
            )
        threshold = number
    k: int | None = 1 if election.vote_type == "choose-1" else None
    length = pabulib.parse_number(election.meta.get("max_length", ""))
    if isinstance(length, int) and length >= 1:
        k = length if k is None else min(k, length)
    now = timezone.now()
    title = (
        title or election.meta.get("description") or election.meta.get("instance") or "Pabulib"
    ).strip()[:MAX_TITLE]
    known = {
        "budget",
        "vote_type",
        "rule",
        "num_projects",
        "num_votes",
        "min_project_score_threshold",
        "max_length",
        "currency",
    }
    with transaction.atomic():
        rnd = BudgetRound.objects.create(
            community=community,
            title=title,
            budget=budget,
            rule=chosen,
            min_votes=threshold,
            max_projects=k,
            cost_limited=False,
            status=BudgetRound.Status.OPEN,
            source=BudgetRound.Source.PABULIB,
            currency=(election.meta.get("currency") or "CNY")[:8],
            opens_at=now - timedelta(seconds=1),
            closes_at=now,
            opened_at=now,
            created_by=by,
            opened_by=by,
            eligible=0,
            pb_meta={k_: v for k_, v in election.meta.items() if k_ not in known},
        )
        entries: dict[str, RoundProject] = {}
        for i, (pid, row) in enumerate(election.projects.items()):
            if len(pid) > 100:
                raise PbImportError(_("项目编号过长：%(id)s") % {"id": pid[:40]})
            extra = dict(row.extra)
            if row.selected is not None:
                extra["selected"] = "1" if row.selected else "0"
            entries[pid] = RoundProject(
                round=rnd,
                external_id=pid,
                name=(row.name or pid)[:300],
                cost=_pb_amount(row.cost, _("项目 %(id)s 的成本") % {"id": pid}),
                position=i,
                pb_extra=extra,
            )
        RoundProject.objects.bulk_create(entries.values(), batch_size=1000)
        parts: list[BallotParticipation] = []
        ballots: list[Ballot] = []
        approvals: list[BallotApproval] = []
        for b in election.votes:
            parts.append(
                BallotParticipation(round=rnd, voter=None, voter_key=f"pb:{b.voter_id}"[:120])
            )
            ballot = Ballot(round=rnd)
            ballots.append(ballot)
            approvals.extend(BallotApproval(ballot=ballot, entry=entries[p]) for p in b.projects)
        BallotParticipation.objects.bulk_create(parts, batch_size=2000)
        Ballot.objects.bulk_create(ballots, batch_size=2000)
        BallotApproval.objects.bulk_create(approvals, batch_size=5000)
    return rnd


def round_to_election(rnd: BudgetRound) -> pabulib.Election:
    """A closed round as a Pabulib approval election. Voter ids are 1..n over the ballots sorted
    by their contents: no voter identity, no casting order."""
    if rnd.status != BudgetRound.Status.CLOSED:
        raise Conflict(_("只有已计票的预算投票可以导出"), state=rnd.status)
    entries, approvals = _profile(rnd)
    order = sorted(sorted(a) for a in approvals)
    meta: dict[str, str] = {
        "description": rnd.title,
        "country": "China",
        "unit": rnd.community.name,
        "instance": str(rnd.pk),
    }
    meta.update({k: str(v) for k, v in (rnd.pb_meta or {}).items() if k not in meta})
    meta.update(
        {
            "num_projects": str(len(entries)),
            "num_votes": str(len(order)),
            "budget": _plain(rnd.budget),
            "vote_type": "approval",
            "rule": PB_RULE_OUT[BudgetRule(rnd.rule)],
            "currency": rnd.currency,
        }
    )
    if rnd.rule == BudgetRule.GREEDY_THRESHOLD:
        meta["min_project_score_threshold"] = str(rnd.min_votes)
    if rnd.max_projects is not None:
        meta["max_length"] = str(rnd.max_projects)
    if rnd.opens_at and "date_begin" not in meta:
        meta["date_begin"] = timezone.localtime(rnd.opens_at).strftime("%d.%m.%Y")
    if rnd.closes_at and "date_end" not in meta:
        meta["date_end"] = timezone.localtime(rnd.closes_at).strftime("%d.%m.%Y")
    counts = Counter(pid for a in order for pid in a)
    projects = {
        e.external_id: pabulib.ProjectRow(
            project_id=e.external_id,
            cost=_number(e.cost),
            name=_cell(e.name),
            votes=counts.get(e.external_id, 0),
            selected=bool(e.selected),
            extra={
                k: _cell(str(v))
                for k, v in (e.pb_extra or {}).items()
                if k not in ("selected", "votes", "score", "name", "cost", "project_id")
            },
        )
        for e in entries
    }
    votes = [
        pabulib.Ballot(voter_id=str(i), projects=tuple(a)) for i, a in enumerate(order, start=1)
    ]
    return pabulib.Election(meta=meta, projects=projects, votes=votes)


def _plain(amount: Decimal) -> str:
    return format(amount.normalize() if amount == amount.to_integral() else amount, "f")


def _number(amount: Decimal) -> pabulib.Number:
    return int(amount) if amount == amount.to_integral() else amount


def _cell(text: str) -> str:
    return " ".join(text.split())


__all__ = [
    "TIE_BREAK",
    "BallotReceipt",
    "BudgetRule",
    "PbImportError",
    "ballot_cast",
    "round_close",
    "round_create",
    "round_open",
    "standings",
]
