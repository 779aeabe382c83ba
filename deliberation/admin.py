"""Admin for deliberation records. Votes are evidence: read-only here; secret ballots are shown
only as tallies (no admin for EvaluationBallot rows, whose join to voters must stay impossible)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from deliberation.models import CoSign, Decision, DecisionVote, EvaluationRound, Objection


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CoSign)
class CoSignAdmin(ReadOnlyAdmin):
    list_display = ["project", "user", "created_at"]
    list_filter = ["project__community"]
    search_fields = ["project__title", "user__username"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["project", "author", "status", "created_at", "resolved_at"]
    list_filter = ["status", "project__community"]


class DecisionVoteInline(admin.TabularInline):
    model = DecisionVote
    extra = 0
    can_delete = False
    readonly_fields = ["member", "choice", "conflict", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "project",
        "motion",
        "amount",
        "result",
        "present",
        "yes",
        "no",
        "abstain",
        "recused",
        "closed_at",
    ]
    list_filter = ["result", "motion", "project__community"]
    inlines = [DecisionVoteInline]


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(ReadOnlyAdmin):
    list_display = ["project", "number", "opens_at", "closes_at", "eligible", "closed_at", "passed"]
    list_filter = ["passed", "project__community"]
