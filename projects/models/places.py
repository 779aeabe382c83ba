"""The tree of places (city → district → street → community → grid, levels may be absent),
communities with their rules, grids.

Everything "below a place" goes through :func:`communities_under` / ``Place.objects.below`` (a
prefix match on the materialized ``path``). People and their roles, and who supervises what, are
in ``projects.models.membership``."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.lookups import GreaterThanOrEqual, LessThan, LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projects.words import fraction_words


class PlaceKind(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")


class PlaceQuerySet(models.QuerySet["Place"]):
    def below(self, node: Place, *, include_self: bool = True) -> PlaceQuerySet:
        """Every place in the subtree of ``node`` (one indexed prefix query, no recursion)."""
        qs = self.filter(path__startswith=node.path)
        return qs if include_self else qs.exclude(pk=node.pk)

    def roots(self) -> PlaceQuerySet:
        return self.filter(parent__isnull=True)


class Place(models.Model):
    """A node of the tree of places: city → district → street → community → grid, any level may
    be absent. ``path`` is the chain of ids from the root, ``/1/5/12/``: "everything below" is
    ``path LIKE '/1/5/%'`` on an index. A node's parent is fixed once it is created."""

    kind = models.CharField(_("类别"), max_length=20, choices=PlaceKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("地区")
        verbose_name_plural = _("地区")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and self.path:
            old = Place.objects.filter(pk=self.pk).values_list("parent_id", flat=True).first()
            if old != self.parent_id:
                raise ValidationError(_("地区的上级不能更改"))
            super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)
        prefix = self.parent.path if self.parent is not None else "/"
        self.path = f"{prefix}{self.pk}/"
        Place.objects.filter(pk=self.pk).update(path=self.path)

    def ancestor_ids(self) -> list[int]:
        """The ids from the root down to this node, itself included (read from ``path``)."""
        return [int(x) for x in self.path.strip("/").split("/") if x]


class StreetManager(models.Manager["Street"]):
    def get_queryset(self) -> models.QuerySet[Street]:
        return super().get_queryset().filter(kind=PlaceKind.STREET)


class Street(Place):
    """A street (街道): a place of kind street (kept as a name for the street's pages)."""

    objects = StreetManager()  # type: ignore[assignment,misc]

    class Meta:
        proxy = True
        verbose_name = _("街道")
        verbose_name_plural = _("街道")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.kind = PlaceKind.STREET
        super().save(*args, **kwargs)


class CommunityManager(models.Manager["Community"]):
    def create_under(self, parent: Place | None, **fields: Any) -> Community:
        """A new community with its node under ``parent`` (same as ``create(parent=…, …)``)."""
        community = self.model(**fields)
        community.parent = parent
        community.save(force_insert=True)
        return community


