"""Reads that carry rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from projects.models import STATE_FLAGS, Community, Membership, Project, Role, State


def user_has_role(user: Any, community: Community, role: str | None) -> bool:
    """Does ``user`` hold ``role`` in ``community`` (``None``: any role)? Supervisors of the
    community's street count as supervisors of the community."""
    if user is None or not user.is_authenticated:
        return False
    qs = Membership.objects.filter(user_id=user.pk)
    if role == Role.SUPERVISOR:
        return qs.filter(role=Role.SUPERVISOR, street_id=community.street_id).exists()
    if role is None:
        return qs.filter(
            Q(community=community) | Q(role=Role.SUPERVISOR, street_id=community.street_id)
        ).exists()
    return qs.filter(role=role, community=community).exists()


def roles_of(user: Any, community: Community) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    rows = Membership.objects.filter(user_id=user.pk).filter(
        Q(community=community) | Q(role=Role.SUPERVISOR, street_id=community.street_id)
    )
    return set(rows.values_list("role", flat=True))


def communities_of(user: Any) -> QuerySet[Community]:
    if user is None or not user.is_authenticated:
        return Community.objects.none()
    return Community.objects.filter(
        Q(memberships__user_id=user.pk)
        | Q(street__memberships__user_id=user.pk, street__memberships__role=Role.SUPERVISOR)
    ).distinct()


def projects_visible_to(*, user: Any) -> QuerySet[Project]:
    """Public states for everyone; a user's own drafts and withdrawn ones; staff of a community
    see all of its projects."""
    public_states = [s for s, f in STATE_FLAGS.items() if f.public]
    q = Q(state__in=public_states)
    if user is not None and user.is_authenticated:
        q |= Q(proposer_id=user.pk)
        staff = Membership.objects.filter(user_id=user.pk).exclude(role=Role.RESIDENT)
        staff_q = Q(community__in=staff.filter(community__isnull=False).values("community"))
        staff_q |= Q(community__street__in=staff.filter(role=Role.SUPERVISOR).values("street"))
        q |= staff_q & ~Q(state=State.DRAFT)  # a draft is its proposer's alone
    return Project.objects.filter(q).select_related("community", "proposer").distinct()


def eligible_residents(community: Community) -> QuerySet[Membership]:
    return Membership.objects.filter(community=community, role=Role.RESIDENT)
