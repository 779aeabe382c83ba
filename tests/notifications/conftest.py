from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from projects.models import Community, Project
from tests.conftest import new_project
from tests.notifications.walk import to_evaluation


@pytest.fixture
def evaluating_project(
    community: Community, cast: dict[str, Any], make_resident: Callable[..., Any], fund: Any
) -> Project:
    """A project of ``community`` in its first evaluation round, walked there by the services."""
    project = new_project(community, cast["resident"], submit=True)
    return to_evaluation(
        project,
        cosigners=[make_resident() for _ in range(community.cosign_threshold)],
        clerk=cast["clerk"],
        council=cast["council"],
        committee=[cast["committee"], cast["committee2"], cast["committee3"]],
    )
