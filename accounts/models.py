"""A person's mobile number, the one-time codes sent to it, and closed accounts.

Django's own ``User`` stays the account; the number hangs off it one-to-one (one account per
number: unique). Codes are stored as an HMAC, never in clear (``accounts.codes``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Phone(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone"
    )
    number = models.CharField(_("手机号"), max_length=20, unique=True, help_text="E.164")
    verified_at = models.DateTimeField(_("验证时间"), default=timezone.now)

    class Meta:
        verbose_name = _("手机号")
        verbose_name_plural = _("手机号")

    def __str__(self) -> str:
        from accounts.privacy import mask_phone

        return f"{self.user_id}: {mask_phone(self.number)}"


class Purpose(models.TextChoices):
    SIGNUP = "signup", _("注册")
    SIGNIN = "signin", _("登录")
    RESET = "reset", _("重置密码")
    CLOSE = "close", _("注销账号")


class OneTimeCode(models.Model):
    """One code sent to one number for one purpose. ``used_at`` is set when it is accepted or
    burned (five wrong tries); only the newest code of a number and purpose is ever checked."""

    phone = models.CharField(max_length=20, db_index=True)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    client_ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")
        indexes = [models.Index(fields=["phone", "purpose", "created_at"], name="code_latest")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class CodeLock(models.Model):
    """One row per number, locked (``SELECT … FOR UPDATE``) while a code is issued to it, so two
    requests for the same number at the same instant are served one after the other: the second
    sees the first's code and is refused by the 60-second rule."""

    phone = models.CharField(max_length=20, unique=True)

    class Meta:
        verbose_name = _("验证码发送锁")
        verbose_name_plural = _("验证码发送锁")

    def __str__(self) -> str:
        return f"lock {self.pk}"


class ClosedAccount(models.Model):
    """The mark of an account closed by its owner: its personal data is gone, the rest stays
    under 已注销用户."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="closure"
    )
    closed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("已注销账号")
        verbose_name_plural = _("已注销账号")

    def __str__(self) -> str:
        return f"{self.user_id} closed {self.closed_at:%Y-%m-%d}"


class ClosedName(models.Model):
    """A keyed digest (HMAC-SHA256) of a name a closed account went by. Records that must not
    change (the hash-chained timeline) may hold that name as written then; shown, any such name
    whose digest is here reads 已注销用户 (``accounts.privacy.shown_name``). The name itself is
    not kept."""

    account = models.ForeignKey(ClosedAccount, on_delete=models.CASCADE, related_name="names")
    digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        verbose_name = _("已注销账号的名字摘要")
        verbose_name_plural = _("已注销账号的名字摘要")
        constraints = [
            models.UniqueConstraint(fields=["account", "digest"], name="closed_name_once")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.digest[:8]}"
