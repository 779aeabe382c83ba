"""Meeting services: one function per change (convene, confirm, open, sign in, vote, enter a
show of hands, close an item, close the meeting, write / object to / publish the minutes). Each
checks who may, changes, writes the audit rows (``ProjectEvent`` on each agenda project) and
publishes on commit, in one transaction.

Closing a council meeting's agenda item whose project is in 议事会协商 fires the project's
``recommend`` through ``deliberation.actions`` when the vote carries: the council's
recommendation comes from the meeting's recorded vote, never from one person's text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.privacy import display_name
from deliberation import actions
from deliberation import services as decisions
from deliberation.models import Decision, DecisionVote
from meetings import texts
from meetings.models import (
    AgendaItem,
    Attendance,
    Body,
    HearingSpeaker,
    Invitation,
    ItemVote,
    Meeting,
    Minutes,
    MinutesObjection,
)
from notifications.events import project_group, publish_on_commit, screen_group
from notifications.services import notify
from notifications.texts import Text, iso
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Community,
    Membership,
    Project,
    ProjectEvent,
    ProjectFollower,
    Role,
    State,
)
from projects.selectors import user_has_role

# The community role whose members make up each body (a hearing is open to residents).
BODY_ROLE: dict[str, str] = {
    Body.COUNCIL: Role.COUNCIL,
    Body.COMMITTEE: Role.COMMITTEE,
    Body.HEARING: Role.RESIDENT,
}
MAX_ITEMS = 20
MAX_OBJECTION_DAYS = 30


# --- who is who --------------------------------------------------------------------------------
def body_members(community: Community, body: str) -> QuerySet[Membership]:
    """The body's current members (a hearing's body is the community's residents)."""
    return Membership.objects.current().filter(community=community, role=BODY_ROLE[body])


def is_member(user: Any, meeting: Meeting) -> bool:
    return user_has_role(user, meeting.community, BODY_ROLE[meeting.body])


def may_convene(user: Any, community: Community, body: str) -> bool:
    """A clerk of the community, or (council / committee) a member of that body."""
    if user_has_role(user, community, Role.CLERK):
        return True
    return body != Body.HEARING and user_has_role(user, community, BODY_ROLE[body])


def _secretary_only(meeting: Meeting, by: User) -> None:
    if meeting.secretary_id != by.pk:
        raise Forbidden(_("只有会议秘书（召集人）可以执行此操作"))


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("community").get(pk=meeting.pk)


# --- quorum --------------------------------------------------------------------------------
def quorum_of(community: Community, body: str, members: int) -> int:
    """How many (not recused) members must be present: the committee's fraction of the
    community (``committee_quorum``), a simple majority of the council, one for a hearing."""
    if body == Body.COMMITTEE:
        return community.committee_quorum_needed(members)
    if body == Body.COUNCIL:
        return members // 2 + 1
    return 1


