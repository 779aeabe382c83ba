"""Admin for the places, people, projects and money.

The admin is for looking and for fixing reference data. State changes and money go through the
services: a project's state is read-only here; audit rows and ledger entries are read-only and
never deleted (a mistaken entry is corrected by a reversing entry, from the money pages).

Every change made here to a project, a community's rules, a role or a fund is kept with who made
it and when (django-simple-history; the "历史" button of each row), and a project's edits show on
its public page. The history is a record, not an undo: it is never reverted from here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from projects import ledger
from projects.community_rules import RULE_GROUPS
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
)
from projects.models.places import Place, PlaceKind


class ReadOnlyMixin:
    """Rows written only by the services: view, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryAdmin(SimpleHistoryAdmin):
    """Shows each row's history (who changed what, when). Reverting to an old version would
    write every field back, the lifecycle's included, so the history pages are read-only."""

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response

    def has_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin[Place]):
    """The tree of places (a community's own node is made with the community)."""

    list_display = ["name", "kind", "parent", "path"]
    list_filter = ["kind"]
    search_fields = ["name"]
    readonly_fields = ["path"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("path", "parent") if obj is not None else ("path",)


class CommunityForm(forms.ModelForm[Community]):
    parent_place = forms.ModelChoiceField(
        queryset=Place.objects.exclude(kind__in=[PlaceKind.COMMUNITY, PlaceKind.GRID]),
        label=_("上级地区"),
        required=False,
    )

    class Meta:
        model = Community
        exclude: list[str] = []  # the admin's fieldsets choose the fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["parent_place"].disabled = True
            self.fields["parent_place"].initial = self.instance.place.parent_id

    def save(self, commit: bool = True) -> Community:
        if self.instance.pk is None:
            self.instance.parent = self.cleaned_data.get("parent_place")
        return super().save(commit)


class GridInline(admin.TabularInline[Grid, Community]):
    model = Grid
    extra = 0


@admin.register(Community)
class CommunityAdmin(HistoryAdmin, admin.ModelAdmin[Community]):
    form = CommunityForm
    list_display = ["name", "slug", "parent", "cosign_threshold", "pass_rate", "advance_ratio"]
    list_select_related = ["place__parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [GridInline]
    fieldsets = [
        (None, {"fields": ["parent_place", "name", "slug"]}),
        *[(title, {"fields": names}) for title, names in RULE_GROUPS],  # type: ignore[list-item]
    ]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin[Grid]):
    list_display = ["name", "community"]
    list_filter = ["community"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin, admin.ModelAdmin[Membership]):
    list_display = ["user", "role", "community", "place", "grid", "household", "created_at"]
    list_filter = ["role", "community"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "household"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "community", "place", "grid"]


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
class ProjectAdmin(HistoryAdmin, admin.ModelAdmin[Project]):
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
class FundAdmin(HistoryAdmin, admin.ModelAdmin[Fund]):
    """Funds are set up by supervisors on the money pages (with their first appropriation); here
    only the name may be corrected, and a fund is never deleted."""

    list_display = ["community", "year", "name", "created_at"]
    list_filter = ["year"]
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


HistoricalMembership = Membership.history.model


@admin.register(HistoricalMembership)
class MembershipHistoryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Every role granted, changed or taken away, the deleted ones included: who did it, when."""

    list_display = [
        "history_date",
        "history_user",
        "history_type",
        "user",
        "role",
        "community",
        "place",
        "household",
    ]
    list_filter = ["history_type", "role", "community"]
    search_fields = ["user__username", "history_user__username", "household"]
    date_hierarchy = "history_date"
    list_select_related = ["user", "history_user", "community", "place"]
