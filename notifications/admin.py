from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = [
        "created_at",
        "recipient",
        "kind",
        "verb",
        "project_title",
        "read_at",
        "emailed_at",
    ]
    list_filter = [
        "kind",
        ("read_at", admin.EmptyFieldListFilter),
        ("emailed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["verb", "project_title", "recipient__username"]
    raw_id_fields = ["recipient", "actor"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # notifications come from the services, never typed in


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin[NotificationPreference]):
    list_display = ["user", "kind", "in_app", "email", "updated_at"]
    list_filter = ["kind", "in_app", "email"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
