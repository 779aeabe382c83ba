"""Deliberation services: co-signing, objections, committee roll-calls, evaluation rounds.

They decide when to fire a project's transitions (through ``projects.services``), and advance
the human workflow (``deliberation.workflow``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import evaluation_sql
from deliberation.models import (
    CoSign,
    Decision,
    DecisionVote,
    EvaluationBallot,
    EvaluationParticipation,
    EvaluationRound,
    EvaluationTallyShard,
    Objection,
)
from deliberation.tally import Tally
from notifications.events import (
    project_group,
    publish_fresh_on_commit,
    publish_on_commit,
    screen_group,
)
from notifications.services import notify
from projects import services as project_services
from projects.errors import Conflict, Forbidden, Invalid, NotFound
from projects.models import STATE_FLAGS, Membership, Project, Role, State
from projects.selectors import eligible_residents, projects_visible_to, user_has_role


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
                allowed=project_services.allowed_transitions(p, by),
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
            p = project_services.project_reach_threshold(project=p)
            from deliberation import workflow

            workflow.sync(p, by)
    return cosign


def cosign_expire_due() -> int:
    """Lapse every proposal whose co-signing window ended below the threshold."""
    n = 0
    for p in project_services.projects_due_to_expire():
        from deliberation import workflow

        try:
            with transaction.atomic():
                p = project_services.project_expire(project=p)
                workflow.sync(p, None)
            n += 1
        except Conflict:
            continue
    return n


# --- 公示 objections ---------------------------------------------------------------------------
def objection_file(*, project: Project, by: User, body: str) -> Objection:
    body = (body or "").strip()
    if not body:
        raise Invalid(_("请填写异议内容"), errors={"body": [_("此项必填")]})
    if len(body) > 2000:
        raise Invalid(_("异议内容不能超过 2000 字"), errors={"body": [_("过长")]})
    with transaction.atomic():
        p = _lock(project)
        if not p.flags.can_object:
            raise Conflict(_("只有公示期间可以提出异议"), state=p.state)
        if not user_has_role(by, p.community, Role.RESIDENT):
            raise Forbidden(_("只有本社区登记居民可以提出异议"))
        objection = Objection.objects.create(project=p, author=by, body=body)
        p.has_pending_objection = True
        p.save(update_fields=["has_pending_objection", "updated_at"])
        committee = Membership.objects.filter(community=p.community, role=Role.COMMITTEE)
        notify(
            recipients=committee.values_list("user_id", flat=True),
            kind="objection",
            verb=_("“%(title)s”公示期间收到异议") % {"title": p.title},
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
            p = project_services.project_uphold_objection(project=p, by=by, reason=resolution)
            from deliberation import workflow

            workflow.sync(p, by)
        else:
            pending = Objection.objects.filter(project=p, status=Objection.Status.PENDING).exists()
            p.has_pending_objection = pending
            p.save(update_fields=["has_pending_objection", "updated_at"])
    return obj


# --- committee roll-call --------------------------------------------------------------------
def decision_open(
    *, project: Project, by: User, motion: str, amount: Any = None, reason: str = ""
) -> Decision:
    if motion not in Decision.Motion.values:
        raise Invalid(_("未知的动议"), errors={"motion": [_("只能是 approve、decline 或 defer")]})
    value = project_services.parse_amount(amount) if motion == Decision.Motion.APPROVE else None
    reason = (reason or "").strip()
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
                allowed=project_services.allowed_transitions(p, by),
            )
        if Decision.objects.filter(project=p, result=Decision.Result.OPEN).exists():
            raise Conflict(_("该项目已有一项正在表决的动议"), state=p.state)
        decision = Decision.objects.create(
            project=p,
            motion=motion,
            amount=value,
            reason=reason[:2000],
            opened_by=by,
            members_total=Membership.objects.filter(
                community=p.community, role=Role.COMMITTEE
            ).count(),
        )
        publish_on_commit(
            project_group(p.pk),
            {"kind": "decision.opened", "project_id": p.pk, "decision_id": decision.pk},
        )
        notify(
            recipients=Membership.objects.filter(
                community=p.community, role=Role.COMMITTEE
            ).values_list("user_id", flat=True),
            kind="decision.opened",
            verb=_("“%(title)s”有动议待表决：%(motion)s")
            % {"title": p.title, "motion": decision.get_motion_display()},
            actor=by,
            project_id=p.pk,
            project_title=p.title,
            url=f"/projects/{p.pk}/",
        )
    return decision


def decision_vote(*, decision: Decision, by: User, choice: str, conflict: str = "") -> DecisionVote:
    if choice not in DecisionVote.Choice.values:
        raise Invalid(_("表决只能是赞成、反对、弃权或回避"), errors={"choice": [_("无效选项")]})
    conflict = (conflict or "").strip()
    if choice == DecisionVote.Choice.RECUSE and not conflict:
        raise Invalid(_("回避需要说明利益冲突"), errors={"conflict": [_("此项必填")]})
    with transaction.atomic():
        d = (
            Decision.objects.select_for_update()
            .select_related("project__community")
            .get(pk=decision.pk)
        )
        if not user_has_role(by, d.project.community, Role.COMMITTEE):
            raise Forbidden(_("只有社区党委委员可以表决"))
        if d.result != Decision.Result.OPEN:
            raise Conflict(_("表决已结束"), state=d.project.state)
        try:
            with transaction.atomic():
                vote = DecisionVote.objects.create(
                    decision=d, member=by, choice=choice, conflict=conflict[:500]
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


def decision_tally(decision: Decision) -> RollCall:
    counts = dict(
        decision.votes.values_list("choice").annotate(n=Count("id")).values_list("choice", "n")
    )
    total = (
        decision.members_total
        or Membership.objects.filter(
            community=decision.project.community, role=Role.COMMITTEE
        ).count()
    )
    recused = counts.get(DecisionVote.Choice.RECUSE, 0)
    present = sum(v for k, v in counts.items() if k != DecisionVote.Choice.RECUSE)
    # Quorum: ceil(ratio × members not recused), computed exactly. The setting is stored with
    # three decimals; bylaws speak in simple fractions, so 0.667 means two thirds (2 of 3 members),
    # not 2.001 of them: read it as the nearest fraction with a denominator of at most 12.
    ratio = Fraction(str(decision.project.community.committee_quorum)).limit_denominator(12)
    need_frac = ratio * (total - recused)
    quorum = int(-(-need_frac.numerator // need_frac.denominator))
    return RollCall(
        members_total=total,
        present=present,
        yes=counts.get("yes", 0),
        no=counts.get("no", 0),
        abstain=counts.get("abstain", 0),
        recused=recused,
        quorum_needed=max(quorum, 1),
    )


def decision_close(*, decision: Decision, by: User, minutes: str = "") -> Decision:
    """Close the roll-call; if carried, the motion's transition fires in the same transaction."""
    with transaction.atomic():
        d = (
            Decision.objects.select_for_update()
            .select_related("project__community")
            .get(pk=decision.pk)
        )
        if not user_has_role(by, d.project.community, Role.COMMITTEE):
            raise Forbidden(_("只有社区党委委员可以结束表决"))
        if d.result != Decision.Result.OPEN:
            raise Conflict(_("表决已结束"), state=d.project.state)
        tally = decision_tally(d)
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
        summary = _(
            "表决结果：出席 %(present)d/%(total)d，赞成 %(yes)d，反对 %(no)d，弃权 %(abstain)d，回避 %(recused)d"
        ) % {
            "present": tally.present,
            "total": tally.members_total,
            "yes": tally.yes,
            "no": tally.no,
            "abstain": tally.abstain,
            "recused": tally.recused,
        }
        if d.result == Decision.Result.CARRIED:
            reason = "\n".join(x for x in [d.reason, summary] if x)
            p = d.project
            if d.motion == Decision.Motion.APPROVE:
                p = project_services.project_approve(
                    project=p, by=by, amount=d.amount, reason=reason
                )
            elif d.motion == Decision.Motion.DECLINE:
                p = project_services.project_decline(project=p, by=by, reason=reason)
            else:
                p = project_services.project_defer(project=p, by=by, reason=reason)
            from deliberation import workflow

            workflow.sync(p, by)
        publish_on_commit(
            project_group(d.project_id),
            {"kind": "decision.closed", "project_id": d.project_id, "result": d.result},
        )
    return d


