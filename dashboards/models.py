"""Monthly summaries of the additive figures (``dashboards.summary`` builds them, ``figures``
reads them): exact copies of grouped sums over rows that no longer change.

A month is summarized only once it is over (``SummaryState.before``: every month that starts
before it is in the tables). What these tables sum is fixed once its month is over: ledger
entries (append-only, stamped when written), evaluation rounds closed in the month with their
ballots, projects closed in the month (``closed`` is final) with their audit trail. Figures for
a period read the whole months it covers from here and count the rest (its partial first and
last months, and the current month) live from the rows, with the same definitions.
"""

from __future__ import annotations

from django.db import models

from projects.models import Community


class SummaryState(models.Model):
    """One row: the months before ``before`` (the first of a month) are summarized."""

    before = models.DateField(null=True)
    built_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"summarized before {self.before}"


class MonthLedger(models.Model):
    """The sum of the ledger entries of a community's funds stamped in a month, grouped as the
    ledger sums them (``projects.ledger.selectors.balances_by``) and by contributor kind (a
    reversal under the reversed entry's kind)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    kind = models.CharField(max_length=32)
    in_kind = models.BooleanField()
    reverses_kind = models.CharField(max_length=32, blank=True)
    reverses_in_kind = models.BooleanField(null=True)
    contributor_kind = models.CharField(max_length=16, blank=True)
    total = models.DecimalField(max_digits=20, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["month", "community"], name="month_ledger_month")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.month} {self.kind}: {self.total}"


class MonthCount(models.Model):
    """A count of a community for a month: ``rounds`` and ``eligible`` (evaluation rounds
    closed in the month), ``ballots:<choice>`` (their ballots), ``finished`` and ``on_time``
    (projects closed in the month, and of them those finished on time)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    name = models.CharField(max_length=40)
    value = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month", "community"], name="month_count_month")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.month} {self.name}: {self.value}"
