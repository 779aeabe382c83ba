"""Votes on agenda items: each member present on their phone, or the secretary's show of hands;
closing an item (which recommends the project when a council vote carries); the committee's
roll-call put to the members present."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import actions
from deliberation import services as decisions
from deliberation.models import Decision, DecisionVote
from meetings import texts
from meetings.models import (
    AgendaItem,
    Body,
    ItemVote,
    Meeting,
)
from meetings.services.base import (
    _announce,
    _name,
    _present_members,
    _record,
    _secretary_only,
    is_member,
    meeting_quorum,
    quorum_of,
)
from notifications.texts import Text
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Project,
    Role,
    State,
)
from projects.selectors import user_has_role


@dataclass(frozen=True)
class ItemTally:
    members_total: int
    present: int  # members signed in, not recused on this item
    yes: int
    no: int
    abstain: int
    recused: int
    quorum_needed: int
    # For an item hosting the committee's roll-call: the roll-call's own verdict (its rule).
    rollcall_carried: bool | None = None

    @property
    def has_quorum(self) -> bool:
        return self.present >= self.quorum_needed and self.present > 0

    @property
    def carried(self) -> bool:
        if self.rollcall_carried is not None:
            return self.rollcall_carried
        return self.has_quorum and self.yes > self.no


def item_tally(item: AgendaItem) -> ItemTally:
    """The item's vote as it stands: members present and not recused, and their choices.
    Recused members do not count as present, nor towards the quorum's base. An item hosting
    the committee's roll-call is counted by the roll-call's one rule
    (``deliberation.services.decision_tally``, with the meeting's attendance)."""
    meeting = item.meeting
    if item.decision_id is not None:
        assert item.decision is not None
        rc = decisions.decision_tally(item.decision, attending=_present_members(meeting))
        return ItemTally(
            members_total=rc.members_total,
            present=rc.present,
            yes=rc.yes,
            no=rc.no,
            abstain=rc.abstain,
            recused=rc.recused,
            quorum_needed=rc.quorum_needed,
            rollcall_carried=rc.carried,
        )
    quorum = meeting_quorum(meeting)
    votes = list(item.votes.values_list("member_id", "choice", "recused"))
    recused = {m for m, _c, r in votes if r}
    present = _present_members(meeting) - recused
    counts = dict.fromkeys(ItemVote.Choice.values, 0)
    for member, choice, was_recused in votes:
        if not was_recused and member in present:
            counts[choice] += 1
    base = max(quorum.members_total - len(recused), 0)
    return ItemTally(
        members_total=quorum.members_total,
        present=len(present),
        yes=counts[ItemVote.Choice.YES],
        no=counts[ItemVote.Choice.NO],
        abstain=counts[ItemVote.Choice.ABSTAIN],
        recused=len(recused),
        quorum_needed=quorum_of(meeting.community, meeting.body, base),
    )


# --- votes -----------------------------------------------------------------------------------
def _lock_item(item: AgendaItem) -> AgendaItem:
    it = (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("meeting__community", "project", "decision")
        .get(pk=item.pk)
    )
    if it.meeting.status != Meeting.Status.OPEN:
        raise Conflict(_("会议进行中才能表决"), state=it.meeting.status)
    if not it.is_open:
        raise Conflict(_("该议题表决已结束"), state=it.outcome)
    return it


RECUSE = "recuse"


def _add_vote(
    it: AgendaItem, *, member: User, choice: str, reason: str, entered_by: User | None
) -> ItemVote | DecisionVote:
    """One member's vote on the item: an ``ItemVote``, or, on an item hosting the committee's
    roll-call, a vote in that roll-call (``deliberation.services.decision_vote``)."""
    if choice not in (*ItemVote.Choice.values, RECUSE):
        raise Invalid(_("请选择赞成、反对或弃权"), errors={"choice": [_("无效选项")]})
    reason = (reason or "").strip()
    if choice == RECUSE and not reason:
        raise Invalid(_("回避需要说明利益冲突"), errors={"conflict": [_("此项必填")]})
    if len(reason) > 500:
        raise Invalid(_("回避理由不能超过 500 字"), errors={"conflict": [_("过长")]})
    if member.pk not in _present_members(it.meeting):
        raise Forbidden(_("%(who)s 未签到或不是本会议的成员，不能表决") % {"who": _name(member)})
    recused = choice == RECUSE
    vote: ItemVote | DecisionVote
    if it.decision is not None:
        vote = decisions.decision_vote(
            decision=it.decision,
            by=member,
            choice=DecisionVote.Choice.RECUSE if recused else choice,
            conflict=reason,
            attending=_present_members(it.meeting),
            entered_by=entered_by,
        )
    else:
        vote = _item_vote_row(
            it, member=member, choice=choice, reason=reason, entered_by=entered_by
        )
    params = {"body": it.meeting.body, "meeting": it.meeting.title, "member": _name(member)}
    if recused:
        note = Text("meeting.recused", params | {"why": reason})
    else:
        code = "meeting.vote_hands" if entered_by is not None else "meeting.vote"
        note = Text(code, params | {"choice": choice})
    _record(it.project, actor=entered_by or member, action="meeting_vote", note=note)
    return vote


def _item_vote_row(
    it: AgendaItem, *, member: User, choice: str, reason: str, entered_by: User | None
) -> ItemVote:
    recused = choice == RECUSE
    try:
        with transaction.atomic():
            return ItemVote.objects.create(
                item=it,
                member=member,
                choice="" if recused else choice,
                recused=recused,
                recusal_reason=reason if recused else "",
                entered_by=entered_by,
            )
    except IntegrityError:
        raise Invalid(_("%(who)s 已就该议题表决") % {"who": _name(member)}) from None


def item_vote(
    *, item: AgendaItem, by: User, choice: str, conflict: str = ""
) -> ItemVote | DecisionVote:
    """A member present votes on the item on their phone (赞成 / 反对 / 弃权), or recuses with a
    reason (``choice="recuse"``)."""
    with transaction.atomic():
        it = _lock_item(item)
        if not is_member(by, it.meeting):
            raise Forbidden(_("只有本会议的成员可以表决"))
        if awaits_rollcall(it):
            raise Conflict(_("请等待秘书发起党委决策表决"), state=it.outcome)
        vote = _add_vote(it, member=by, choice=choice, reason=conflict, entered_by=None)
        _announce(it.meeting, "meeting.vote", item_id=it.pk)
    return vote


def item_enter_hands(
    *, item: AgendaItem, by: User, choices: Mapping[int, str], conflicts: Mapping[int, str] = {}
) -> list[ItemVote | DecisionVote]:
    """The secretary enters a show of hands: who voted how (member id → choice), each row
    marked as entered by the secretary. Members who already voted are refused."""
    if not choices:
        raise Invalid(_("请至少录入一位成员的表决"), errors={"choices": [_("此项必填")]})
    with transaction.atomic():
        it = _lock_item(item)
        _secretary_only(it.meeting, by)
        if awaits_rollcall(it):
            raise Conflict(_("请先发起党委决策表决"), state=it.outcome)
        members = {u.pk: u for u in User.objects.filter(pk__in=list(choices))}
        votes: list[ItemVote | DecisionVote] = []
        for member_id, choice in choices.items():
            member = members.get(int(member_id))
            if member is None:
                raise Invalid(_("未知的成员"), errors={"choices": [_("无效成员")]})
            votes.append(
                _add_vote(
                    it,
                    member=member,
                    choice=choice,
                    reason=conflicts.get(member_id, ""),
                    entered_by=by,
                )
            )
        _announce(it.meeting, "meeting.vote", item_id=it.pk)
    return votes


def item_close(*, item: AgendaItem, by: User) -> AgendaItem:
    """The secretary closes the item's vote. The outcome is computed: no quorum, carried (more
    赞成 than 反对 among the members present and not recused) or not carried. A carried item of
    a council meeting whose project is in 议事会协商 recommends it to the committee. An item
    hosting the committee's roll-call closes the roll-call (``decision_close`` with the
    meeting's attendance), which fires approve / decline / defer when it carries, exactly as a
    roll-call does; the item's outcome is the roll-call's result."""
    with transaction.atomic():
        it = _lock_item(item)
        meeting = it.meeting
        _secretary_only(meeting, by)
        if it.decision is not None:
            return _close_rollcall_item(it, by=by)
        tally = item_tally(it)
        if not tally.has_quorum:
            it.outcome = AgendaItem.Outcome.NO_QUORUM
        elif tally.carried:
            it.outcome = AgendaItem.Outcome.CARRIED
        else:
            it.outcome = AgendaItem.Outcome.NOT_CARRIED
        it.present, it.yes, it.no, it.abstain, it.recused = (
            tally.present,
            tally.yes,
            tally.no,
            tally.abstain,
            tally.recused,
        )
        it.members_total, it.quorum_needed = tally.members_total, tally.quorum_needed
        it.closed_at, it.closed_by = timezone.now(), by
        it.save()
        note = texts.item_result(
            body=meeting.body,
            meeting=meeting.title,
            matter=it.matter,
            outcome=it.outcome,
            present=tally.present,
            total=tally.members_total,
            quorum=tally.quorum_needed,
            yes=tally.yes,
            no=tally.no,
            abstain=tally.abstain,
            recused=tally.recused,
        )
        project = it.project
        recommends = (
            project is not None
            and it.outcome == AgendaItem.Outcome.CARRIED
            and meeting.body == Body.COUNCIL
            and Project.objects.filter(pk=project.pk, state=State.DELIBERATING).exists()
        )
        if recommends:
            assert project is not None
            role = (
                Role.COUNCIL if user_has_role(by, meeting.community, Role.COUNCIL) else Role.CLERK
            )
            actions.recommend_by_meeting(project=project, by=by, note=note, acting_role=role)
        else:
            _record(project, actor=by, action="meeting_item", note=note)
        _announce(meeting, "meeting.item_closed", item_id=it.pk, outcome=it.outcome)
    return it


ROLLCALL_OUTCOME = {
    Decision.Result.CARRIED: AgendaItem.Outcome.CARRIED,
    Decision.Result.FAILED: AgendaItem.Outcome.NOT_CARRIED,
    Decision.Result.NO_QUORUM: AgendaItem.Outcome.NO_QUORUM,
}


def _close_rollcall_item(it: AgendaItem, *, by: User) -> AgendaItem:
    """Close an item hosting the committee's roll-call (in ``item_close``'s transaction)."""
    meeting = it.meeting
    assert it.decision is not None
    d = decisions.decision_close(decision=it.decision, by=by, attending=_present_members(meeting))
    it.outcome = ROLLCALL_OUTCOME[Decision.Result(d.result)]
    it.present, it.yes, it.no, it.abstain, it.recused = d.present, d.yes, d.no, d.abstain, d.recused
    it.members_total = d.members_total
    it.quorum_needed = meeting.community.committee_quorum_needed(d.members_total - d.recused)
    it.closed_at, it.closed_by = timezone.now(), by
    it.save()
    if d.result != Decision.Result.CARRIED:  # a carried motion's transition holds the count
        note = texts.item_result(
            body=meeting.body,
            meeting=meeting.title,
            matter=it.matter,
            outcome=it.outcome,
            present=d.present,
            total=d.members_total,
            quorum=it.quorum_needed,
            yes=d.yes,
            no=d.no,
            abstain=d.abstain,
            recused=d.recused,
        )
        _record(it.project, actor=by, action="meeting_item", note=note)
    _announce(meeting, "meeting.item_closed", item_id=it.pk, outcome=it.outcome)
    return it


def awaits_rollcall(item: AgendaItem) -> bool:
    """A committee meeting's open item on a project in 党委决策, not yet put to the roll-call."""
    return (
        item.is_open
        and item.decision_id is None
        and item.meeting.body == Body.COMMITTEE
        and item.project is not None
        and item.project.state == State.DECIDING
    )


def item_open_rollcall(
    *,
    item: AgendaItem,
    by: User,
    motion: str,
    amount: Decimal | str | None = None,
    reason: str = "",
) -> AgendaItem:
    """The secretary of a committee meeting (a committee member) puts the item's project, in
    党委决策, to the committee's roll-call: it opens one (``deliberation.services.decision_open``)
    or takes up the project's open roll-call that has no vote yet. From then on the members
    present vote on it from the meeting's page, and closing the item closes it."""
    with transaction.atomic():
        it = _lock_item(item)
        meeting = it.meeting
        _secretary_only(meeting, by)
        if meeting.body != Body.COMMITTEE:
            raise Conflict(_("只有党委会会议可以进行党委决策表决"), state=meeting.body)
        project = it.project
        if project is None:
            raise Conflict(_("该议题没有关联项目"), state=it.outcome)
        if it.decision_id is not None:
            raise Conflict(_("该议题已在表决"), state=it.outcome)
        if it.votes.exists():
            raise Conflict(_("该议题已有成员表决"), state=it.outcome)
        open_one = Decision.objects.filter(project=project, result=Decision.Result.OPEN).first()
        if open_one is not None and AgendaItem.objects.filter(decision=open_one).exists():
            raise Conflict(_("该项目的表决已在另一次会议中进行"), state=project.state)
        if open_one is not None:
            decision = decisions.decision_move_to_meeting(decision=open_one)
        else:
            value = None if amount in (None, "") else amount
            decision = decisions.decision_open(
                project=project,
                by=by,
                motion=motion,
                amount=value,  # type: ignore[arg-type]  # parsed by the ledger's amount rule
                reason=reason,
                in_meeting=True,
            )
        it.decision = decision
        it.save(update_fields=["decision"])
        _record(
            project,
            actor=by,
            action="meeting_rollcall",
            note=Text(
                "meeting.rollcall",
                {"meeting": meeting.title, "matter": it.matter, "motion": decision.motion},
            ),
        )
        _announce(meeting, "meeting.item_opened", item_id=it.pk)
    return it