# --- evaluation (群众评议) ---------------------------------------------------------------------
def _eligible_count(project: Project, per_household: bool) -> int:
    qs = eligible_residents(project.community)
    if per_household:
        return (
            qs.exclude(household="").values("household").distinct().count()
            + qs.filter(household="").count()
        )
    return qs.values("user_id").distinct().count()


def evaluation_open_round(*, project: Project) -> EvaluationRound:
    """Open the next round for a project that has just entered ``evaluating``."""
    now = timezone.now()
    number = EvaluationRound.objects.filter(project=project).count() + 1
    per_household = project.community.evaluation_per_household
    rnd = EvaluationRound.objects.create(
        project=project,
        number=number,
        opens_at=now,
        closes_at=now + timedelta(days=project.community.evaluation_days),
        eligible=_eligible_count(project, per_household),
        per_household=per_household,
    )
    EvaluationTallyShard.objects.create(round=rnd, shard=0)
    residents = eligible_residents(project.community).values_list("user_id", flat=True)
    notify(
        recipients=residents,
        kind="evaluation.opened",
        verb=_("“%(title)s”已完工，请参加群众评议（第 %(n)d 轮）")
        % {"title": project.title, "n": number},
        project_id=project.pk,
        project_title=project.title,
        url=f"/projects/{project.pk}/",
    )
    publish_on_commit(
        screen_group(project.community.slug),
        {"kind": "evaluation.opened", "project_id": project.pk, "round": number},
    )
    return rnd