@dataclass(frozen=True)
class Quorum:
    members_total: int
    present: int
    needed: int

    @property
    def reached(self) -> bool:
        return self.present >= self.needed and self.present > 0

    @property
    def percent(self) -> int:
        return min(100, self.present * 100 // max(self.members_total, 1))


def _present_members(meeting: Meeting) -> set[int]:
    signed = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    members = set(body_members(meeting.community, meeting.body).values_list("user_id", flat=True))
    return signed & members


def meeting_quorum(meeting: Meeting) -> Quorum:
    """Members of the body signed in, against the quorum of the whole body."""
    if meeting.body == Body.HEARING:  # open to every resident: no roll to count against
        total = len(_present_members(meeting))
    else:
        total = body_members(meeting.community, meeting.body).count()
    return Quorum(
        members_total=total,
        present=len(_present_members(meeting)),
        needed=quorum_of(meeting.community, meeting.body, total),
    )


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


# --- the audit trail ---------------------------------------------------------------------------
def _record(
    project: Project | None, *, actor: User, action: str, note: Text, words: str = ""
) -> None:
    """A non-transition row on the project's timeline (hash-chained like every other)."""
    if project is None:
        return
    ProjectEvent.objects.create(
        project=project,
        actor=actor,
        action=action,
        reason=words[:2000],
        kind=note.code,
        params=note.params,
    )
    publish_on_commit(project_group(project.pk), {"kind": action, "project_id": project.pk})


# The hall screen's event: a snapshot event (``meetings.live``), answered by each process's hub
# with the meeting's public state; ``change`` says what happened, for logs and tests.
SCREEN_KIND = "meeting.live"


def _announce(meeting: Meeting, change: str, **extra: Any) -> None:
    publish_on_commit(
        screen_group(meeting.community.slug),
        {"kind": SCREEN_KIND, "meeting_id": meeting.pk, "change": change, **extra},
    )


def _name(user: User) -> str:
    return display_name(user)


# --- convening -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemSpec:
    matter: str
    project: Project | None = None


def _clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(_("请填写必填项"), errors={field: [_("此项必填")]})
    if len(value) > max_length:
        raise Invalid(_("内容过长"), errors={field: [_("过长")]})
    return value


def _hearing_invitees(community: Community, specs: Sequence[ItemSpec]) -> list[int]:
    """The current residents who proposed or follow a project on the hearing's agenda."""
    projects = [s.project.pk for s in specs if s.project is not None]
    involved = set(
        ProjectFollower.objects.filter(project_id__in=projects).values_list("user_id", flat=True)
    ) | set(Project.objects.filter(pk__in=projects).values_list("proposer_id", flat=True))
    residents = body_members(community, Body.HEARING).filter(user_id__in=involved)
    return sorted(set(residents.values_list("user_id", flat=True)))


def meeting_create(
    *,
    community: Community,
    by: User,
    body: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
    video_url: str = "",
    items: Sequence[ItemSpec] = (),
    invitees: Iterable[User] | None = None,
) -> Meeting:
    """Convene a meeting: its agenda, and invitations (by default every current member of the
    council / committee; a hearing, open to every resident, by default invites the residents who
    proposed or follow a project on its agenda). Each invitee is notified with the agenda."""
    if body not in Body.values:
        raise Invalid(_("未知的会议类型"), errors={"body": [_("无效选项")]})
    title = _clean_text(title, field="title", max_length=120)
    place = _clean_text(place, field="place", max_length=200, required=False)
    video_url = _clean_text(video_url, field="video_url", max_length=500, required=False)
    if not place and not video_url:
        raise Invalid(_("请填写地点或视频会议链接"), errors={"place": [_("此项必填")]})
    if video_url and not video_url.startswith(("https://", "http://")):
        raise Invalid(_("视频会议链接须以 https:// 开头"), errors={"video_url": [_("无效链接")]})
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise Invalid(_("时间无效"), errors={"starts_at": [_("无效时间")]})
    if ends_at <= starts_at:
        raise Invalid(_("结束时间须晚于开始时间"), errors={"ends_at": [_("须晚于开始时间")]})
    if len(items) > MAX_ITEMS:
        raise Invalid(_("议程过多"), errors={"items": [_("过多")]})
    specs = [
        ItemSpec(_clean_text(i.matter, field="items", max_length=500), i.project) for i in items
    ]
    if not specs:
        raise Invalid(_("请至少列出一项议程"), errors={"items": [_("此项必填")]})
    if not may_convene(by, community, body):
        raise Forbidden(_("只有社区服务中心或该会议的成员可以召集会议"))
    for spec in specs:
        if spec.project is not None and spec.project.community_id != community.pk:
            raise Invalid(_("议程中的项目须属于本社区"), errors={"items": [_("无效项目")]})
    with transaction.atomic():
        meeting = Meeting.objects.create(
            community=community,
            body=body,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            video_url=video_url,
            secretary=by,
        )
        AgendaItem.objects.bulk_create(
            [
                AgendaItem(meeting=meeting, order=n, project=s.project, matter=s.matter)
                for n, s in enumerate(specs, start=1)
            ]
        )
        if invitees is None and body == Body.HEARING:
            people = _hearing_invitees(community, specs)
        elif invitees is None:
            people = list(
                body_members(community, body).values_list("user_id", flat=True).distinct()
            )
        else:
            people = sorted({u.pk for u in invitees})
        Invitation.objects.bulk_create([Invitation(meeting=meeting, member_id=p) for p in people])
        agenda = "；".join(f"{n}. {s.matter}" for n, s in enumerate(specs, start=1))
        notify(
            recipients=people,
            kind="meeting.invited",
            params={
                "title": title,
                "starts_at": iso(starts_at),
                "place": place or video_url,
                "agenda": agenda,
            },
            actor=by,
            url=f"/meetings/{meeting.pk}/",
        )
        _announce(meeting, "meeting.created")
    return meeting


def meeting_confirm(*, meeting: Meeting, by: User) -> Invitation:
    """An invited member confirms they will attend."""
    with transaction.atomic():
        m = _lock(meeting)
        if m.status == Meeting.Status.CLOSED:
            raise Conflict(_("会议已结束"), state=m.status)
        inv = Invitation.objects.select_for_update().filter(meeting=m, member=by).first()
        if inv is None:
            raise Forbidden(_("您未受邀参加此会议"))
        if inv.confirmed_at is None:
            inv.confirmed_at = timezone.now()
            inv.save(update_fields=["confirmed_at"])
    return inv


def meeting_open(*, meeting: Meeting, by: User) -> Meeting:
    """The secretary opens the meeting: sign-in and voting begin."""
    with transaction.atomic():
        m = _lock(meeting)
        _secretary_only(m, by)
        if m.status != Meeting.Status.PLANNED:
            raise Conflict(_("只有待召开的会议可以开始"), state=m.status)
        m.status, m.opened_at = Meeting.Status.OPEN, timezone.now()
        m.save(update_fields=["status", "opened_at"])
        _announce(m, "meeting.opened")
    return m


def meeting_close(*, meeting: Meeting, by: User) -> Meeting:
    """The secretary closes the meeting; items not closed stay undecided."""
    with transaction.atomic():
        m = _lock(meeting)
        _secretary_only(m, by)
        if m.status != Meeting.Status.OPEN:
            raise Conflict(_("只有进行中的会议可以结束"), state=m.status)
        if m.items.filter(decision__result=Decision.Result.OPEN).exists():
            raise Conflict(_("请先结束正在进行的党委决策表决"), state=m.status)
        m.status, m.closed_at = Meeting.Status.CLOSED, timezone.now()
        m.save(update_fields=["status", "closed_at"])
        _announce(m, "meeting.closed")
    return m


# --- attendance ------------------------------------------------------------------------------
def attendance_sign(*, meeting: Meeting, by: User, how: str = Attendance.How.PHONE) -> Attendance:
    """A member signs in on the day (on their phone, or from the hall screen's QR code)."""
    if how not in Attendance.How.values:
        raise Invalid(_("未知的签到方式"), errors={"how": [_("无效选项")]})
    with transaction.atomic():
        m = _lock(meeting)
        invited = Invitation.objects.filter(meeting=m, member=by).exists()
        if not (is_member(by, m) or invited):
            raise Forbidden(_("只有受邀成员可以签到"))
        if m.status != Meeting.Status.OPEN:
            raise Conflict(_("会议进行中才能签到"), state=m.status)
        try:
            with transaction.atomic():
                row = Attendance.objects.create(meeting=m, member=by, how=how)
        except IntegrityError:
            raise Invalid(_("您已签到")) from None
        q = meeting_quorum(m)
        _announce(m, "meeting.attendance", present=q.present, needed=q.needed)
    return row


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


# --- minutes ---------------------------------------------------------------------------------
def minutes_write(*, meeting: Meeting, by: User, body: str, objection_days: int) -> Minutes:
    """The secretary writes (or rewrites) the minutes after the meeting; members may object
    until ``objection_days`` days from now. Those invited or present are told."""
    body = _clean_text(body, field="body", max_length=20000)
    if not 0 <= objection_days <= MAX_OBJECTION_DAYS:
        raise Invalid(
            _("异议期须在 0 到 %(n)d 天之间") % {"n": MAX_OBJECTION_DAYS},
            errors={"objection_days": [_("超出范围")]},
        )
    with transaction.atomic():
        m = _lock(meeting)
        _secretary_only(m, by)
        if m.status != Meeting.Status.CLOSED:
            raise Conflict(_("会议结束后才能撰写纪要"), state=m.status)
        until = timezone.now() + timedelta(days=objection_days)
        minutes = Minutes.objects.select_for_update().filter(meeting=m).first()
        if minutes is not None and minutes.published_at is not None:
            raise Conflict(_("纪要已公布，不能修改"), state=m.status)
        if minutes is None:
            minutes = Minutes(meeting=m)
        minutes.body, minutes.written_by, minutes.objection_until = body, by, until
        minutes.save()
        people = set(Invitation.objects.filter(meeting=m).values_list("member_id", flat=True))
        people |= set(Attendance.objects.filter(meeting=m).values_list("member_id", flat=True))
        notify(
            recipients=sorted(people),
            kind="meeting.minutes",
            params={"title": m.title, "until_at": iso(until)},
            actor=by,
            url=f"/meetings/{m.pk}/#minutes",
        )
    return minutes


def minutes_object(*, minutes: Minutes, by: User, body: str) -> MinutesObjection:
    """A member invited to or present at the meeting objects to the minutes, within the window."""
    body = _clean_text(body, field="body", max_length=2000)
    with transaction.atomic():
        mn = Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)
        m = mn.meeting
        took_part = (
            Invitation.objects.filter(meeting=m, member=by).exists()
            or Attendance.objects.filter(meeting=m, member=by).exists()
        )
        if not took_part:
            raise Forbidden(_("只有受邀或出席的成员可以对纪要提出异议"))
        if mn.published_at is not None or timezone.now() >= mn.objection_until:
            raise Conflict(_("纪要异议期已结束"), state=m.status)
        return MinutesObjection.objects.create(minutes=mn, member=by, body=body)


