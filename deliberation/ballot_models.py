"""Budget ballots (预算投票): a round of approval voting over shortlisted projects of one community.

A committee opens a :class:`BudgetRound` with the fund amount as the budget and the rule that will
pick the winners. Each eligible resident casts one approval ballot; who voted
(:class:`BallotParticipation`) is stored apart from what was chosen (:class:`Ballot` and its
:class:`BallotApproval` rows: random keys, no timestamps), so no page, API or export can join them.
Closing the round computes the winners with :mod:`deliberation.rules` and stores a
:class:`RoundResult` with everything needed to reproduce it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.models import Community, Project
from projects.models.states import MAX_AMOUNT


class BudgetRule(models.TextChoices):
    """The five rules of :mod:`deliberation.rules` (names as in Pabulib's META ``rule``)."""

    GREEDY = "greedy", _("按票数贪心（放不下的跳过）")
    GREEDY_NO_SKIP = "greedy-no-skip", _("按票数贪心（放不下即停止）")
    GREEDY_THRESHOLD = "greedy-threshold", _("按票数贪心（须达到最低票数）")
    MES = "mes", _("平等份额法（MES，成本满意度）")
    MES_ADD1 = "mes-add1", _("平等份额法（MES，逐元加预算补足）")


class BudgetRound(models.Model):
    """One budget ballot of one community: the projects, the budget, the rule and the window."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("投票中")
        CLOSED = "closed", _("已计票")

    class Source(models.TextChoices):
        YISHI = "yishi", _("本系统投票")
        PABULIB = "pabulib", _("Pabulib 导入")

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="budget_rounds")
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("说明"), max_length=5000, blank=True)
    budget = models.DecimalField(
        _("预算（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)],
    )
    rule = models.CharField(_("计票规则"), max_length=20, choices=BudgetRule.choices)
    min_votes = models.PositiveIntegerField(
        _("最低票数"),
        default=0,
        help_text=_("仅用于“须达到最低票数”规则：票数低于此值的项目不入选"),
    )
    max_projects = models.PositiveIntegerField(
        _("每票最多选几项"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    cost_limited = models.BooleanField(_("所选项目总成本不得超过预算"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.YISHI)
    currency = models.CharField(_("币种"), max_length=8, default="CNY")
    opens_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closes_at = models.DateTimeField(_("截止时间"))
    eligible = models.PositiveIntegerField(_("有投票资格人数"), default=0)
    # frozen when the round opens, with the roll (``BallotRoll``): ballots are sealed and the
    # standings published in batches of at least this many
    tally_step = models.PositiveSmallIntegerField(default=5)
    # Pabulib META lines of an imported round that have no column here, kept for the export.
    pb_meta = models.JSONField(default=dict, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("预算投票")
        verbose_name_plural = _("预算投票")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gt=0), name="round_budget_positive"),
            models.CheckConstraint(
                condition=models.Q(max_projects__isnull=True) | models.Q(max_projects__gte=1),
                name="round_max_projects_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__isnull=True)
                | models.Q(closes_at__gt=models.F("opens_at")),
                name="round_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RoundProject(models.Model):
    """A shortlisted project in a round. ``project`` is null for an imported (external) project;
    ``external_id`` is the Pabulib ``project_id`` (the Project's pk for our own)."""

    round = models.ForeignKey(BudgetRound, on_delete=models.CASCADE, related_name="entries")
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="round_entries"
    )
    external_id = models.CharField(_("项目编号"), max_length=100)
    name = models.CharField(_("名称"), max_length=300)
    cost = models.DecimalField(
        _("成本（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)],
    )
    position = models.PositiveIntegerField(default=0)
    # Filled when the round closes.
    votes = models.PositiveIntegerField(_("得票"), null=True, blank=True)
    selected = models.BooleanField(_("入选"), null=True)
    awarded_amount = models.DecimalField(
        _("投票确定的金额"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("入选项目提交党委批准的金额"),
    )
    # Pabulib PROJECTS columns of an imported project that have no column here.
    pb_extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("投票项目")
        verbose_name_plural = _("投票项目")
        ordering = ["round", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "external_id"], name="round_project_unique_id"
            ),
            models.UniqueConstraint(
                fields=["round", "project"],
                condition=models.Q(project__isnull=False),
                name="round_project_unique_project",
            ),
            models.CheckConstraint(
                condition=models.Q(cost__gt=0), name="round_project_cost_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(awarded_amount__isnull=True) | models.Q(selected=True),
                name="round_project_amount_only_if_selected",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BallotRoll(models.Model):
    """The electorate of a budget round, frozen when it opens: who may vote, under which key."""

    round = models.ForeignKey(BudgetRound, on_delete=models.CASCADE, related_name="roll")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    voter_key = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="ballot_roll_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.voter_key}"


class BallotParticipation(models.Model):
    """Who voted in a round (never what). One per voter key per round, by a database constraint.

    ``voter`` is null only for ballots imported from a Pabulib file (``voter_key`` ``pb:<id>``).
    ``sealed`` turns true when the batch holding this voter's ballot is sealed (the row is
    rewritten then, in the seal's transaction)."""

    round = models.ForeignKey(BudgetRound, on_delete=models.CASCADE, related_name="participations")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    voter_key = models.CharField(max_length=120)
    # db_default: the previous release's ballot INSERT does not name the column (upgrades)
    sealed = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "voter_key"], name="ballot_one_per_voter"),
        ]
        indexes = [
            models.Index(
                fields=["round"], condition=models.Q(sealed=False), name="ballot_unsealed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.voter_key}"


class PooledBallot(models.Model):
    """A cast approval ballot waiting in the sealing pool (written with its participation, so a
    counted ballot is never lost): the approved ``RoundProject`` ids, locked in ``box``
    (:mod:`deliberation.ballot_box`; ``entries`` in the clear only on rows written before the
    box existed). Not yet in the standings; sealing moves a batch into :class:`Ballot` rows,
    shuffled, and deletes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(BudgetRound, on_delete=models.CASCADE, related_name="pool")
    box = models.BinaryField(null=True)
    entries = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.round_id}: pooled"


class Ballot(models.Model):
    """What was chosen (never who): random key, no timestamp, so it cannot be matched to a
    participation by order or time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(BudgetRound, on_delete=models.CASCADE, related_name="ballots")
    approvals = models.ManyToManyField(
        RoundProject, through="BallotApproval", related_name="ballots"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.id)


class BallotApproval(models.Model):
    """One approved project on one ballot (random key: insertion order is not recorded)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="approval_rows")
    entry = models.ForeignKey(RoundProject, on_delete=models.CASCADE, related_name="approval_rows")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "entry"], name="ballot_approval_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id} {self.entry_id}"


class RoundResult(models.Model):
    """The published outcome of a closed round, with what it takes to reproduce it: the rule, the
    tie-break, a hash of the inputs (projects, costs, budget, ballots) and the explanation trace."""

    round = models.OneToOneField(BudgetRound, on_delete=models.CASCADE, related_name="result")
    rule = models.CharField(_("计票规则"), max_length=20, choices=BudgetRule.choices)
    tie_break = models.CharField(_("同票规则"), max_length=300)
    budget = models.DecimalField(max_digits=14, decimal_places=2)
    total_cost = models.DecimalField(_("入选总成本"), max_digits=14, decimal_places=2)
    voters = models.PositiveIntegerField(_("投票人数"))
    inputs_sha256 = models.CharField(max_length=64)
    # Per-project explanation of why each won or lost, in the order the rule looked at them.
    trace = models.JSONField(default=list)
    computed_at = models.DateTimeField(auto_now_add=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("预算投票结果")
        verbose_name_plural = _("预算投票结果")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_cost__lte=models.F("budget")), name="result_within_budget"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} ({self.rule})"


__all__ = [
    "Ballot",
    "BallotApproval",
    "BallotParticipation",
    "BudgetRound",
    "BudgetRule",
    "RoundProject",
    "RoundResult",
]
