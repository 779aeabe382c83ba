"""The stored notification inbox (nothing is missed while offline) and who wants what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.texts import render


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(_("类型"), max_length=40)
    # What happened, as the kind's parameters: the text is rendered from them in the reader's
    # language (``texts.py``). ``verb`` keeps the text in the site's language for the admin and
    # is what rows written before parameters existed (``params`` null) show.
    params = models.JSONField(_("参数"), null=True, blank=True)
    verb = models.CharField(_("内容"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    # Plain ids, not foreign keys: notifications knows nothing of the apps that notify.
    project_id = models.BigIntegerField(_("项目编号"), null=True, blank=True, db_index=True)
    project_title = models.CharField(_("项目"), max_length=120, blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # Set when the email went out (and claimed just before sending, so it goes out once).
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.verb}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def text(self) -> str:
        """The notification in the active language."""
        return self.text_in(None)

    def text_in(self, language: str | None) -> str:
        return render(self.kind, self.params, fallback=self.verb, language=language)


class LanguagePreference(models.Model):
    """The language a user reads in: what their emails and live notifications are written in.
    Recorded when they choose a language while logged in; none means the site's default."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="language_preference",
        verbose_name=_("用户"),
    )
    language = models.CharField(_("语言"), max_length=10, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("语言偏好")
        verbose_name_plural = _("语言偏好")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; no row means the kind's defaults (see ``kinds.py``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("用户"),
    )
    kind = models.CharField(_("类型"), max_length=40)
    in_app = models.BooleanField(_("接收"), default=True)
    email = models.BooleanField(_("邮件"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"