def minutes_publish(*, minutes: Minutes, by: User) -> Minutes:
    """The secretary publishes the minutes once the objection window is over: they go on each
    agenda project's timeline and on the public meetings page."""
    with transaction.atomic():
        mn = (
            Minutes.objects.select_for_update()
            .select_related("meeting__community")
            .get(pk=minutes.pk)
        )
        m = mn.meeting
        _secretary_only(m, by)
        if mn.published_at is not None:
            raise Conflict(_("纪要已公布"), state=m.status)
        if timezone.now() < mn.objection_until:
            raise Conflict(
                _("纪要异议期至 %(when)s 结束，尚不能公布")
                % {"when": timezone.localtime(mn.objection_until).strftime("%Y-%m-%d %H:%M")},
                state=m.status,
            )
        mn.published_at, mn.published_by = timezone.now(), by
        mn.save(update_fields=["published_at", "published_by"])
        note = Text(
            "meeting.minutes",
            {"body": m.body, "meeting": m.title, "objections": mn.objections.count()},
        )
        projects = _agenda_projects(m)
        for project in projects:
            _record(project, actor=by, action="minutes_published", note=note, words=mn.body)
        if m.body == Body.HEARING:
            # held and its minutes published: the committee may now decide these projects
            spoke = m.speakers.filter(recorded_at__isnull=False).count()
            held = Text("hearing.held", {"meeting": m.title, "speakers": spoke})
            for project in projects:
                actions.hearing_held(project=project, by=by, note=held)
        _announce(m, "meeting.minutes")
    return mn


