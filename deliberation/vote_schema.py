"""The shapes of the vote API's answers, for the OpenAPI schema only.

The views answer plain dicts (``vote_api.decision_body``, ``ballots.round_summary`` /
``round_detail`` / ``round_results``); these serializers describe them so that the schema says
what a client receives. Nested rows that vary by rule are described as objects.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class PersonOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()


class DecisionVoteOut(serializers.Serializer[Any]):
    member = PersonOut(allow_null=True)
    choice = serializers.CharField()
    choice_label = serializers.CharField()
    conflict = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()


class DecisionOut(serializers.Serializer[Any]):
    """A roll-call as published: the motion, every member's vote, the computed result."""

    id = serializers.IntegerField()
    project = serializers.IntegerField()
    motion = serializers.CharField()
    motion_label = serializers.CharField()
    amount = serializers.CharField(allow_null=True, help_text="yuan, two decimals")
    reason = serializers.CharField(allow_blank=True)
    result = serializers.CharField()
    result_label = serializers.CharField()
    minutes = serializers.CharField(allow_blank=True)
    members_total = serializers.IntegerField()
    quorum_needed = serializers.IntegerField()
    present = serializers.IntegerField()
    yes = serializers.IntegerField()
    no = serializers.IntegerField()
    abstain = serializers.IntegerField()
    recused = serializers.IntegerField()
    has_quorum = serializers.BooleanField()
    carried = serializers.BooleanField()
    opened_by = PersonOut(allow_null=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_by = PersonOut(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    votes = DecisionVoteOut(many=True)


class RoundSummaryOut(serializers.Serializer[Any]):
    """A budget round in a list."""

    id = serializers.IntegerField()
    community = serializers.CharField(help_text="community slug")
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    source = serializers.CharField(allow_blank=True)  # type: ignore[assignment]  # the "source" key
    rule = serializers.CharField()
    rule_label = serializers.CharField()
    budget = serializers.CharField(help_text="yuan, two decimals")
    currency = serializers.CharField()
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    accepting_ballots = serializers.BooleanField()


class RoundDetailOut(RoundSummaryOut):
    """A round with its settings, its projects with live votes and the turnout."""

    description = serializers.CharField(allow_blank=True)
    rule_help = serializers.CharField()
    tie_break = serializers.CharField()
    min_votes = serializers.IntegerField()
    max_projects = serializers.IntegerField(allow_null=True)
    cost_limited = serializers.BooleanField()
    eligible = serializers.JSONField(help_text="residents (or households) who may vote")
    voters = serializers.JSONField(help_text="turnout so far")
    projects = serializers.ListField(child=serializers.DictField())
    has_voted = serializers.BooleanField()
    may_vote = serializers.BooleanField()


class RoundResultsOut(RoundSummaryOut):
    """The published outcome: every project with its votes, verdict and reason; the rule, the
    tie-break and the inputs hash (``result`` is null until the round is closed)."""

    rule_help = serializers.CharField()
    tie_break = serializers.CharField()
    result = serializers.DictField(allow_null=True)
    projects = serializers.ListField(child=serializers.DictField())
