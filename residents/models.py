"""Residency declarations, their record, the household register and resident units."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects import uploads
from projects.models import Community, Grid, Membership
from residents.storage import private_storage


def declaration_photo_path(instance: Declaration, filename: str) -> str:
    return uploads.stored_name(
        f"declarations/{instance.community_id}", instance.photo, default="jpg"
    )


def register_file_path(instance: RegisterImport, filename: str) -> str:
    ext = "xlsx" if str(filename).lower().endswith(".xlsx") else "csv"
    return f"registers/{instance.community_id}/{uuid_hex()}.{ext}"


def uuid_hex() -> str:
    import uuid

    return uuid.uuid4().hex


class Declaration(models.Model):
    """A person says they live at an address in a community. Pending, it is no membership: the
    person cannot co-sign, object, vote or propose until the clerk approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待核验")
        APPROVED = "approved", _("已核验")
        REFUSED = "refused", _("未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declarations"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="declarations")
    grid = models.ForeignKey(Grid, on_delete=models.SET_NULL, null=True, blank=True)
    building = models.CharField(_("楼栋"), max_length=40)
    unit = models.CharField(_("单元"), max_length=40, blank=True)
    room = models.CharField(_("房号"), max_length=40)
    # a lease or property certificate, private, deleted once decided
    photo = models.FileField(
        _("租房合同或房产证照片"),
        storage=private_storage,
        upload_to=declaration_photo_path,
        max_length=200,
        blank=True,
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("居住登记申请")
        verbose_name_plural = _("居住登记申请")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"],
                condition=models.Q(status="pending"),
                name="declaration_one_pending_per_community",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.community} · {self.address}"

    @property
    def address(self) -> str:
        return address_text(self.building, self.unit, self.room)


def address_text(building: str, unit: str, room: str) -> str:
    parts = [f"{building}栋" if building else "", f"{unit}单元" if unit else "", room]
    return "".join(p for p in parts if p)


class ResidencyEvent(models.Model):
    """The record of residency: who declared, approved, refused, moved in or out, imported the
    register, granted or ended a role, and why. Written by the services only, never changed."""

    class Kind(models.TextChoices):
        DECLARED = "declared", _("申请居住登记")
        APPROVED = "approved", _("核验通过")
        REFUSED = "refused", _("核验未通过")
        VERIFIED_BY_REGISTER = "register_verified", _("按户籍名册核验")
        MOVED_OUT = "moved_out", _("迁出")
        ENDED = "ended", _("终止居民身份")
        REGISTER_IMPORTED = "register_imported", _("导入户籍名册")
        ROLE_GRANTED = "role_granted", _("授予角色")
        ROLE_ENDED = "role_ended", _("终止角色")
        UNIT_CREATED = "unit_created", _("登记驻区单位")
        SEAT_GRANTED = "seat_granted", _("授予党委席位")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    declaration = models.ForeignKey(
        Declaration, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("居民身份记录")
        verbose_name_plural = _("居民身份记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("residency events are append-only")
        super().save(*args, **kwargs)


class RegisterImport(models.Model):
    """One upload of the household register: previewed, then confirmed (or left)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(storage=private_storage, upload_to=register_file_path, max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    verified_count = models.PositiveIntegerField(default=0)
    # the rows the preview found good, as checked then (confirming imports these)
    checked_rows = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("户籍名册导入")
        verbose_name_plural = _("户籍名册导入")

    def __str__(self) -> str:
        return f"{self.community_id} · {self.created_at:%Y-%m-%d %H:%M}"


class RegisterEntry(models.Model):
    """One person of the community's household register (户籍名册), keyed by phone number."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="register")
    name = models.CharField(_("姓名"), max_length=60)
    phone = models.CharField(_("手机号"), max_length=20)  # E.164
    grid = models.ForeignKey(Grid, on_delete=models.SET_NULL, null=True, blank=True)
    building = models.CharField(_("楼栋"), max_length=40, blank=True)
    unit = models.CharField(_("单元"), max_length=40, blank=True)
    room = models.CharField(_("房号"), max_length=40, blank=True)
    household = models.CharField(_("户号"), max_length=60)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("户籍名册条目")
        verbose_name_plural = _("户籍名册")
        constraints = [
            models.UniqueConstraint(fields=["community", "phone"], name="register_unique_phone")
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.household}"


class Organisation(models.Model):
    """A resident unit (驻区单位): a school, hospital, company or property manager of the
    community, with representatives who act for it."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("学校")
        HOSPITAL = "hospital", _("医院")
        COMPANY = "company", _("企业")
        PROPERTY = "property", _("物业公司")
        OTHER = "other", _("其他")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    representatives = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="units", verbose_name=_("代表")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("驻区单位")
        verbose_name_plural = _("驻区单位")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="unit_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class UnitSeat(models.Model):
    """A unit's seat in the community committee (大党委): the committee membership its
    representative holds for the unit."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="seats")
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="unit_seat"
    )

    class Meta:
        verbose_name = _("单位党委席位")
        verbose_name_plural = _("单位党委席位")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.membership.user}"
