"""Casting a ballot: one approval ballot per eligible resident per round; the live tally on commit.

Who voted and what was chosen are stored apart
(:class:`~deliberation.ballot_models.BallotParticipation` /
:class:`~deliberation.ballot_models.Ballot`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from random import SystemRandom
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import ballot_box
from deliberation.ballot_models import (
    Ballot,
    BallotApproval,
    BallotParticipation,
    BallotRoll,
    BudgetRound,
    PooledBallot,
    RoundProject,
)
from deliberation.ballots.inputs import _clean_choice
from deliberation.ballots.selectors import standings, turnout
from notifications.events import publish_on_commit, screen_group
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Community,
    Role,
)
from projects.selectors import user_has_role

_shuffle = SystemRandom().shuffle


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


def ballot_cast(*, round: BudgetRound, by: User, project_ids: Any) -> BallotReceipt:
    """One approval ballot per person on the round's roll (frozen when it opened). Refused, with
    nothing written: a project outside the round, more projects than allowed, a total cost over
    the budget (when the round limits it), a round that is not open, a voter not on the roll.

    The participation and the choice (in the sealing pool) are written in one transaction, so an
    accepted ballot is never lost; a separate transaction seals a full batch (:func:`ballot_seal`).
    The receipt's standings count sealed ballots only."""
    ids = _clean_choice(project_ids)
    with transaction.atomic():
        try:
            rnd = _round_for_ballot(round.pk)
        except BudgetRound.DoesNotExist:
            raise Conflict(_("该预算投票不存在")) from None
        _require_accepting(rnd, timezone.now())
        key = (
            BallotRoll.objects.filter(round_id=rnd.pk, user_id=by.pk)
            .values_list("voter_key", flat=True)
            .first()
        )
        if key is None:
            community = Community.objects.get(pk=rnd.community_id)
            if user_has_role(by, community, Role.RESIDENT):
                raise Forbidden(_("您不在本轮投票开始时的选民名册中"))
            raise Forbidden(_("只有本社区登记居民可以参加预算投票"))
        if not user_has_role(by, Community.objects.get(pk=rnd.community_id), Role.RESIDENT):
            # on the roll when the round opened, moved out since: eligible no more
            raise Forbidden(_("您已迁出本社区，不能再投票"))
        entries = {
            e.external_id: e
            for e in RoundProject.objects.filter(round_id=rnd.pk, external_id__in=ids)
        }
        _check_choice(rnd, entries, ids)
        try:
            with transaction.atomic():
                BallotParticipation.objects.create(round_id=rnd.pk, voter=by, voter_key=key)
                PooledBallot.objects.create(
                    round_id=rnd.pk, box=ballot_box.lock([entries[p].pk for p in ids])
                )
        except IntegrityError:
            raise Invalid(_("您已在本轮预算投票中投过票")) from None
    ballot_seal(rnd)
    voters = turnout(rnd)
    current = standings(rnd)
    return BallotReceipt(round_id=rnd.pk, voters=voters, eligible=rnd.eligible, standings=current)


def _require_accepting(rnd: BudgetRound, now: datetime) -> None:
    """409 unless ``rnd`` is open and ``now`` is inside its window."""
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


def _check_choice(rnd: BudgetRound, entries: dict[str, RoundProject], ids: list[str]) -> None:
    """400 unless every chosen project is in the round, within the count and the budget."""
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


def ballot_seal(rnd: BudgetRound, *, everything: bool = False) -> int:
    """Seal the round's pool once it holds at least ``tally_step`` ballots (every ballot, when
    ``everything``: closing): in one transaction, write the pooled choices as ``Ballot`` and
    ``BallotApproval`` rows in shuffled order under new random keys, delete them from the pool
    and rewrite the batch's participation rows, so no order, id, time or transaction ties a voter
    to a ballot. Publishes "standings changed" on commit; returns how many ballots were sealed."""
    pool = PooledBallot.objects.filter(round_id=rnd.pk)
    if not everything and pool.count() < rnd.tally_step:
        return 0
    with transaction.atomic():
        # sealers queue here one at a time; ballots (``FOR KEY SHARE``) do not wait for them
        locked = (
            BudgetRound.objects.select_for_update(no_key=True, of=("self",))
            .select_related("community")
            .get(pk=rnd.pk)
        )
        pooled = [
            (pk, entries if box is None else ballot_box.unlock(box))
            for pk, box, entries in pool.values_list("pk", "box", "entries")
        ]
        if not pooled or (len(pooled) < locked.tally_step and not everything):
            return 0
        _shuffle(pooled)
        sealed = [Ballot(round_id=rnd.pk) for _ in pooled]
        Ballot.objects.bulk_create(sealed)
        BallotApproval.objects.bulk_create(
            BallotApproval(ballot=ballot, entry_id=entry)
            for ballot, (_pk, entries) in zip(sealed, pooled, strict=True)
            for entry in entries
        )
        PooledBallot.objects.filter(pk__in=[pk for pk, _e in pooled]).delete()
        BallotParticipation.objects.filter(round_id=rnd.pk, sealed=False).update(sealed=True)
        publish_on_commit(
            screen_group(locked.community.slug), {"kind": "ballot.tally", "round_id": rnd.pk}
        )
    return len(pooled)
