"""Read-only views of residency records for the site's administrators (changes go through the
pages and their services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from residents.models import Declaration, Organisation, RegisterEntry, ResidencyEvent


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Declaration)
class DeclarationAdmin(ReadOnly):
    list_display = ["user", "community", "building", "unit", "room", "status", "created_at"]
    list_filter = ["status", "community"]
    exclude = ["photo"]


@admin.register(ResidencyEvent)
class ResidencyEventAdmin(ReadOnly):
    list_display = ["at", "community", "kind", "actor", "subject", "reason"]
    list_filter = ["kind", "community"]


@admin.register(RegisterEntry)
class RegisterEntryAdmin(ReadOnly):
    list_display = ["name", "community", "household", "grid", "user"]
    list_filter = ["community"]
    search_fields = ["name", "household"]


@admin.register(Organisation)
class OrganisationAdmin(ReadOnly):
    list_display = ["name", "community", "kind"]
    list_filter = ["kind", "community"]
