"""Admin for the places, people, projects and money.

The admin is for looking and for fixing reference data. State changes and money go through the
services: a project's state is read-only here; audit rows and ledger entries are read-only and
never deleted (a mistaken entry is corrected by a reversing entry, from the money pages).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from projects import ledger
from projects.models import (
    Comment,
    Community,
    Fund,
    Grid,
    LedgerEntry,
    Membership,
    Project,
    ProjectEvent,
    ProjectFollower,
    ProjectPhoto,
    Street,
)


class ReadOnlyMixin:
    """Rows written only by the services: view, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CommunityInline(admin.TabularInline[Community, Street]):
    model = Community
    fields = ["name", "slug"]
    extra = 0
    show_change_link = True


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin[Street]):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [CommunityInline]


class GridInline(admin.TabularInline[Grid, Community]):
    model = Grid
    extra = 0


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin[Community]):
    list_display = ["name", "slug", "street", "cosign_threshold", "pass_rate", "advance_ratio"]
    list_filter = ["street"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [GridInline]
    fieldsets = [
        (None, {"fields": ["street", "name", "slug"]}),
        (_("附议"), {"fields": ["cosign_threshold", "cosign_window_days"]}),
        (_("决策与公示"), {"fields": ["committee_quorum", "publicity_days", "task_due_days"]}),
        (
            _("群众评议"),
            {
                "fields": [
                    "evaluation_days",
                    "pass_rate",
                    "min_turnout",
                    "max_rectification_rounds",
                    "evaluation_per_household",
                ]
            },
        ),
        (_("经费"), {"fields": ["advance_ratio"]}),
    ]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin[Grid]):
    list_display = ["name", "community"]
    list_filter = ["community"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "role", "community", "street", "grid", "household", "created_at"]
    list_filter = ["role", "community", "street"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "household"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "community", "street", "grid"]


class ProjectPhotoInline(admin.TabularInline[ProjectPhoto, Project]):
    model = ProjectPhoto
    fields = ["image", "caption", "uploaded_by", "created_at"]
    readonly_fields = ["uploaded_by", "created_at"]
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProjectEventInline(ReadOnlyMixin, admin.TabularInline[ProjectEvent, Project]):
    model = ProjectEvent
    fields = ("created_at", "action", "source", "target", "actor", "amount", "reason")
    readonly_fields = ("created_at", "action", "source", "target", "actor", "amount", "reason")
    extra = 0
    can_delete = False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    """Titles and texts may be corrected here; the state and the lifecycle's records may not."""

    list_display = ["title", "community", "state", "proposer", "approved_amount", "updated_at"]
    list_filter = ["state", "community", "category"]
    search_fields = ["title", "summary", "location"]
    date_hierarchy = "created_at"
    list_select_related = ["community", "proposer"]
    raw_id_fields = ["proposer", "executor"]
    readonly_fields = [
        "community",
        "proposer",
        "state",
        "cosign_count",
        "submitted_at",
        "cosign_deadline",
        "assessed_cost",
        "approved_amount",
        "decided_at",
        "publicity_ends_at",
        "has_pending_objection",
        "executor",
        "delivered_at",
        "rectification_count",
        "closed_at",
        "money",
        "created_at",
        "updated_at",
    ]
    inlines = [ProjectPhotoInline, ProjectEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # proposals are made by residents, through the service

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit trail and the ledger name the project

    @admin.display(description=_("经费"))
    def money(self, obj: Project) -> str:
        b = ledger.project_balances(obj)
        return format_html(
            "{} {} · {} {} · {} {} · {} {}",
            _("已分配"),
            b.allocated,
            _("已拨付"),
            b.released,
            _("已支出"),
            b.spent,
            _("共建到账"),
            b.cofunded,
        )


@admin.register(ProjectEvent)
class ProjectEventAdmin(ReadOnlyMixin, admin.ModelAdmin[ProjectEvent]):
    list_display = ["created_at", "project", "action", "source", "target", "actor", "amount"]
    list_filter = ["action", "target"]
    search_fields = ["project__title", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["project", "actor"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    list_display = ["created_at", "project", "author", "body"]
    search_fields = ["body", "project__title", "author__username"]
    raw_id_fields = ["project", "author"]
    list_select_related = ["project", "author"]


@admin.register(ProjectFollower)
class ProjectFollowerAdmin(admin.ModelAdmin[ProjectFollower]):
    list_display = ["project", "user", "created_at"]
    raw_id_fields = ["project", "user"]


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin[Fund]):
    """Funds are set up by supervisors on the money pages (with their first appropriation); here
    only the name may be corrected, and a fund is never deleted."""

    list_display = ["community", "year", "name", "created_at"]
    list_filter = ["year", "community__street"]
    search_fields = ["community__name", "name"]
    list_select_related = ["community"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("community", "year", "balances") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (
            ("community", "year", "name", "balances")
            if obj is not None
            else ("community", "year", "name")
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("余额"))
    def balances(self, obj: Fund) -> str:
        b = ledger.fund_balances(obj)
        return format_html(
            "{} {} · {} {} · {} {} · {} {} · {} {}",
            _("经费总额"),
            b.appropriated,
            _("已分配"),
            b.allocated,
            _("已拨付"),
            b.released,
            _("已支出"),
            b.spent,
            _("可分配余额"),
            b.available,
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyMixin, admin.ModelAdmin[LedgerEntry]):
    """Append-only: entries are read here, never added, changed or deleted."""

    list_display = [
        "id",
        "created_at",
        "fund",
        "project",
        "kind",
        "amount",
        "actor",
        "reverses",
        "memo",
    ]
    list_filter = ["kind", "fund__community", "fund__year", "in_kind"]
    search_fields = ["memo", "payee", "contributor", "project__title"]
    date_hierarchy = "created_at"
    list_select_related = ["fund__community", "project", "actor", "reverses"]
