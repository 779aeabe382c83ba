"""Small per-user display preferences (the "大字" large-type switch)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserPreference(models.Model):
    """One row per user who changed a display setting; absent means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ui_preference"
    )
    large_type = models.BooleanField(_("大字"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("显示偏好")
        verbose_name_plural = _("显示偏好")

    def __str__(self) -> str:
        return f"{self.user_id}: large_type={self.large_type}"
