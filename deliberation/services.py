"""Deliberation services: co-signing, objections, committee roll-calls, evaluation rounds.

They decide when to fire a project's transitions (through ``projects.services``), and advance
the human workflow (``deliberation.workflow``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from random import SystemRandom
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import actions, ballot_box, texts
from deliberation.models import (
    CoSign,
    Decision,
    DecisionVote,
    EvaluationBallot,
    EvaluationChoice,
    EvaluationParticipation,
    EvaluationPooledBallot,
    EvaluationRoll,
    EvaluationRound,
    Objection,
)
from deliberation.tally import Tally
from notifications.events import project_group, publish_on_commit, screen_group
from notifications.services import notify
from projects import services as project_services
from projects.errors import Conflict, Forbidden, Invalid, NotFound
from projects.models import STATE_FLAGS, Membership, Project, Role, State
from projects.selectors import eligible_residents, projects_visible_to, user_has_role

shuffle = SystemRandom().shuffle


def _lock(project: Project) -> Project:
    return Project.objects.select_for_update().select_related("community").get(pk=project.pk)


# --- co-signing (附议) ---------------------------------------------------------------------------
def cosign_add(*, project: Project, by: User) -> CoSign:
    """A registered resident co-signs; the co-signer who meets the threshold moves it on."""
    with transaction.atomic():
        p = _lock(project)
        if not p.flags.can_cosign:
            raise Conflict(
                _("项目当前状态为“%(state)s”，不能附议") % {"state": State(p.state).label},
                state=p.state,
                allowed=project_services.allowed_names(p, by),
            )
        if not user_has_role(by, p.community, Role.RESIDENT):
            raise Forbidden(_("只有本社区登记居民可以附议"))
        if p.proposer_id == by.pk:
            raise Invalid(_("提议人不能附议自己的提议"))
        if p.cosign_deadline is not None and timezone.now() >= p.cosign_deadline:
            raise Conflict(_("附议期已结束"), state=p.state)
        try:
            with transaction.atomic():
                cosign = CoSign.objects.create(project=p, user=by)
        except IntegrityError:
            raise Invalid(_("您已经附议过该提议")) from None
        p.cosign_count = CoSign.objects.filter(project=p).count()
        p.save(update_fields=["cosign_count", "updated_at"])
        project_services.project_follow(project=p, user=by)
        publish_on_commit(
            project_group(p.pk),
            {"kind": "project.cosign", "project_id": p.pk, "cosign_count": p.cosign_count},
        )
        if p.cosign_count >= p.community.cosign_threshold:
            p = actions.fire(project=p, name="reach_threshold", by=None)
    return cosign


def cosign_expire_due() -> int:
    """Lapse every proposal whose co-signing window ended below the threshold."""
    n = 0
    for p in project_services.projects_due_to_expire():
        try:
            actions.fire(project=p, name="expire", by=None)
            n += 1
        except Conflict:
            continue
    return n


# --- 公示 objections ---------------------------------------------------------------------------
def objection_file(*, project: Project, by: User, body: str) -> Objection:
    body = (body or "").strip()
    if not body:
        raise Invalid(_("请填写异议内容"), errors={"body": [_("此项必填")]})
    limit = Objection._meta.get_field("body").max_length or 0
    if len(body) > limit:
        raise Invalid(_("异议内容不能超过 %(n)s 字") % {"n": limit}, errors={"body": [_("过长")]})
    with transaction.atomic():
        p = _lock(project)
        if not p.flags.can_object:
            raise Conflict(_("只有公示期间可以提出异议"), state=p.state)
        if not user_has_role(by, p.community, Role.RESIDENT):
            raise Forbidden(_("只有本社区登记居民可以提出异议"))
        objection = Objection.objects.create(project=p, author=by, body=body)
        p.has_pending_objection = True
        p.save(update_fields=["has_pending_objection", "updated_at"])
        committee = Membership.objects.current().filter(community=p.community, role=Role.COMMITTEE)
        notify(
            recipients=committee.values_list("user_id", flat=True),
            kind="objection",
            params={"title": p.title},
            actor=by,
            project_id=p.pk,
            project_title=p.title,
            url=f"/projects/{p.pk}/",
        )
    return objection


def objection_resolve(
    *, objection: Objection, by: User, uphold: bool, resolution: str
) -> Objection:
    resolution = (resolution or "").strip()
    if not resolution:
        raise Invalid(_("请填写处理意见"), errors={"resolution": [_("此项必填")]})
    with transaction.atomic():
        p = _lock(objection.project)
        if not user_has_role(by, p.community, Role.COMMITTEE):
            raise Forbidden(_("只有社区党委委员可以处理异议"))
        obj = Objection.objects.select_for_update().get(pk=objection.pk)
        if obj.status != Objection.Status.PENDING:
            raise Conflict(_("该异议已处理"), state=p.state)
        obj.status = Objection.Status.UPHELD if uphold else Objection.Status.DISMISSED
        obj.resolution, obj.resolved_by, obj.resolved_at = resolution, by, timezone.now()
        obj.save()
        if uphold:
            Objection.objects.filter(project=p, status=Objection.Status.PENDING).update(
                status=Objection.Status.UPHELD,
                resolution=resolution,
                resolved_by=by,
                resolved_at=timezone.now(),
            )
            p = actions.fire(project=p, name="uphold_objection", by=by, reason=resolution)
        else:
            pending = Objection.objects.filter(project=p, status=Objection.Status.PENDING).exists()
            p.has_pending_objection = pending
            p.save(update_fields=["has_pending_objection", "updated_at"])
    return obj


# --- committee roll-call --------------------------------------------------------------------
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
    with transaction.atomic():
        p = _lock(project)
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


# --- evaluation (群众评议) ---------------------------------------------------------------------
def _roll_of(project: Project, per_household: bool) -> dict[int, str]:
    """The electorate now: each registered resident's user id → their ballot's key (the
    household's in household mode, when they have one)."""
    roll: dict[int, str] = {}
    for user_id, household in eligible_residents(project.community).values_list(
        "user_id", "household"
    ):
        key = f"h:{household}" if per_household and household else f"u:{user_id}"
        roll.setdefault(user_id, key)
    return roll


def household_has_voted(rnd: EvaluationRound, user: Any) -> bool:
    """In household mode: has another member of ``user``'s household cast the household's one
    ballot in this round? (Then the first ballot counts and this person is told so.)"""
    if not rnd.per_household or user is None or not user.is_authenticated:
        return False
    key = (
        EvaluationRoll.objects.filter(round_id=rnd.pk, user_id=user.pk)
        .values_list("voter_key", flat=True)
        .first()
    )
    if key is None or not key.startswith("h:"):
        return False
    return (
        EvaluationParticipation.objects.filter(round_id=rnd.pk, voter_key=key)
        .exclude(voter_id=user.pk)
        .exists()
    )


def evaluation_open_round(*, project: Project) -> EvaluationRound:
    """Open the next round for a project that has just entered ``evaluating``, freezing what
    decides it: the roll of voters, its size, the pass rate, the minimum turnout, household
    mode and the tally step."""
    now = timezone.now()
    community = project.community
    number = EvaluationRound.objects.filter(project=project).count() + 1
    per_household = community.evaluation_per_household
    roll = _roll_of(project, per_household)
    rnd = EvaluationRound.objects.create(
        project=project,
        number=number,
        opens_at=now,
        closes_at=now + timedelta(days=community.evaluation_days),
        eligible=len(set(roll.values())),
        per_household=per_household,
        pass_rate=community.pass_rate,
        min_turnout=community.min_turnout,
        tally_step=community.tally_step,
    )
    EvaluationRoll.objects.bulk_create(
        [EvaluationRoll(round=rnd, user_id=uid, voter_key=key) for uid, key in roll.items()],
        batch_size=2000,
    )
    notify(
        recipients=list(roll),
        kind="evaluation.opened",
        params={"title": project.title, "n": number},
        project_id=project.pk,
        project_title=project.title,
        url=f"/projects/{project.pk}/",
    )
    publish_on_commit(
        screen_group(community.slug),
        {"kind": "evaluation.opened", "project_id": project.pk, "round": number},
    )
    return rnd


def current_round(project: Project) -> EvaluationRound | None:
    return (
        EvaluationRound.objects.filter(project=project, closed_at__isnull=True)
        .order_by("-number")
        .first()
    )


def evaluation_tally(rnd: EvaluationRound) -> Tally:
    """The round's public tally: its sealed ballots counted against its frozen roll and
    thresholds. The live tally and the count that closes a round are this one function; it
    moves in steps of at least the round's ``tally_step`` (ballots still in the sealing pool are
    not counted until their batch is sealed, which closing does for all of them)."""
    counts = dict(
        EvaluationBallot.objects.filter(round_id=rnd.pk)
        .values_list("choice")
        .annotate(n=Count("pk"))
        .values_list("choice", "n")
    )
    return Tally(
        round=rnd.number,
        eligible=rnd.eligible,
        satisfied=counts.get(EvaluationChoice.SATISFIED, 0),
        basically_satisfied=counts.get(EvaluationChoice.BASICALLY_SATISFIED, 0),
        dissatisfied=counts.get(EvaluationChoice.DISSATISFIED, 0),
        pass_rate=rnd.pass_rate,
        min_turnout=rnd.min_turnout,
    )


def _open_round_for_vote(project_id: int) -> EvaluationRound | None:
    """The project's open round, with its project's state as ``project_state``, held against a
    concurrent close until this vote commits: one statement.

    ``FOR KEY SHARE`` (PostgreSQL; the ORM's ``select_for_update`` has no such strength, hence
    the raw locking read): votes proceed side by side, but ``evaluation_close`` (which locks the
    round ``FOR UPDATE``) waits for every vote in flight, and a vote arriving during the close
    waits for it and then finds no open round. Sealing locks it ``FOR NO KEY UPDATE``, which
    waits for neither. SQLite serialises writers anyway."""
    if connection.vendor == "postgresql":
        rounds, projects = EvaluationRound._meta.db_table, Project._meta.db_table
        sql = (
            f'SELECT r.*, p.state AS project_state FROM "{rounds}" r'  # noqa: S608
            f' JOIN "{projects}" p ON p.id = r.project_id'
            " WHERE r.project_id = %s AND r.closed_at IS NULL"
            " ORDER BY r.number DESC LIMIT 1 FOR KEY SHARE OF r"
        )
        found = list(EvaluationRound.objects.raw(sql, [project_id]))
    else:
        found = list(
            EvaluationRound.objects.filter(project_id=project_id, closed_at__isnull=True)
            .annotate(project_state=F("project__state"))
            .order_by("-number")[:1]
        )
    return found[0] if found else None


_CHOICES = frozenset(EvaluationChoice.values)


def _ballot_fields(choice: str, comment: str) -> str:
    """The ballot's two fields as the service accepts them; returns the comment stripped."""
    if choice not in _CHOICES:
        raise Invalid(_("请选择满意、基本满意或不满意"), errors={"choice": [_("无效选项")]})
    comment = comment.strip()
    limit = EvaluationBallot._meta.get_field("comment").max_length or 0
    if len(comment) > limit:
        raise Invalid(_("意见不能超过 %(n)s 字") % {"n": limit}, errors={"comment": [_("过长")]})
    return comment


def evaluation_vote(*, project: Project | int, by: User, choice: str, comment: str = "") -> Tally:
    """One secret ballot per person (or household) on the round's roll; returns the public
    tally. ``project`` may be given by id.

    Who voted (``EvaluationParticipation``) and the choice, in the sealing pool
    (``EvaluationPooledBallot``), are written in one transaction, so an accepted vote is never
    lost; once the pool holds a batch, a separate transaction seals it (:func:`evaluation_seal`)."""
    comment = _ballot_fields(choice, comment)
    project_id = project if isinstance(project, int) else project.pk
    key = ""
    try:
        with transaction.atomic():
            rnd = _open_round_for_vote(project_id)
            if rnd is None:
                # Named only to whoever may see the project: another's draft is not there at all.
                visible = projects_visible_to(user=by).filter(pk=project_id)
                state = visible.values_list("state", flat=True).first()
                if state is None:
                    raise NotFound(_("项目不存在"))
                raise Conflict(_("该项目当前不在评议期"), state=state)
            state = rnd.project_state  # type: ignore[attr-defined]
            if not STATE_FLAGS[state].can_evaluate:
                raise Conflict(_("该项目当前不在评议期"), state=state)
            if timezone.now() >= rnd.closes_at:
                raise Conflict(_("本轮评议已截止"), state=state)
            # The roll's key, and (same statement) whether the voter still lives here.
            roll = (
                EvaluationRoll.objects.filter(round_id=rnd.pk, user_id=by.pk)
                .annotate(
                    resident_now=Exists(
                        Membership.objects.residents().filter(
                            user_id=by.pk, community_id=OuterRef("round__project__community_id")
                        )
                    )
                )
                .values_list("voter_key", "resident_now")
                .first()
            )
            if roll is None:
                if user_has_role(by, rnd.project.community, Role.RESIDENT):
                    raise Forbidden(_("您不在本轮评议开始时的选民名册中"))
                raise Forbidden(_("只有本社区登记居民可以参加评议"))
            if not roll[1]:
                # on the roll when the round opened, moved out since: eligible no more
                raise Forbidden(_("您已迁出本社区，不能再投票"))
            key = roll[0]
            # A second ballot of the person (or household) breaks the unique voter key: the
            # whole transaction rolls back (no savepoint needed), and the refusal says why.
            EvaluationParticipation.objects.create(round=rnd, voter=by, voter_key=key)
            EvaluationPooledBallot.objects.create(
                round=rnd, box=ballot_box.lock({"choice": choice, "comment": comment})
            )
    except IntegrityError:
        msg = (
            _("您家已有成员参加本轮评议") if key and key.startswith("h:") else _("您已参加本轮评议")
        )
        raise Invalid(msg) from None
    evaluation_seal(rnd)
    return evaluation_tally(rnd)


def evaluation_seal(rnd: EvaluationRound, *, everything: bool = False) -> int:
    """Seal the round's pool once it holds at least ``tally_step`` ballots (every ballot, when
    ``everything``: closing): in one transaction, move the pooled choices into
    ``EvaluationBallot`` in shuffled order under new random keys, delete them from the pool and
    rewrite the batch's participation rows. Afterwards every row of the batch, on both sides,
    carries the same transaction and no order, id or time that follows the order of voting.
    Publishes "tally changed" on commit. Returns how many ballots were sealed."""
    pool = EvaluationPooledBallot.objects.filter(round_id=rnd.pk)
    if not everything and pool.count() < rnd.tally_step:
        return 0
    with transaction.atomic():
        # Sealers queue here, one at a time; votes (``FOR KEY SHARE``) do not wait for them.
        step, project_id, slug = (
            EvaluationRound.objects.select_for_update(no_key=True, of=("self",))
            .filter(pk=rnd.pk)
            .values_list("tally_step", "project_id", "project__community__slug")
            .get()
        )
        pooled = [
            (pk, *_opened(box, choice, comment))
            for pk, box, choice, comment in pool.values_list("pk", "box", "choice", "comment")
        ]
        if not pooled or (len(pooled) < step and not everything):
            return 0
        shuffle(pooled)
        EvaluationBallot.objects.bulk_create(
            [EvaluationBallot(round_id=rnd.pk, choice=c, comment=m) for _pk, c, m in pooled]
        )
        EvaluationPooledBallot.objects.filter(pk__in=[pk for pk, _c, _m in pooled]).delete()
        EvaluationParticipation.objects.filter(round_id=rnd.pk, sealed=False).update(sealed=True)
        _publish_tally_changed(project_id, slug)
    return len(pooled)


def _opened(box: bytes | memoryview | None, choice: str, comment: str) -> tuple[str, str]:
    """A pooled ballot's choice and comment: from its locked box (or, written before the box
    existed, in the clear)."""
    if box is None:
        return choice, comment
    content = ballot_box.unlock(box)
    return content["choice"], content["comment"]


def _publish_tally_changed(project_id: int, community_slug: str) -> None:
    """A small "tally changed" event to the project's page and its community's screen (one
    send for both); they read the tally again (``evaluation_tally``)."""
    event = {"kind": "evaluation.tally", "project_id": project_id}
    publish_on_commit([project_group(project_id), screen_group(community_slug)], event)


def _everyone_voted(rnd: EvaluationRound) -> bool:
    return rnd.eligible > 0 and (
        EvaluationParticipation.objects.filter(round_id=rnd.pk).count() >= rnd.eligible
    )


def evaluation_can_close(rnd: EvaluationRound) -> bool:
    """Can the round be counted now? Its window is over, or everyone on its roll has voted."""
    return rnd.closed_at is None and (timezone.now() >= rnd.closes_at or _everyone_voted(rnd))


def _evaluation_outcome(project: Project, tally: Tally) -> str:
    """The transition the count gives, as the state machine says: pass if the tally passed,
    otherwise whichever fail transition's conditions hold (rectification rounds left or not)."""
    available = {t.name for t in project.get_available_state_transitions()}  # type: ignore[attr-defined]
    if tally.passed:
        candidates = ["pass_evaluation"]
    else:
        candidates = [n for n in ("fail_evaluation", "fail_final") if n in available]
    if len(candidates) != 1 or candidates[0] not in available:
        raise Conflict(_("该项目当前不在评议期"), state=project.state, allowed=[])
    return candidates[0]


def evaluation_close(*, project: Project, by: User | None, expected: str | None = None) -> Project:
    """Count the open round once its window is over (or everyone on its roll has voted) and
    fire the outcome the count gives: ``pass_evaluation``, ``fail_evaluation`` or
    ``fail_final``. Nobody can close it earlier. ``by=None`` is the clock (``manage.py tick``);
    a person closing must be of the service center.

    ``expected`` lets the transitions API ask for one outcome: a different computed outcome is a
    409 that names the outcome the votes give."""
    with transaction.atomic():
        p = _lock(project)
        if by is not None and not user_has_role(by, p.community, Role.CLERK):
            raise Forbidden(_("只有社区服务中心可以结束评议"))
        rnd = current_round(p)
        if rnd is not None:  # wait for the votes in flight; later ones find the round closed
            rnd = EvaluationRound.objects.select_for_update().get(pk=rnd.pk)
        if p.state != State.EVALUATING or rnd is None or rnd.closed_at is not None:
            raise Conflict(
                _("该项目当前不在评议期"),
                state=p.state,
                allowed=project_services.allowed_names(p, by),
            )
        if not evaluation_can_close(rnd):
            raise Conflict(
                _("评议期至 %(when)s 结束，尚未截止")
                % {"when": timezone.localtime(rnd.closes_at).strftime("%Y-%m-%d %H:%M")},
                state=p.state,
                allowed=[],
            )
        evaluation_seal(rnd, everything=True)
        tally = evaluation_tally(rnd)
        outcome = _evaluation_outcome(p, tally)
        if expected is not None and expected != outcome:
            raise Conflict(
                _("评议结果对应的操作是 %(outcome)s") % {"outcome": outcome},
                state=p.state,
                allowed=[outcome],
            )
        rnd.closed_at, rnd.passed = timezone.now(), tally.passed
        rnd.save(update_fields=["closed_at", "passed"])
        note = texts.evaluation_tally(
            n=rnd.number,
            s=tally.satisfied,
            b=tally.basically_satisfied,
            d=tally.dissatisfied,
            turnout=float(tally.turnout),
            rate=float(tally.satisfaction),
        )
        p = actions.fire(project=p, name=outcome, by=by, note=note)
        _publish_tally_changed(p.pk, p.community.slug)
    return p


def evaluation_close_due() -> int:
    """The clock: count every open round whose window is over (``manage.py tick``)."""
    n = 0
    due = EvaluationRound.objects.filter(
        closed_at__isnull=True, closes_at__lte=timezone.now(), project__state=State.EVALUATING
    ).select_related("project")
    for rnd in due:
        try:
            evaluation_close(project=rnd.project, by=None)
        except (Conflict, Forbidden):
            continue
        n += 1
    return n


__all__ = ["RollCall", "Tally"]
