"""Reads of residency."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from projects.models import Community, LedgerEntry, Membership, Role
from projects.models.membership import supervised_q
from projects.models.money import ContributorKind
from residents.models import Declaration, Organisation, UnitSeat


def clerk_communities(user: Any) -> QuerySet[Community]:
    if user is None or not user.is_authenticated:
        return Community.objects.none()
    ids = Membership.objects.current().filter(user_id=user.pk, role=Role.CLERK)
    return Community.objects.filter(pk__in=ids.values("community_id"))


def supervised_communities(user: Any) -> QuerySet[Community]:
    if user is None or not user.is_authenticated:
        return Community.objects.none()
    return Community.objects.filter(supervised_q(user, community_field=""))


def pending_declarations(community: Community | QuerySet[Community]) -> QuerySet[Declaration]:
    qs = Declaration.objects.filter(status=Declaration.Status.PENDING)
    qs = (
        qs.filter(community__in=community)
        if isinstance(community, QuerySet)
        else qs.filter(community=community)
    )
    return qs.select_related("user", "community", "grid").order_by("created_at")


def units_of(community: Community) -> list[Organisation]:
    units = list(
        Organisation.objects.filter(community=community).prefetch_related(
            "representatives",
            Prefetch(
                "seats",
                queryset=UnitSeat.objects.filter(membership__ended_at__isnull=True).select_related(
                    "membership__user"
                ),
            ),
        )
    )
    for unit in units:
        unit.contributions = list(  # type: ignore[attr-defined]
            LedgerEntry.objects.filter(
                project__community=community,
                contributor=unit.name,
                contributor_kind=ContributorKind.UNIT,
            ).select_related("project")
        )
    return units


def unit_for_seat(user_id: int, community_id: int) -> str:
    """The name of the unit whose committee seat ``user_id`` holds in the community, or ``""``."""
    return (
        UnitSeat.objects.filter(
            membership__user_id=user_id,
            membership__community_id=community_id,
            membership__ended_at__isnull=True,
        )
        .values_list("organisation__name", flat=True)
        .first()
        or ""
    )


def staff_memberships(
    communities: QuerySet[Community], *, ended: bool = False
) -> QuerySet[Membership]:
    qs = Membership.objects.filter(
        community__in=communities, role__in=[Role.COUNCIL, Role.COMMITTEE, Role.CLERK]
    )
    qs = qs.filter(ended_at__isnull=not ended)
    return (
        qs.select_related("user", "community").order_by("community__name", "role", "user__username")
        if not ended
        else qs.select_related("user", "community").order_by("-ended_at")
    )
