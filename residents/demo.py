"""Demo residency (called at the end of ``seed_demo``): three newcomers waiting for the clerk's
verification, a household register to import (``demo_data/household_register.csv``, with a few
bad rows for the preview to report), and a resident unit holding a seat in the committee."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from projects.models import Community, Grid, Membership, Project, Role, State
from projects.models.membership import supervisors_of
from residents import services

PASSWORD = "yishi-demo"  # noqa: S105 - published demo password, as seed_demo's
NEWCOMERS = [
    ("newcomer1", "何新居民", "5", "1", "301"),
    ("newcomer2", "罗新居民", "5", "2", "402"),
    ("newcomer3", "郑新居民", "6", "", "101"),
]


def _user(username: str, name: str) -> Any:
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, first_name=name
    )


def seed(stdout: Any) -> None:
    community = Community.objects.get(slug="xingfuli")
    clerk = Membership.objects.current().filter(community=community, role=Role.CLERK).first()
    supervisor = supervisors_of(community).first()
    if clerk is None or supervisor is None:
        return
    grid = Grid.objects.filter(community=community).first()
    for username, name, building, unit, room in NEWCOMERS:
        services.declaration_create(
            by=_user(username, name),
            community=community,
            grid=grid,
            building=building,
            unit=unit,
            room=room,
        )
    school = services.unit_create(
        by=clerk.user, community=community, name="幸福里实验小学", kind="school"
    )
    principal = _user("unitrep1", "实验小学王校长")
    services.unit_representative_add(by=clerk.user, unit=school, user=principal)
    services.unit_seat_grant(by=supervisor.user, unit=school, representative=principal)
    funded = (
        Project.objects.filter(community=community, state=State.EXECUTING).order_by("pk").first()
    )
    if funded is not None:
        services.unit_contribution_record(
            by=clerk.user, unit=school, project=funded, amount="5000.00", memo="学校共建捐款"
        )
    stdout.write(
        "Residency: newcomer1-3 wait for verification (clerk1, /residents/xingfuli/queue/); "
        "register to import: residents/demo_data/household_register.csv; unit rep: unitrep1"
    )
