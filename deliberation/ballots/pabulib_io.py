"""Pabulib interop: a .pb election imported as a round, and a closed round exported as one.

:func:`round_to_election` gives a round's inputs as a Pabulib file (``manage.py pb_export``),
which ``manage.py pb_outcome`` recomputes with the same rule.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import pabulib
from deliberation.ballot_models import (
    Ballot,
    BallotApproval,
    BallotParticipation,
    BudgetRound,
    BudgetRule,
    RoundProject,
)
from deliberation.ballots.counting import CENT
from deliberation.ballots.inputs import MAX_TITLE
from deliberation.ballots.selectors import _profile
from projects.errors import Conflict, Invalid
from projects.models import (
    Community,
)
from projects.models.states import MAX_AMOUNT

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


# META keys that become the round's own fields; the others are kept in ``pb_meta``.
KNOWN_META = frozenset(
    {
        "budget",
        "vote_type",
        "rule",
        "num_projects",
        "num_votes",
        "min_project_score_threshold",
        "max_length",
        "currency",
    }
)


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
    chosen = _import_rule(election, text, rule)
    budget = _pb_amount(election.budget, "budget")
    threshold = _import_threshold(election, text, chosen)
    now = timezone.now()
    title = (
        title or election.meta.get("description") or election.meta.get("instance") or "Pabulib"
    ).strip()[:MAX_TITLE]
    with transaction.atomic():
        rnd = BudgetRound.objects.create(
            community=community,
            title=title,
            budget=budget,
            rule=chosen,
            min_votes=threshold,
            max_projects=_import_max_projects(election),
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
            pb_meta={k: v for k, v in election.meta.items() if k not in KNOWN_META},
        )
        entries = _import_projects(rnd, election)
        _import_ballots(rnd, election, entries)
    return rnd


def _import_rule(election: pabulib.Election, text: str | None, rule: str | None) -> str:
    """The round's rule: ``rule`` if given, else the file's; only approval or choose-1 votes."""
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
    return chosen


def _import_threshold(election: pabulib.Election, text: str | None, rule: str) -> int:
    """The minimum score of ``greedy-threshold`` (a whole number in the file), else 0."""
    if rule != BudgetRule.GREEDY_THRESHOLD:
        return 0
    raw = election.meta.get("min_project_score_threshold")
    number = pabulib.parse_number(raw or "")
    if not isinstance(number, int) or number < 0:
        raise PbImportError(
            _("%(where)s“须达到最低票数”规则需要整数 min_project_score_threshold")
            % {"where": _meta_line(text, "min_project_score_threshold")}
        )
    return number


def _import_max_projects(election: pabulib.Election) -> int | None:
    """How many projects a ballot may name: 1 for choose-1, else ``max_length`` if given."""
    k: int | None = 1 if election.vote_type == "choose-1" else None
    length = pabulib.parse_number(election.meta.get("max_length", ""))
    if isinstance(length, int) and length >= 1:
        k = length if k is None else min(k, length)
    return k


def _import_projects(rnd: BudgetRound, election: pabulib.Election) -> dict[str, RoundProject]:
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
    return entries


def _import_ballots(
    rnd: BudgetRound, election: pabulib.Election, entries: dict[str, RoundProject]
) -> None:
    parts: list[BallotParticipation] = []
    ballots: list[Ballot] = []
    approvals: list[BallotApproval] = []
    for b in election.votes:
        parts.append(
            BallotParticipation(
                round=rnd, voter=None, voter_key=f"pb:{b.voter_id}"[:120], sealed=True
            )
        )
        ballot = Ballot(round=rnd)
        ballots.append(ballot)
        approvals.extend(BallotApproval(ballot=ballot, entry=entries[p]) for p in b.projects)
    BallotParticipation.objects.bulk_create(parts, batch_size=2000)
    Ballot.objects.bulk_create(ballots, batch_size=2000)
    BallotApproval.objects.bulk_create(approvals, batch_size=5000)


def round_to_election(rnd: BudgetRound) -> pabulib.Election:
    """A closed round as a Pabulib approval election. Voter ids are 1..n over the ballots sorted
    by their contents: no voter identity, no casting order."""
    if rnd.status != BudgetRound.Status.CLOSED:
        raise Conflict(_("只有已计票的预算投票可以导出"), state=rnd.status)
    entries, approvals = _profile(rnd)
    order = sorted(sorted(a) for a in approvals)
    meta = _election_meta(rnd, num_projects=len(entries), num_votes=len(order))
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


def _election_meta(rnd: BudgetRound, *, num_projects: int, num_votes: int) -> dict[str, str]:
    """The exported file's META section: where it comes from, what was kept from an import, and
    the round's own settings."""
    meta: dict[str, str] = {
        "description": rnd.title,
        "country": "China",
        "unit": rnd.community.name,
        "instance": str(rnd.pk),
    }
    meta.update({k: str(v) for k, v in (rnd.pb_meta or {}).items() if k not in meta})
    meta.update(
        {
            "num_projects": str(num_projects),
            "num_votes": str(num_votes),
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
    return meta


def _plain(amount: Decimal) -> str:
    return format(amount.normalize() if amount == amount.to_integral() else amount, "f")


def _number(amount: Decimal) -> pabulib.Number:
    return int(amount) if amount == amount.to_integral() else amount


def _cell(text: str) -> str:
    return " ".join(text.split())