def _agenda_projects(meeting: Meeting) -> list[Project]:
    projects = {it.project for it in meeting.items.select_related("project") if it.project}
    return sorted(projects, key=lambda p: p.pk)


# --- hearings (听证会) ---------------------------------------------------------------------
def hearing_signup(*, meeting: Meeting, by: User, topic: str = "") -> HearingSpeaker:
    """A registered resident of the community signs up to speak at a hearing (before it
    closes), saying briefly what about; it goes on each agenda project's timeline."""
    topic = _clean_text(topic, field="topic", max_length=500, required=False)
    with transaction.atomic():
        m = _lock(meeting)
        if m.body != Body.HEARING:
            raise Conflict(_("只有听证会可以报名发言"), state=m.status)
        if not user_has_role(by, m.community, Role.RESIDENT):
            raise Forbidden(_("只有本社区登记居民可以报名发言"))
        if m.status == Meeting.Status.CLOSED:
            raise Conflict(_("听证会已结束，不能再报名发言"), state=m.status)
        if HearingSpeaker.objects.filter(meeting=m, person=by).exists():
            raise Conflict(_("您已报名发言"), state=m.status)
        row = HearingSpeaker.objects.create(meeting=m, person=by, topic=topic)
        note = Text("hearing.signup", {"meeting": m.title, "who": _name(by)})
        for project in _agenda_projects(m):
            _record(project, actor=by, action="hearing_signup", note=note, words=topic)
        _announce(m, "hearing.signup")
    return row


def hearing_record(
    *, speaker: HearingSpeaker, by: User, summary: str, answer: str
) -> HearingSpeaker:
    """The secretary records what a speaker said and what was answered (once the hearing has
    begun, until its minutes are published); each record is an audit row with before / after."""
    summary = _clean_text(summary, field="summary", max_length=2000)
    answer = _clean_text(answer, field="answer", max_length=2000)
    with transaction.atomic():
        m = _lock(speaker.meeting)
        sp = HearingSpeaker.objects.select_for_update().select_related("person").get(pk=speaker.pk)
        _secretary_only(m, by)
        if m.status == Meeting.Status.PLANNED:
            raise Conflict(_("听证会开始后才能记录发言"), state=m.status)
        if Minutes.objects.filter(meeting=m, published_at__isnull=False).exists():
            raise Conflict(_("纪要已公布，不能修改"), state=m.status)
        before = {"summary": sp.summary, "answer": sp.answer} if sp.recorded_at else None
        sp.summary, sp.answer = summary, answer
        sp.recorded_by, sp.recorded_at = by, timezone.now()
        sp.save(update_fields=["summary", "answer", "recorded_by", "recorded_at"])
        params: dict[str, Any] = {
            "meeting": m.title,
            "who": _name(sp.person),
            "summary": summary,
            "answer": answer,
        }
        if before is not None:
            params["before"] = before
        note = Text("hearing.speech", params)
        for project in _agenda_projects(m):
            _record(project, actor=by, action="hearing_speech", note=note)
        _announce(m, "hearing.speech")
    return sp
