"""Reads that carry rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from projects.models import STATE_FLAGS, Community, Membership, Project, Role, State
from projects.models.membership import supervised_q, supervisors_of


def user_has_role(user: Any, community: Community, role: str | None) -> bool:
    """Does ``user`` hold ``role`` in ``community`` (``None``: any role)? Supervisors of the
    community's street, district or city (any place above it) count as supervisors of it."""
    if user is None or not user.is_authenticated:
        return False
    qs = Membership.objects.current().filter(user_id=user.pk)
    if role == Role.SUPERVISOR:
        return supervisors_of(community).filter(user_id=user.pk).exists()
    if role is None:
        return qs.filter(
            Q(community=community) | Q(pk__in=supervisors_of(community).values("pk"))
        ).exists()
    return qs.filter(role=role, community=community).exists()


def roles_of(user: Any, community: Community) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    rows = (
        Membership.objects.current()
        .filter(user_id=user.pk)
        .filter(Q(community=community) | Q(pk__in=supervisors_of(community).values("pk")))
    )
    return set(rows.values_list("role", flat=True))


def communities_of(user: Any) -> QuerySet[Community]:
    if user is None or not user.is_authenticated:
        return Community.objects.none()
    held = Membership.objects.current().filter(user_id=user.pk)
    return Community.objects.filter(
        Q(pk__in=held.filter(community__isnull=False).values("community_id"))
        | supervised_q(user, community_field="")
    ).distinct()


def projects_visible_to(*, user: Any) -> QuerySet[Project]:
    """Public states for everyone; a user's own drafts and withdrawn ones; staff of a community
    see all of its projects."""
    public_states = [s for s, f in STATE_FLAGS.items() if f.public]
    q = Q(state__in=public_states)
    if user is not None and user.is_authenticated:
        q |= Q(proposer_id=user.pk)
        staff = Membership.objects.current().filter(user_id=user.pk).exclude(role=Role.RESIDENT)
        staff_q = Q(community__in=staff.filter(community__isnull=False).values("community"))
        staff_q |= supervised_q(user)
        q |= staff_q & ~Q(state=State.DRAFT)  # a draft is its proposer's alone
    # every alternative is a column or a subquery (no join that repeats a row): no DISTINCT,
    # which would sort every visible project before the first page (500 ms on a city)
    return Project.objects.filter(q).select_related("community", "proposer")


def eligible_residents(community: Community) -> QuerySet[Membership]:
    """The residents who may co-sign, object, vote and propose: current resident memberships
    (a pending declaration is no membership; a moved-out resident's ended one counts no more)."""
    return Membership.objects.residents().filter(community=community)
