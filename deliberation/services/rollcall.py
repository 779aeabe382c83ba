"""The committee's roll-call (党委决策记名表决): opened (alone or hosted in a committee meeting),
voted by each member, counted (quorum, recusals) and closed, which fires the motion."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import actions, texts
from deliberation.models import (
    Decision,
    DecisionVote,
)
from deliberation.services.base import (
    _lock,
)
from notifications.events import project_group, publish_on_commit
from notifications.services import notify
from projects import services as project_services
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Membership, Project, Role, State
from projects.selectors import user_has_role


# --- committee roll-call --------------------------------------------------------------------
def _clean_motion(motion: str, amount: Decimal | None, reason: str) -> tuple[Decimal | None, str]:
    """The approval's amount and the stripped reason; refuse a motion missing either."""
    if motion not in Decision.Motion.values:
        raise Invalid(_("未知的动议"), errors={"motion": [_("只能是 approve、decline 或 defer")]})
    if motion == Decision.Motion.APPROVE and amount is None:
        raise Invalid(_("批准需要填写金额"), errors={"amount": [_("此项必填")]})
    # the ledger's amount rules (positive, cents, bounds)
    value = (
        project_services.parse_amount(amount)
        if motion == Decision.Motion.APPROVE and amount is not None
        else None
    )
    reason = reason.strip()
    if motion == Decision.Motion.DECLINE and not reason:
        raise Invalid(_("不予批准需要填写理由"), errors={"reason": [_("此项必填")]})
    return value, reason


def _check_may_open(p: Project, by: User, motion: str) -> None:
    """Refuse a non-member, a project not deciding, unmet conditions, a second roll-call."""
    if not user_has_role(by, p.community, Role.COMMITTEE):
        raise Forbidden(_("只有社区党委委员可以发起表决"))
    if p.state != State.DECIDING:
        raise Conflict(
            _("只有处于“党委决策”状态的项目可以表决"),
            state=p.state,
            allowed=project_services.allowed_names(p, by),
        )
    # approve / decline wait for a hearing when one is required (the transition's own
    # condition, so the roll-call and the transition table say the same)
    failed = project_services.unmet_conditions(p, motion)
    if failed:
        raise project_services.condition_refusal(p, by, failed)
    if Decision.objects.filter(project=p, result=Decision.Result.OPEN).exists():
        raise Conflict(_("该项目已有一项正在表决的动议"), state=p.state)


def _announce_opened(p: Project, by: User, decision: Decision) -> None:
    """Publish the opened roll-call on commit and tell the committee members."""
    publish_on_commit(
        project_group(p.pk),
        {"kind": "decision.opened", "project_id": p.pk, "decision_id": decision.pk},
    )
    notify(
        recipients=Membership.objects.current()
        .filter(community=p.community, role=Role.COMMITTEE)
        .values_list("user_id", flat=True),
        kind="decision.opened",
        params={"title": p.title, "motion": decision.motion},
        actor=by,
        project_id=p.pk,
        project_title=p.title,
        url=f"/projects/{p.pk}/",
    )


def decision_open(
    *,
    project: Project,
    by: User,
    motion: str,
    amount: Decimal | None = None,
    reason: str = "",
    in_meeting: bool = False,
) -> Decision:
    """Open the committee's roll-call on a motion. ``in_meeting``: opened by a committee
    meeting's agenda item (``meetings.services.item_open_rollcall``), which hosts it."""
    value, reason = _clean_motion(motion, amount, reason)
    with transaction.atomic():
        p = _lock(project)
        _check_may_open(p, by, motion)
        decision = Decision.objects.create(
            project=p,
            motion=motion,
            amount=value,
            reason=reason[:2000],
            opened_by=by,
            in_meeting=in_meeting,
            members_total=Membership.objects.current()
            .filter(community=p.community, role=Role.COMMITTEE)
            .count(),
        )
        _announce_opened(p, by, decision)
    return decision


def _lock_decision(decision: Decision) -> Decision:
    return (
        Decision.objects.select_for_update(of=("self",))
        .select_related("project__community")
        .get(pk=decision.pk)
    )


def _hosting_checked(d: Decision, attending: Collection[int] | None) -> None:
    """A roll-call hosted by a meeting is voted on and closed from the meeting (which knows who
    is present); one outside a meeting is not given an attendance."""
    if d.in_meeting and attending is None:
        raise Conflict(_("该表决在党委会会议中进行，请在会议页面操作"), state=d.project.state)
    if not d.in_meeting and attending is not None:
        raise Conflict(_("该表决不在会议中进行"), state=d.project.state)


def decision_move_to_meeting(*, decision: Decision) -> Decision:
    """An open roll-call without a vote yet is taken up by a committee meeting's agenda item
    (called by ``meetings.services.item_open_rollcall`` in its transaction)."""
    with transaction.atomic():
        d = _lock_decision(decision)
        if d.result != Decision.Result.OPEN:
            raise Conflict(_("表决已结束"), state=d.project.state)
        if d.in_meeting:
            raise Conflict(_("该表决已在会议中进行"), state=d.project.state)
        if d.votes.exists():
            raise Conflict(_("该表决已有成员表决，不能移入会议"), state=d.project.state)
        d.in_meeting = True
        d.save(update_fields=["in_meeting"])
    return d


