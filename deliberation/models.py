"""Votes of every kind and the human workflow around a project."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from projects.models import Project
from projects.models.states import MAX_AMOUNT


class CoSign(models.Model):
    """附议: one per registered resident per proposal."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cosigns")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附议")
        verbose_name_plural = _("附议")
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="cosign_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.project_id}"


class Objection(models.Model):
    """An objection filed by a resident during 公示; the committee upholds or dismisses it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        UPHELD = "upheld", _("成立")
        DISMISSED = "dismissed", _("不成立")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="objections")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = models.TextField(_("异议内容"), max_length=2000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    resolution = models.TextField(_("处理意见"), max_length=2000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.body[:30]}"


class Decision(models.Model):
    """A committee roll-call on one motion (approve with an amount, decline, or defer).

    Quorum: the community's share of committee members present (not recused); carried by a
    simple majority of those present. The result is computed, never typed in."""

    class Motion(models.TextChoices):
        APPROVE = "approve", _("批准")
        DECLINE = "decline", _("不予批准")
        DEFER = "defer", _("暂缓，退回议事会")

    class Result(models.TextChoices):
        OPEN = "open", _("表决中")
        CARRIED = "carried", _("通过")
        FAILED = "failed", _("未通过")
        NO_QUORUM = "no_quorum", _("未达法定人数")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="decisions")
    motion = models.CharField(_("动议"), max_length=20, choices=Motion.choices)
    amount = models.DecimalField(
        _("金额"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)],
    )
    reason = models.TextField(_("理由"), max_length=2000, blank=True)
    minutes = models.TextField(_("会议纪要"), max_length=10000, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.CharField(max_length=20, choices=Result.choices, default=Result.OPEN)
    members_total = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    recused = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Hosted by a committee meeting's agenda item (``meetings.AgendaItem.decision``): members
    # present vote from the meeting's page, the meeting's attendance is who is present, and
    # closing the item closes the roll-call. Outside a meeting it cannot be voted on or closed.
    in_meeting = models.BooleanField(_("会议表决"), default=False)

    class Meta:
        verbose_name = _("党委决策")
        verbose_name_plural = _("党委决策")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(result="open"), name="decision_one_open"
            ),
            models.CheckConstraint(
                condition=~models.Q(motion="approve") | models.Q(amount__gt=0),
                name="decision_approve_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.motion} ({self.result})"


class DecisionVote(models.Model):
    class Choice(models.TextChoices):
        YES = "yes", _("赞成")
        NO = "no", _("反对")
        ABSTAIN = "abstain", _("弃权")
        RECUSE = "recuse", _("回避")

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    choice = models.CharField(_("表决"), max_length=10, choices=Choice.choices)
    conflict = models.CharField(_("利益冲突说明"), max_length=500, blank=True)
    # The meeting's secretary, when entered from a show of hands (marked as such); else empty.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("表决记录")
        verbose_name_plural = _("表决记录")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "member"], name="decision_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.choice}"


class EvaluationRound(models.Model):
    """One round of 群众评议 on a delivered project. Tallies are public; choices are secret.

    What decides the round is frozen when it opens: the electorate (``roll``, one row per person
    with the key that is their one ballot), its size (``eligible``), the pass rate, the minimum
    turnout, one ballot per household or per person, and ``tally_step`` (k): ballots are sealed
    and published in batches of at least k, never one at a time."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="evaluation_rounds")
    number = models.PositiveIntegerField()
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    eligible = models.PositiveIntegerField(_("有投票资格人数"), default=0)
    per_household = models.BooleanField(default=False)
    pass_rate = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.800"))
    min_turnout = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.200"))
    tally_step = models.PositiveSmallIntegerField(default=5)
    closed_at = models.DateTimeField(null=True, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        verbose_name = _("评议轮次")
        verbose_name_plural = _("评议轮次")
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="evaluation_round_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} #{self.number}"


class EvaluationRoll(models.Model):
    """The electorate of a round, frozen when it opens: who may vote, and under which key
    (``u:<user>``, or ``h:<household>`` in household mode). Turnout counts against it."""

    round = models.ForeignKey(EvaluationRound, on_delete=models.CASCADE, related_name="roll")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    voter_key = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="evaluation_roll_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.voter_key}"


class EvaluationParticipation(models.Model):
    """Who voted in a round (never what). ``voter_key`` is the person or, in household mode,
    the household: the unique constraint makes it one ballot per key per round. ``sealed`` turns
    true when the batch holding this voter's ballot is sealed (the row is rewritten then, so its
    transaction and place on disk are the seal's, shared by the whole batch)."""

    round = models.ForeignKey(
        EvaluationRound, on_delete=models.CASCADE, related_name="participations"
    )
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    voter_key = models.CharField(max_length=120)
    # db_default: the previous release's ballot INSERT does not name the column (upgrades)
    sealed = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "voter_key"], name="evaluation_one_ballot"),
        ]
        indexes = [
            models.Index(
                fields=["round"], condition=models.Q(sealed=False), name="evaluation_unsealed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.voter_key}"


class EvaluationChoice(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class EvaluationPooledBallot(models.Model):
    """A cast ballot waiting in the sealing pool (written with its participation, so a counted
    vote is never lost). Not yet public: the live tally counts sealed ballots only. Sealing
    moves a batch of at least ``tally_step`` of them into :class:`EvaluationBallot`, shuffled, and
    deletes them here. The choice and comment are in ``box``, locked
    (:mod:`deliberation.ballot_box`): the row shares its transaction with the voter's
    participation, so it must not say what was chosen. ``choice`` and ``comment`` in the clear
    are read only from rows written before the box existed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(EvaluationRound, on_delete=models.CASCADE, related_name="pool")
    box = models.BinaryField(null=True)
    choice = models.CharField(max_length=20, choices=EvaluationChoice.choices, blank=True)
    comment = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.round_id}: pooled"


class EvaluationBallot(models.Model):
    """What was chosen (never who), sealed: written in batches in shuffled order, with random
    keys and no timestamp, so neither ids, order on disk, transaction nor time tie a row to a
    participation."""

    Choice = EvaluationChoice

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(EvaluationRound, on_delete=models.CASCADE, related_name="ballots")
    choice = models.CharField(max_length=20, choices=EvaluationChoice.choices)
    comment = models.CharField(_("意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.choice}"


class ProjectProcess(Process):
    """The viewflow process that carries one project's human steps."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="processes")

    class Meta:
        verbose_name = _("项目流程")
        verbose_name_plural = _("项目流程")

    def __str__(self) -> str:
        return f"process {self.pk} of project {self.project_id}"


from deliberation.ballot_models import (  # noqa: E402,F401
    Ballot,
    BallotApproval,
    BallotParticipation,
    BudgetRound,
    BudgetRule,
    RoundProject,
    RoundResult,
)
