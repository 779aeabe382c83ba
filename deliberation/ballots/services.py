"""The round's life: a committee member creates, opens and closes it; closing moves the winners on.

Closing the round computes the winners in exact arithmetic with the round's rule and the
published tie-break, stores a :class:`~deliberation.ballot_models.RoundResult` (rule,
tie-break, inputs hash, explanation), and moves each winner that is still in ``deliberating``
on to ``deciding`` with its amount recorded.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import texts
from deliberation.ballot_models import (
    BallotRoll,
    BudgetRound,
    RoundProject,
    RoundResult,
)
from deliberation.ballots.casting import ballot_seal
from deliberation.ballots.counting import TIE_BREAK_CODE, compute, inputs_canonical
from deliberation.ballots.inputs import _project_ids, _round_fields
from deliberation.ballots.selectors import (
    SHORTLIST_STATES,
    _everyone_voted,
    busy_project_ids,
    fund_available,
)
from notifications.events import publish_on_commit, screen_group
from notifications.services import notify
from notifications.texts import Text
from projects import services as project_services
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Community,
    Project,
    ProjectFollower,
    Role,
    State,
)
from projects.selectors import eligible_residents, user_has_role


def _require_committee(by: Any, community: Community, message: str) -> None:
    if not user_has_role(by, community, Role.COMMITTEE):
        raise Forbidden(message)


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
    fields = _round_fields(
        title=title,
        description=description,
        rule=rule,
        min_votes=min_votes,
        max_projects=max_projects,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    wanted = _project_ids(project_ids)
    with transaction.atomic():
        projects = _shortlisted(community, wanted)
        rnd = BudgetRound(
            community=community,
            budget=_round_budget(community, budget),
            cost_limited=bool(cost_limited),
            created_by=by,
            **fields,
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


def _shortlisted(community: Community, wanted: list[int]) -> dict[int, Project]:
    """Lock the ``wanted`` projects; each must be shortlisted in ``community`` and in no other
    round that has not been counted yet."""
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
            _("项目 %(ids)s 已列入另一轮尚未计票的预算投票") % {"ids": "、".join(map(str, busy))}
        )
    return projects


def _round_budget(community: Community, budget: Any) -> Decimal:
    """The round's budget: as given, or the fund's available amount; never more than that."""
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
    return amount


def round_open(*, round: BudgetRound, by: User) -> BudgetRound:
    """Draft → open: the roll of eligible residents and the tally step are frozen, and the
    residents on the roll are told."""
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
        roll = sorted(set(eligible_residents(rnd.community).values_list("user_id", flat=True)))
        rnd.status, rnd.opened_at, rnd.opened_by = BudgetRound.Status.OPEN, now, by
        rnd.opens_at = rnd.opens_at or now
        rnd.eligible = len(roll)  # the roll and the tally step are frozen now
        rnd.tally_step = rnd.community.tally_step
        rnd.save()
        BallotRoll.objects.bulk_create(
            [BallotRoll(round=rnd, user_id=uid, voter_key=f"u:{uid}") for uid in roll],
            batch_size=2000,
        )
        notify(
            recipients=roll,
            kind="ballot.opened",
            params={"title": rnd.title, "when": rnd.closes_at.isoformat()},
            actor=by,
            url=f"/rounds/{rnd.pk}/",
        )
        publish_on_commit(
            screen_group(rnd.community.slug),
            {"kind": "ballot.opened", "round_id": rnd.pk, "title": rnd.title},
        )
    return rnd


def round_can_close(rnd: BudgetRound) -> bool:
    """Can the round be counted now? It is open and its window is over, or everyone on its roll
    has voted. Nobody can count it earlier."""
    return rnd.status == BudgetRound.Status.OPEN and (
        timezone.now() >= rnd.closes_at or _everyone_voted(rnd)
    )


def round_close(*, round: BudgetRound, by: User | None) -> RoundResult:
    """Count the round with its rule and publish the result; winners move on to ``deciding``.

    A committee member may close once the window is over (or everyone on the roll has voted);
    ``by=None`` is the clock (``manage.py tick``) closing a round whose window is over."""
    with transaction.atomic():
        rnd = BudgetRound.objects.select_for_update().select_related("community").get(pk=round.pk)
        now = timezone.now()
        _require_closable(rnd, by=by)
        ballot_seal(rnd, everything=True)
        result, entries = _count(rnd, by=by)
        rnd.status, rnd.closed_at, rnd.closed_by = BudgetRound.Status.CLOSED, now, by
        rnd.save(update_fields=["status", "closed_at", "closed_by"])
        for e in entries:
            if e.project_id is None:
                continue
            if e.selected:
                note = texts.ballot_selected(
                    title=rnd.title, rule=rnd.rule, votes=e.votes or 0, amount=e.cost
                )
                _recommend_winner(e, by=by, note=note)
            else:
                _tell_followers(e, rnd, by)
        publish_on_commit(screen_group(rnd.community.slug), _closed_event(rnd, entries))
    return result


def _require_closable(rnd: BudgetRound, *, by: User | None) -> None:
    """403 unless ``by`` is on the committee (or the system); 409 unless the round is open and its
    window is over (or everyone on its roll has voted): nobody closes it earlier."""
    if by is not None:
        _require_committee(by, rnd.community, _("只有社区党委委员可以结束预算投票"))
    if rnd.status != BudgetRound.Status.OPEN:
        raise Conflict(
            _("该预算投票尚未开放")
            if rnd.status == BudgetRound.Status.DRAFT
            else _("该预算投票已计票"),
            state=rnd.status,
        )
    if not round_can_close(rnd):
        raise Conflict(
            _("投票至 %(when)s 截止，尚未结束")
            % {"when": timezone.localtime(rnd.closes_at).strftime("%Y-%m-%d %H:%M")},
            state=rnd.status,
        )


def _count(rnd: BudgetRound, *, by: User | None) -> tuple[RoundResult, list[RoundProject]]:
    """Run the rule, store the result (with the inputs hash and the trace) and each project's
    votes, selection and awarded amount."""
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
    return result, entries


def _closed_event(rnd: BudgetRound, entries: list[RoundProject]) -> dict[str, Any]:
    """The screen's ``ballot.closed`` event: the round and its winners."""
    selected = [
        {
            "project_id": e.project_id,
            "external_id": e.external_id,
            "name": e.name,
            "cost": str(e.cost),
        }
        for e in entries
        if e.selected
    ]
    return {"kind": "ballot.closed", "round_id": rnd.pk, "title": rnd.title, "selected": selected}


def _recommend_winner(entry: RoundProject, *, by: User | None, note: Text) -> None:
    """Fire ``recommend`` (deliberating → deciding) for a winner, as the ballot's result, with the
    committee member who closed the round (or the system) as the actor."""
    from deliberation import actions

    assert entry.project_id is not None
    project = (
        Project.objects.select_for_update().select_related("community").get(pk=entry.project_id)
    )
    if project.state != State.DELIBERATING:
        return  # already in ``deciding`` (or moved on): the amount is recorded on the entry
    actions.recommend_by_ballot(project=project, by=by, note=note, amount=entry.cost)


def _tell_followers(entry: RoundProject, rnd: BudgetRound, by: User | None) -> None:
    assert entry.project_id is not None
    followers = ProjectFollower.objects.filter(project_id=entry.project_id).values_list(
        "user_id", flat=True
    )
    notify(
        recipients=followers,
        kind="ballot.result",
        params={"name": entry.name, "title": rnd.title, "votes": entry.votes or 0},
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
