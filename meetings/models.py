"""Meetings of the 三会: the residents' council (居民议事会), the community committee (社区党委会)
and open hearings (听证会 / 评议会). A meeting has an agenda, invitations, attendance signed on the
day, a recorded vote per agenda item of the members present, and minutes that members may object
to before they are published. Every write goes through ``meetings.services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from deliberation.models import Decision
from projects.models import Community, Project


class Body(models.TextChoices):
    COUNCIL = "council", _("居民议事会")
    COMMITTEE = "committee", _("社区党委会")
    HEARING = "hearing", _("听证会 / 评议会")


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("待召开")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="meetings")
    body = models.CharField(_("会议类型"), max_length=20, choices=Body.choices)
    title = models.CharField(_("会议名称"), max_length=120)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    video_url = models.URLField(_("视频会议链接"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meetings_convened"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after"
            )
        ]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("待表决")
        CARRIED = "carried", _("通过")
        NOT_CARRIED = "not_carried", _("未通过")
        NO_QUORUM = "no_quorum", _("未达法定人数")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("序号"), default=1)
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    matter = models.CharField(_("议题"), max_length=500)
    # A committee item on a project in 党委决策: the project's roll-call, voted in this meeting.
    decision = models.OneToOneField(
        Decision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_item",
    )
    outcome = models.CharField(
        _("结果"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING
    )
    present = models.PositiveIntegerField(default=0)
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    recused = models.PositiveIntegerField(default=0)
    members_total = models.PositiveIntegerField(default=0)
    quorum_needed = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        ordering = ["meeting", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.meeting_id}.{self.order} {self.matter}"

    @property
    def is_open(self) -> bool:
        return self.outcome == self.Outcome.PENDING


class Invitation(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.meeting_id}"


class Attendance(models.Model):
    class How(models.TextChoices):
        PHONE = "phone", _("手机签到")
        QR = "qr", _("扫码签到")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)
    how = models.CharField(_("签到方式"), max_length=10, choices=How.choices, default=How.PHONE)

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.meeting_id}"


class ItemVote(models.Model):
    """One member's vote on one agenda item, or their recusal; ``entered_by`` is the secretary
    when it was entered from a show of hands (marked as such), empty when the member voted."""

    class Choice(models.TextChoices):
        YES = "yes", _("赞成")
        NO = "no", _("反对")
        ABSTAIN = "abstain", _("弃权")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("表决"), max_length=10, choices=Choice.choices, blank=True)
    recused = models.BooleanField(_("回避"), default=False)
    recusal_reason = models.CharField(_("回避理由"), max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="itemvote_one_per_member"),
            models.CheckConstraint(
                condition=(models.Q(recused=True) & models.Q(choice=""))
                | (models.Q(recused=False) & ~models.Q(choice="")),
                name="itemvote_choice_or_recusal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.choice or 'recused'}"

    @property
    def by_show_of_hands(self) -> bool:
        return self.entered_by_id is not None


class Minutes(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    body = models.TextField(_("会议纪要"), max_length=20000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(auto_now=True)
    objection_until = models.DateTimeField(_("异议截止"))
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("会议纪要")
        verbose_name_plural = _("会议纪要")

    def __str__(self) -> str:
        return f"minutes of {self.meeting_id}"


class MinutesObjection(models.Model):
    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="objections")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("异议内容"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.body[:30]}"


class HearingSpeaker(models.Model):
    """A registered resident signed up to speak at a hearing (听证会); after they spoke the
    secretary records what they said and what was answered, and this goes with the minutes."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speakers")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(_("发言要点"), max_length=500, blank=True)
    signed_up_at = models.DateTimeField(auto_now_add=True)
    summary = models.TextField(_("发言摘要"), max_length=2000, blank=True)
    answer = models.TextField(_("答复"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("听证发言")
        verbose_name_plural = _("听证发言")
        ordering = ["signed_up_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="hearing_speaker_once")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.meeting_id}"

    @property
    def spoke(self) -> bool:
        return self.recorded_at is not None