def current_round(project: Project) -> EvaluationRound | None:
    return (
        EvaluationRound.objects.filter(project=project, closed_at__isnull=True)
        .order_by("-number")
        .first()
    )


def _tally_of(rnd: EvaluationRound, satisfied: int, basically: int, dissatisfied: int) -> Tally:
    community = rnd.project.community
    return Tally(
        round=rnd.number,
        eligible=rnd.eligible,
        satisfied=satisfied,
        basically_satisfied=basically,
        dissatisfied=dissatisfied,
        pass_rate=community.pass_rate,
        min_turnout=community.min_turnout,
    )


def evaluation_tally(rnd: EvaluationRound) -> Tally:
    """The round's live public tally: the sum of the parts each ballot adds to
    (``EvaluationTallyShard``), as committed now."""
    parts = EvaluationTallyShard.objects.filter(round_id=rnd.pk).aggregate(
        satisfied=Sum("satisfied"),
        basically=Sum("basically_satisfied"),
        dissatisfied=Sum("dissatisfied"),
    )
    return _tally_of(
        rnd, parts["satisfied"] or 0, parts["basically"] or 0, parts["dissatisfied"] or 0
    )


def evaluation_count(rnd: EvaluationRound) -> Tally:
    """The tally counted from the ballots themselves: what closing a round decides on."""
    counts = dict(
        EvaluationBallot.objects.filter(round=rnd)
        .values_list("choice")
        .annotate(n=Count("id"))
        .values_list("choice", "n")
    )
    return _tally_of(
        rnd,
        counts.get("satisfied", 0),
        counts.get("basically_satisfied", 0),
        counts.get("dissatisfied", 0),
    )


def _open_round_for_vote(project_id: int) -> EvaluationRound | None:
    """The project's open round, held against a concurrent close until this vote commits.

    ``FOR KEY SHARE`` (PostgreSQL): votes proceed side by side, but ``evaluation_close`` (which
    locks the round ``FOR UPDATE``) waits for every vote in flight, and a vote arriving during the
    close waits for it and then finds no open round. (Django's foreign keys are checked only at
    commit, so the inserts alone do not hold the round.) SQLite serialises writers anyway."""
    qs = EvaluationRound.objects.filter(project_id=project_id, closed_at__isnull=True)
    if connection.vendor == "postgresql":
        table = EvaluationRound._meta.db_table
        sql = (
            f'SELECT * FROM "{table}" WHERE project_id = %s AND closed_at IS NULL'  # noqa: S608
            " ORDER BY number DESC LIMIT 1 FOR KEY SHARE"
        )
        found = list(EvaluationRound.objects.raw(sql, [project_id]))
        if not found:
            return None
        return qs.select_related("project__community").filter(pk=found[0].pk).first()
    return qs.select_related("project__community").order_by("-number").first()


