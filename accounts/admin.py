from django.contrib import admin

from accounts.models import ClosedAccount, Phone
from accounts.privacy import mask_phone


@admin.register(Phone)
class PhoneAdmin(admin.ModelAdmin):
    list_display = ("user", "masked", "verified_at")
    search_fields = ("number",)
    raw_id_fields = ("user",)

    @admin.display(description="手机号")
    def masked(self, obj: Phone) -> str:
        return mask_phone(obj.number)


@admin.register(ClosedAccount)
class ClosedAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "closed_at")
    readonly_fields = ("user", "closed_at")