def decision_vote(
    *,
    decision: Decision,
    by: User,
    choice: str,
    conflict: str = "",
    attending: Collection[int] | None = None,
    entered_by: User | None = None,
) -> DecisionVote:
    """A committee member's vote (``by``). In a meeting (``attending``: the members signed in)
    only a member present may vote; ``entered_by`` is the secretary entering a show of hands."""
    if choice not in DecisionVote.Choice.values:
        raise Invalid(_("表决只能是赞成、反对、弃权或回避"), errors={"choice": [_("无效选项")]})
    conflict = (conflict or "").strip()
    if choice == DecisionVote.Choice.RECUSE and not conflict:
        raise Invalid(_("回避需要说明利益冲突"), errors={"conflict": [_("此项必填")]})
    with transaction.atomic():
        d = _lock_decision(decision)
        if not user_has_role(by, d.project.community, Role.COMMITTEE):
            raise Forbidden(_("只有社区党委委员可以表决"))
        if d.result != Decision.Result.OPEN:
            raise Conflict(_("表决已结束"), state=d.project.state)
        _hosting_checked(d, attending)
        if attending is not None and by.pk not in attending:
            raise Forbidden(_("未签到的委员不能表决"))
        try:
            with transaction.atomic():
                vote = DecisionVote.objects.create(
                    decision=d,
                    member=by,
                    choice=choice,
                    conflict=conflict[:500],
                    entered_by=entered_by,
                )
        except IntegrityError:
            raise Invalid(_("您已经表决过")) from None
        publish_on_commit(
            project_group(d.project_id),
            {"kind": "decision.vote", "project_id": d.project_id, "decision_id": d.pk},
        )
    return vote


@dataclass(frozen=True)
class RollCall:
    members_total: int
    present: int
    yes: int
    no: int
    abstain: int
    recused: int
    quorum_needed: int

    @property
    def has_quorum(self) -> bool:
        return self.present >= self.quorum_needed and self.present > 0

    @property
    def carried(self) -> bool:
        return self.has_quorum and self.yes * 2 > self.present


def decision_tally(decision: Decision, attending: Collection[int] | None = None) -> RollCall:
    """The one count of the committee's roll-call. Outside a meeting the members present are
    those who voted (not recused); in a meeting (``attending``: the members signed in) they are
    the members signed in and not recused, and only their votes count. Either way the quorum is
    ``Community.committee_quorum_needed`` of the members not recused, and a motion carries on a
    majority of those present."""
    total = (
        decision.members_total
        or Membership.objects.current()
        .filter(community=decision.project.community, role=Role.COMMITTEE)
        .count()
    )
    counts: dict[str, int]
    if attending is None:
        counts = dict(
            decision.votes.values_list("choice").annotate(n=Count("id")).values_list("choice", "n")
        )
        recused = counts.get(DecisionVote.Choice.RECUSE, 0)
        present = sum(v for k, v in counts.items() if k != DecisionVote.Choice.RECUSE)
    else:
        votes = list(decision.votes.values_list("member_id", "choice"))
        recusing = {m for m, c in votes if c == DecisionVote.Choice.RECUSE}
        here = set(attending) - recusing
        counts = {}
        for member, choice in votes:
            if member in here:
                counts[choice] = counts.get(choice, 0) + 1
        recused, present = len(recusing), len(here)
    quorum = decision.project.community.committee_quorum_needed(total - recused)
    return RollCall(
        members_total=total,
        present=present,
        yes=counts.get("yes", 0),
        no=counts.get("no", 0),
        abstain=counts.get("abstain", 0),
        recused=recused,
        quorum_needed=quorum,
    )


def decision_close(
    *,
    decision: Decision,
    by: User,
    minutes: str = "",
    attending: Collection[int] | None = None,
) -> Decision:
    """Close the roll-call; if carried, the motion's transition fires in the same transaction.
    A roll-call hosted by a meeting is closed by closing its agenda item, which passes the
    meeting's attendance (``attending``)."""
    with transaction.atomic():
        d = _lock_decision(decision)
        if not user_has_role(by, d.project.community, Role.COMMITTEE):
            raise Forbidden(_("只有社区党委委员可以结束表决"))
        if d.result != Decision.Result.OPEN:
            raise Conflict(_("表决已结束"), state=d.project.state)
        _hosting_checked(d, attending)
        tally = decision_tally(d, attending)
        d.present, d.yes, d.no, d.abstain, d.recused = (
            tally.present,
            tally.yes,
            tally.no,
            tally.abstain,
            tally.recused,
        )
        d.members_total = tally.members_total
        d.minutes = (minutes or "").strip()[:10000]
        d.closed_by, d.closed_at = by, timezone.now()
        if not tally.has_quorum:
            d.result = Decision.Result.NO_QUORUM
        elif tally.carried:
            d.result = Decision.Result.CARRIED
        else:
            d.result = Decision.Result.FAILED
        d.save()
        note = texts.decision_tally(
            present=tally.present,
            total=tally.members_total,
            yes=tally.yes,
            no=tally.no,
            abstain=tally.abstain,
            recused=tally.recused,
        )
        if d.result == Decision.Result.CARRIED:
            # The motion names its transition (approve / decline / defer: the roll-call's rows).
            extra = {"amount": d.amount} if d.motion == Decision.Motion.APPROVE else {}
            actions.fire(
                project=d.project, name=d.motion, by=by, reason=d.reason, note=note, **extra
            )
        publish_on_commit(
            project_group(d.project_id),
            {"kind": "decision.closed", "project_id": d.project_id, "result": d.result},
        )
    return d
