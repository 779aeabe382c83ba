"""People and their roles in communities (``Membership``), and who supervises what:
:func:`supervises`, :func:`supervisors_of`, :func:`supervised_places` and :func:`supervised_q`
(a supervisor's membership names a place and covers every community below it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projects.models.places import Community, Grid, Place


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    COUNCIL = "council", _("居民议事会成员")
    COMMITTEE = "committee", _("社区党委委员")
    CLERK = "clerk", _("社区服务中心")
    SUPERVISOR = "supervisor", _("街道监督")  # of any place: sees everything below it


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self) -> MembershipQuerySet:
        """The one rule of who holds a role now: a membership not ended. Every check of a role
        (a resident's eligibility to co-sign, object, vote and propose; a clerk's or a committee
        member's duty) reads memberships through this; an ended one stays for the record."""
        return self.filter(ended_at__isnull=True)

    def residents(self) -> MembershipQuerySet:
        """The current resident memberships: the people eligible to co-sign and vote."""
        return self.current().filter(role=Role.RESIDENT)


class Membership(models.Model):
    """One role of one user in one community. A resident membership is the residence
    registration (grid and household) that makes the user eligible to co-sign and vote.
    A supervisor's membership names a place (a street, a district, the city…); it covers every
    community below it. An ended membership (moved out, role withdrawn) is kept with its history;
    it grants nothing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    grid = models.ForeignKey(Grid, on_delete=models.SET_NULL, null=True, blank=True)
    household = models.CharField(_("户号"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True, db_index=True)
    ended_reason = models.CharField(_("结束原因"), max_length=300, blank=True)

    history = HistoricalRecords()  # who granted which role, and when

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "community"],
                condition=models.Q(community__isnull=False, ended_at__isnull=True),
                name="membership_unique_current_community_role",
            ),
            models.UniqueConstraint(
                fields=["user", "place"],
                condition=models.Q(role="supervisor"),
                name="membership_unique_supervisor",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="supervisor", place__isnull=False, community__isnull=True)
                    | (~models.Q(role="supervisor") & models.Q(community__isnull=False))
                ),
                name="membership_scope_matches_role",
            ),
        ]
        indexes = [
            # the staff apart from the residents (a city has 300,000 residents and about a
            # thousand staff): who acted in which role, read by every open-data export
            models.Index(
                fields=["user", "community"],
                condition=~models.Q(role="resident"),
                name="membership_staff",
            ),
        ]

    def __str__(self) -> str:
        where = self.community or self.place
        return f"{self.user} · {self.get_role_display()} · {where}"

    # a thin alias kept for code written when a supervisor named a street: ``place``
    @property
    def street(self) -> Place | None:
        return self.place

    @street.setter
    def street(self, value: Place | None) -> None:
        self.place = value


def supervisors_of(community: Community) -> models.QuerySet[Membership]:
    """The supervisor memberships that cover ``community``: on its node or any node above."""
    return Membership.objects.current().filter(
        role=Role.SUPERVISOR, place_id__in=community.place.ancestor_ids()
    )


def supervises(user: Any, place: Place) -> bool:
    """Is ``user`` a supervisor of ``place`` or of a place above it?"""
    if user is None or not user.is_authenticated:
        return False
    return (
        Membership.objects.current()
        .filter(user_id=user.pk, role=Role.SUPERVISOR, place_id__in=place.ancestor_ids())
        .exists()
    )


def supervised_places(user: Any) -> models.QuerySet[Place]:
    """The places ``user`` is a supervisor of (the top of each subtree they see)."""
    if user is None or not user.is_authenticated:
        return Place.objects.none()
    held = Membership.objects.current().filter(user_id=user.pk, role=Role.SUPERVISOR)
    return Place.objects.filter(pk__in=held.values("place_id"))


def supervised_q(user: Any, community_field: str = "community") -> models.Q:
    """A filter (one SQL ``EXISTS``, no extra query) for rows whose ``community_field`` lies below a
    place ``user`` supervises: the supervisor's node path is a prefix of the community's path."""
    if user is None or not user.is_authenticated:
        return models.Q(pk__in=[])
    from django.db.models.functions import Length, Substr

    outer = models.OuterRef(f"{community_field}__place__path" if community_field else "place__path")
    covering = (
        Membership.objects.current()
        .filter(user_id=user.pk, role=Role.SUPERVISOR)
        .filter(place__path=Substr(outer, 1, Length("place__path")))
    )
    return models.Q(models.Exists(covering))