class Community(models.Model):
    """A community, with the rules of its 三会一评 cycle (DESIGN.md defaults)."""

    # The community's own node in the tree of places (created with it, under ``parent``).
    place = models.OneToOneField(
        Place, on_delete=models.PROTECT, related_name="community", editable=False
    )
    name = models.CharField(_("名称"), max_length=100)
    slug = models.SlugField(_("代码"), max_length=60, unique=True)

    # co-signing (附议)
    cosign_threshold = models.PositiveIntegerField(
        _("附议人数门槛"), default=10, validators=[MinValueValidator(1)]
    )
    cosign_window_days = models.PositiveIntegerField(
        _("附议期(天)"), default=14, validators=[MinValueValidator(1)]
    )
    # 公示 and evaluation windows
    publicity_days = models.PositiveIntegerField(
        _("公示期(天)"), default=7, validators=[MinValueValidator(1)]
    )
    evaluation_days = models.PositiveIntegerField(
        _("评议期(天)"), default=7, validators=[MinValueValidator(1)]
    )
    pass_rate = models.DecimalField(
        _("评议通过率"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.800"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("满意 + 基本满意 占投票数的比例至少为此值"),
    )
    min_turnout = models.DecimalField(
        _("最低参与率"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.200"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    max_rectification_rounds = models.PositiveIntegerField(_("最多整改轮数"), default=2)
    evaluation_per_household = models.BooleanField(_("评议按户一票"), default=False)
    tally_step = models.PositiveSmallIntegerField(
        _("计票公布批量"),
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_("不记名投票每凑满这么多张才封存并公布一次，单张选票不会单独出现在计票中"),
    )
    # The committee's quorum as a fraction of its members (not recused): bylaws speak in simple
    # fractions (三分之二), so it is stored as one, never as a rounded decimal.
    committee_quorum_numerator = models.PositiveSmallIntegerField(
        _("党委决策法定出席比例（分子）"), default=2, validators=[MinValueValidator(1)]
    )
    committee_quorum_denominator = models.PositiveSmallIntegerField(
        _("党委决策法定出席比例（分母）"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    # 验收: accepted when MORE THAN this fraction of the inspectors sign pass (default: more than
    # half, the rule before it was a setting). Stored as a fraction like the quorum.
    acceptance_pass_numerator = models.PositiveSmallIntegerField(
        _("验收通过比例（分子）"), default=1, validators=[MinValueValidator(1)]
    )
    acceptance_pass_denominator = models.PositiveSmallIntegerField(
        _("验收通过比例（分母）"),
        default=2,
        validators=[MinValueValidator(2), MaxValueValidator(12)],
        help_text=_("签字合格的验收人须超过全体验收人的此比例"),
    )
    # 听证会: required before the committee's decision above this amount (blank: never by amount)
    hearing_amount = models.DecimalField(
        _("须听证的金额（元）"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "评估成本（未评估时为居民估算费用）超过此金额的项目，党委决策前须召开听证会；留空表示不按金额要求"
        ),
    )
    advance_ratio = models.DecimalField(
        _("预付比例"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.700"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    task_due_days = models.PositiveIntegerField(
        _("待办期限(天)"), default=5, validators=[MinValueValidator(1)]
    )

    objects = CommunityManager()
    history = HistoricalRecords()  # the rules' every change, with who and when

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["place__parent__name", "name"]
        constraints = [
            # at least one half, at most all of them
            models.CheckConstraint(
                condition=models.Q(
                    LessThanOrEqual(
                        models.F("committee_quorum_numerator"),
                        models.F("committee_quorum_denominator"),
                    ),
                    GreaterThanOrEqual(
                        models.F("committee_quorum_numerator") * 2,
                        models.F("committee_quorum_denominator"),
                    ),
                ),
                name="community_quorum_between_half_and_all",
            ),
            # "more than" a share from one half up to (not including) all of them
            models.CheckConstraint(
                condition=models.Q(
                    LessThan(
                        models.F("acceptance_pass_numerator"),
                        models.F("acceptance_pass_denominator"),
                    ),
                    GreaterThanOrEqual(
                        models.F("acceptance_pass_numerator") * 2,
                        models.F("acceptance_pass_denominator"),
                    ),
                ),
                name="community_acceptance_share_half_to_all",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.place_id is None:
            self.place = Place.objects.create(
                kind=PlaceKind.COMMUNITY, name=self.name, parent=self.parent
            )
        elif self.place.name != self.name:
            Place.objects.filter(pk=self.place_id).update(name=self.name)
            self.place.name = self.name
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        n, d = self.committee_quorum_numerator, self.committee_quorum_denominator
        if n is not None and d and not (Fraction(1, 2) <= Fraction(n, d) <= 1):
            raise ValidationError(
                {"committee_quorum_numerator": _("法定出席比例须在二分之一到全体之间")}
            )
        n, d = self.acceptance_pass_numerator, self.acceptance_pass_denominator
        if n is not None and d and not (Fraction(1, 2) <= Fraction(n, d) < 1):
            raise ValidationError(
                {"acceptance_pass_numerator": _("验收通过比例须不低于二分之一且小于全体")}
            )

    @property
    def parent(self) -> Place | None:
        """The place right above the community (its street, or its district where there are no
        streets). Settable on a new community: ``Community.objects.create(parent=street, …)``."""
        if self.place_id is not None:
            return self.place.parent
        return getattr(self, "_new_parent", None)

    @parent.setter
    def parent(self, value: Place | None) -> None:
        if self.place_id is not None and (value.pk if value else None) != self.place.parent_id:
            raise ValidationError(_("社区的上级地区不能更改"))
        self._new_parent = value

    # Thin aliases kept for code written when a community named its street: ``street`` is the
    # place right above it (``Community.objects.create(street=…)`` still works).
    @property
    def street(self) -> Place | None:
        return self.parent

    @street.setter
    def street(self, value: Place | None) -> None:
        self.parent = value

    @property
    def street_id(self) -> int | None:
        parent = self.parent
        return parent.pk if parent is not None else None

    @property
    def committee_quorum(self) -> Fraction:
        return Fraction(self.committee_quorum_numerator, self.committee_quorum_denominator)

    def committee_quorum_needed(self, members: int) -> int:
        """How many of ``members`` (not recused) must be present: the quorum fraction of them,
        rounded up exactly (the setting is a fraction), and at least one."""
        need = self.committee_quorum * members
        return max(-(-need.numerator // need.denominator), 1)

    @property
    def acceptance_share(self) -> Fraction:
        return Fraction(self.acceptance_pass_numerator, self.acceptance_pass_denominator)

    def acceptance_passes(self, passed: int, inspectors: int) -> bool:
        """验收 passes when MORE THAN the community's share of the inspectors signed pass."""
        return inspectors > 0 and passed > self.acceptance_share * inspectors

    @property
    def acceptance_share_words(self) -> str:
        """The acceptance share as people say it: 二分之一 / "one half"."""
        return fraction_words(self.acceptance_share)

    @property
    def committee_quorum_words(self) -> str:
        """The quorum as people say it: 三分之二 / "two thirds"."""
        return fraction_words(self.committee_quorum)


class Grid(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="grids")
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="grid_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.community} / {self.name}"


# --- scope: what lies below a place, who supervises it ----------------------------------------
def communities_under(place: Place) -> models.QuerySet[Community]:
    """Every community in the subtree of ``place`` (itself, if it is a community's node)."""
    return Community.objects.filter(place__path__startswith=place.path)


def under_q(place: Place, community_field: str = "community") -> models.Q:
    """A filter for rows whose ``community_field`` lies below ``place`` (e.g. projects:
    ``Project.objects.filter(under_q(node))``; ledger entries: ``under_q(node, "fund__community")``)."""
    return models.Q(**{f"{community_field}__place__path__startswith": place.path})