_EVALUATING_STATES = [s.value for s in State if STATE_FLAGS[s].can_evaluate]
_CHOICES = frozenset(EvaluationBallot.Choice.values)


def evaluation_vote(*, project: Project | int, by: User, choice: str, comment: str = "") -> Tally:
    """One secret ballot per eligible resident (or household) per round; returns the live
    tally. ``project`` may be given by id.

    On PostgreSQL a ballot that counts takes one SQL statement (``deliberation.evaluation_sql``);
    every other case, and every vote on SQLite, takes the checked path below, which also names
    the reason for a refusal. Either way the tally goes to the project's page and the community's
    screen after commit, as a snapshot that supersedes the previous one."""
    comment = _ballot_fields(choice, comment)
    project_id = project if isinstance(project, int) else project.pk
    tally = _cast_at_once(project_id, choice, comment, user_id=by.pk)
    return tally if tally is not None else _cast_checked(project_id, by, choice, comment)


def evaluation_vote_by_token(
    *, project_id: int, token: str, choice: Any, comment: Any
) -> Tally | None:
    """The vote API's hot path: the ballot of the holder of an API token, counted in one
    statement that also authenticates the token (as the API's token authentication does) and
    checks the voter, without loading the user first. Returns the live tally, published as
    :func:`evaluation_vote` publishes it, or ``None`` having written nothing when the ballot did
    not count there for any reason (unknown token, bad fields, not eligible, a duplicate, the
    wrong state; always on SQLite): the caller then authenticates and calls
    :func:`evaluation_vote`, which explains."""
    try:
        comment = _ballot_fields(choice, comment)
    except Invalid:
        return None
    return _cast_at_once(project_id, choice, comment, token=token)


def _ballot_fields(choice: Any, comment: Any) -> str:
    """Checks the ballot's two fields; returns the comment stripped."""
    if not isinstance(choice, str) or choice not in _CHOICES:
        raise Invalid(_("请选择满意、基本满意或不满意"), errors={"choice": [_("无效选项")]})
    if not isinstance(comment, str):
        raise Invalid(_("意见必须是文字"), errors={"comment": [_("无效")]})
    comment = comment.strip()
    if len(comment) > 500:
        raise Invalid(_("意见不能超过 500 字"), errors={"comment": [_("过长")]})
    return comment


def _cast_at_once(
    project_id: int,
    choice: str,
    comment: str,
    *,
    user_id: int | None = None,
    token: str | None = None,
) -> Tally | None:
    """The one-statement ballot (PostgreSQL), published; ``None`` if it did not count."""
    if connection.vendor != "postgresql":
        return None
    tally = evaluation_sql.cast(
        project_id=project_id,
        choice=choice,
        comment=comment,
        states=_EVALUATING_STATES,
        user_id=user_id,
        token=token,
    )
    if tally is not None:
        _publish_tally(project_id)
    return tally


def _cast_checked(project_id: int, by: User, choice: str, comment: str) -> Tally:
    with transaction.atomic():
        rnd = _open_round_for_vote(project_id)
        if rnd is None:
            # Named only to whoever may see the project: another's draft is not there at all.
            visible = projects_visible_to(user=by).filter(pk=project_id)
            state = visible.values_list("state", flat=True).first()
            if state is None:
                raise NotFound(_("项目不存在"))
            raise Conflict(_("该项目当前不在评议期"), state=state)
        p = rnd.project
        if not p.flags.can_evaluate:
            raise Conflict(_("该项目当前不在评议期"), state=p.state)
        if timezone.now() >= rnd.closes_at:
            raise Conflict(_("本轮评议已截止"), state=p.state)
        membership = Membership.objects.filter(
            user_id=by.pk, community_id=p.community_id, role=Role.RESIDENT
        ).first()
        if membership is None:
            raise Forbidden(_("只有本社区登记居民可以参加评议"))
        key = (
            f"h:{membership.household}"
            if rnd.per_household and membership.household
            else f"u:{by.pk}"
        )
        try:
            with transaction.atomic():
                EvaluationParticipation.objects.create(round=rnd, voter=by, voter_key=key)
                EvaluationBallot.objects.create(round=rnd, choice=choice, comment=comment)
        except IntegrityError:
            msg = _("您家已有成员参加本轮评议") if key.startswith("h:") else _("您已参加本轮评议")
            raise Invalid(msg) from None
        part, _created = EvaluationTallyShard.objects.get_or_create(round=rnd, shard=0)
        EvaluationTallyShard.objects.filter(pk=part.pk).update(**{choice: F(choice) + 1})
        tally = evaluation_tally(rnd)
        _publish_tally(p.pk)
    return tally


