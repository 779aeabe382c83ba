"""The steps of a demo project's life that deliberation's own services take (for ``seed_demo``):
proposed, co-signed, screened and assessed; then, once the committee has decided and the 公示
is over, started, delivered, accepted and evaluated by the residents. The meetings in between
(council, hearing, committee) stay in the command, the one module the layering lets call
``meetings.demo``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from deliberation import actions, execution, services
from deliberation.models import EvaluationRound
from projects.models import Community, Project, State

# The targets :func:`propose` takes a project all the way to (before the council meets).
PROPOSAL_TARGETS = (
    State.DRAFT,
    State.WITHDRAWN,
    State.LAPSED,
    State.COLLECTING,
    State.SCREENING,
    State.REJECTED,
    State.ASSESSING,
    State.DELIBERATING,
)
# The votes cast so far on a project still being evaluated.
EVALUATING_CHOICES = [
    "satisfied",
    "satisfied",
    "basically_satisfied",
    "satisfied",
    "dissatisfied",
    "satisfied",
    "basically_satisfied",
]


@dataclass(frozen=True)
class Cast:
    """Who plays a part in one demo project's life, in its community."""

    community: Community
    residents: list[Any]
    proposer: Any
    clerk: Any
    council: list[Any]
    committee: list[Any]


@dataclass(frozen=True)
class Proposal:
    """What the proposer asks for."""

    title: str
    summary: str
    category: str
    location: str
    cost: Decimal


def _act(p: Project, name: str, by: Any, **params: Any) -> Project:
    """Fire the transition ``name`` on ``p`` as ``by``, through the orchestrator."""
    return actions.act(project=p, name=name, by=by, params=params)


def propose(cast: Cast, index: int, proposal: Proposal, target: str) -> Project:
    """Create the project and take it to ``target`` if in ``PROPOSAL_TARGETS``, else to 议事."""
    from deliberation.actions import create as project_create

    p = project_create(
        by=cast.proposer,
        community=cast.community,
        title=proposal.title,
        summary=proposal.summary,
        category=proposal.category,
        location=proposal.location,
        estimated_cost=proposal.cost,
    )
    if target == State.DRAFT:
        return p
    p = _act(p, "submit", cast.proposer)
    if target == State.WITHDRAWN:
        return _act(p, "withdraw", cast.proposer, reason="物业已答应处理")
    p = _cosign(cast, p, index, target)
    if target in (State.LAPSED, State.COLLECTING, State.SCREENING):
        return p
    return _screen_and_assess(cast, p, proposal, target)


def _cosign(cast: Cast, p: Project, index: int, target: str) -> Project:
    """Co-sign: one then lapse (LAPSED), one short of the threshold (COLLECTING), else enough."""
    residents, threshold = cast.residents, cast.community.cosign_threshold
    others = [r for r in residents if r != cast.proposer]
    # Co-signers differ from project to project, as in a real community (so nobody is on
    # every project and hears of every step).
    shift = (index * 7) % len(others)
    others = others[shift:] + others[:shift]
    if target == State.LAPSED:
        services.cosign_add(project=p, by=others[0])
        Project.objects.filter(pk=p.pk).update(
            cosign_deadline=timezone.now() - timedelta(minutes=1)
        )
        services.cosign_expire_due()
        return p
    if target == State.COLLECTING:
        # One co-sign short of the threshold; resident1 (not among them) can be the last.
        for r in [r for r in others if r != residents[0]][: threshold - 1]:
            services.cosign_add(project=p, by=r)
        return p
    for r in others[:threshold]:
        services.cosign_add(project=p, by=r)
    p.refresh_from_db()
    return p


def _screen_and_assess(cast: Cast, p: Project, proposal: Proposal, target: str) -> Project:
    """The clerk's 初审 (reject for REJECTED, else accept) and, past ASSESSING, the assessment."""
    if target == State.REJECTED:
        return _act(
            p, "reject", cast.clerk, reason="超出公益事业经费使用范围，且与居民急需事项关联不大"
        )
    p = _act(p, "accept", cast.clerk, reason="符合公益事业经费使用范围")
    if target == State.ASSESSING:
        return p
    return _act(
        p,
        "assess",
        cast.clerk,
        assessed_cost=str(proposal.cost),
        plan=f"{proposal.title}：询价三家，选择报价最低且资质合格的施工单位。",
        duration_days=30,
    )


def complete(cast: Cast, p: Project, target: str) -> Project:
    """Take a project in 公示 on to ``target``: started, delivered and accepted, evaluated."""
    Project.objects.filter(pk=p.pk).update(publicity_ends_at=timezone.now() - timedelta(minutes=1))
    p.refresh_from_db()
    p = _act(p, "start_execution", cast.clerk, reason="公示期满无异议，开工")
    if target == State.EXECUTING:
        return p
    p = _act(p, "deliver", cast.clerk, report="已完工，申请验收。")
    for inspector in cast.council:  # 验收: every inspector signs
        execution.acceptance_sign(project=p, by=inspector, passed=True)
    p.refresh_from_db()
    voters = cast.residents[:12]
    if target == State.EVALUATING:
        for r, choice in zip(voters[:7], EVALUATING_CHOICES, strict=True):
            services.evaluation_vote(project=p, by=r, choice=choice)
        return p
    return _evaluate(cast, p, voters, target)


def _evaluate(cast: Cast, p: Project, voters: list[Any], target: str) -> Project:
    """The evaluation rounds that close the project (CLOSED) or fail it (RECTIFYING, FAILED)."""
    passing = ["satisfied"] * 8 + ["basically_satisfied"] * 2 + ["dissatisfied"]
    failing = ["dissatisfied"] * 6 + ["satisfied"] * 4
    rounds_by_target: dict[str, list[list[str]]] = {
        State.CLOSED: [passing],
        State.RECTIFYING: [failing],
        State.FAILED: [failing, failing, failing],
    }
    rounds = rounds_by_target[target]
    for n, choices in enumerate(rounds):
        for r, choice in zip(voters, choices, strict=False):
            services.evaluation_vote(project=p, by=r, choice=choice)
        EvaluationRound.objects.filter(project=p, closed_at__isnull=True).update(
            closes_at=timezone.now() - timedelta(minutes=1)
        )
        p = services.evaluation_close(project=p, by=cast.clerk)
        if p.state == State.RECTIFYING and n + 1 < len(rounds):
            p = _act(p, "finish_rectification", cast.clerk, report="已按居民意见整改。")
    return p
