from django.contrib import admin

from meetings.models import AgendaItem, Meeting


class AgendaItemInline(admin.TabularInline[AgendaItem, Meeting]):
    model = AgendaItem
    extra = 0
    readonly_fields = ["outcome", "present", "yes", "no", "abstain", "recused", "closed_at"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin[Meeting]):
    list_display = ["title", "community", "body", "starts_at", "status"]
    list_filter = ["body", "status", "community"]
    inlines = [AgendaItemInline]
