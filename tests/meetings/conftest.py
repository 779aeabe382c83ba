from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from deliberation import actions
from projects.models import Community, Project, Role, State
from tests.conftest import add_role, make_user, new_project
from tests.projects.conftest import project_in  # noqa: F401 - fixture for the committee tests


@pytest.fixture
def council(community: Community, cast: dict[str, Any]) -> list[Any]:
    """Three council members in all (the cast's and two more)."""
    more = [make_user("council2"), make_user("council3")]
    for user in more:
        add_role(user, community, Role.COUNCIL)
    return [cast["council"], *more]


def to_deliberating(
    community: Community, cast: dict[str, Any], title: str = "楼道照明改造"
) -> Project:
    p = new_project(community, cast["resident"], title=title, submit=True)
    community.cosign_threshold = 0
    community.save()
    p = actions.fire(project=p, name="reach_threshold", by=None)
    p = actions.act(project=p, name="accept", by=cast["clerk"])
    p = actions.act(
        project=p,
        name="assess",
        by=cast["clerk"],
        params={"assessed_cost": Decimal("12000.00"), "plan": "更换声控灯", "duration_days": 10},
    )
    assert p.state == State.DELIBERATING
    return p


@pytest.fixture
def deliberating(community: Community, cast: dict[str, Any]) -> Project:
    return to_deliberating(community, cast)