def _publish_tally(project_id: int) -> None:
    """The project's live tally to its page and its community's screen, read once this vote
    has committed. Under a burst each process reads and sends it at most a few times a second,
    and always once after its last vote, so the last tally a screen gets counts every ballot
    (``publish_fresh_on_commit``)."""

    def read() -> list[tuple[str, dict[str, Any]]]:
        live = evaluation_sql.live_tally(project_id)
        if live is None:
            return []
        tally, title, slug = live
        event = {
            "kind": "evaluation.tally",
            "project_id": project_id,
            "title": title,
            "tally": tally.as_dict(),
        }
        return [(project_group(project_id), event), (screen_group(slug), event)]

    publish_fresh_on_commit(f"evaluation.tally:{project_id}", read)


def evaluation_close(
    *, project: Project, by: User, expected: str | None = None, force: bool = False
) -> Project:
    """Close the open round once its window is over (or everyone eligible has voted) and fire
    the computed outcome: ``pass_evaluation``, ``fail_evaluation`` or ``fail_final``.

    ``expected`` lets the transitions API ask for one outcome: a different computed outcome is a
    409 that names the outcome the votes give."""
    with transaction.atomic():
        p = _lock(project)
        if not user_has_role(by, p.community, Role.CLERK):
            raise Forbidden(_("只有社区服务中心可以结束评议"))
        rnd = current_round(p)
        if rnd is not None:  # wait for the votes in flight; later ones find the round closed
            rnd = EvaluationRound.objects.select_for_update().get(pk=rnd.pk)
        if p.state != State.EVALUATING or rnd is None or rnd.closed_at is not None:
            raise Conflict(
                _("该项目当前不在评议期"),
                state=p.state,
                allowed=project_services.allowed_transitions(p, by),
            )
        tally = evaluation_count(rnd)
        if timezone.now() < rnd.closes_at and tally.votes < tally.eligible and not force:
            raise Conflict(
                _("评议期至 %(when)s 结束，尚未截止")
                % {"when": timezone.localtime(rnd.closes_at).strftime("%Y-%m-%d %H:%M")},
                state=p.state,
            )
        if tally.passed:
            outcome = "pass_evaluation"
        elif p.rectification_count < p.community.max_rectification_rounds:
            outcome = "fail_evaluation"
        else:
            outcome = "fail_final"
        if expected is not None and expected != outcome:
            raise Conflict(
                _("评议结果对应的操作是 %(outcome)s") % {"outcome": outcome},
                state=p.state,
                allowed=[outcome],
            )
        rnd.closed_at, rnd.passed = timezone.now(), tally.passed
        rnd.save(update_fields=["closed_at", "passed"])
        # The published result is the count of the ballots (the parts should agree anyway).
        rnd.tally_shards.exclude(shard=0).delete()
        rnd.tally_shards.update_or_create(
            shard=0,
            defaults={
                "satisfied": tally.satisfied,
                "basically_satisfied": tally.basically_satisfied,
                "dissatisfied": tally.dissatisfied,
            },
        )
        reason = _(
            "第 %(n)d 轮评议：满意 %(s)d，基本满意 %(b)d，不满意 %(d)d；参与率 %(t).1f%%，满意率 %(r).1f%%"
        ) % {
            "n": rnd.number,
            "s": tally.satisfied,
            "b": tally.basically_satisfied,
            "d": tally.dissatisfied,
            "t": float(tally.turnout) * 100,
            "r": float(tally.satisfaction) * 100,
        }
        fire: dict[str, Callable[..., Project]] = {
            "pass_evaluation": project_services.project_pass_evaluation,
            "fail_evaluation": project_services.project_fail_evaluation,
            "fail_final": project_services.project_fail_final,
        }
        p = fire[outcome](project=p, by=by, reason=reason)
        from deliberation import workflow

        workflow.sync(p, by)
    return p


__all__ = ["RollCall", "Tally"]
