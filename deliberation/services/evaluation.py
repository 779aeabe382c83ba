"""The public evaluation (群众评议): the round and its roll, the secret ballot (pooled until k
ballots, then sealed), the published tally, and the close that passes or fails the project."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import actions, ballot_box, texts
from deliberation.models import (
    EvaluationBallot,
    EvaluationChoice,
    EvaluationParticipation,
    EvaluationPooledBallot,
    EvaluationRoll,
    EvaluationRound,
)
from deliberation.services.base import (
    _lock,
    shuffle,
)
from deliberation.tally import Tally
from notifications.events import project_group, publish_on_commit, screen_group
from notifications.services import notify
from projects import services as project_services
from projects.errors import Conflict, Forbidden, Invalid, NotFound
from projects.models import STATE_FLAGS, Membership, Project, Role, State
from projects.selectors import eligible_residents, projects_visible_to, user_has_role


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
