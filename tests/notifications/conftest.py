from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from notifications import publisher
from projects.models import Community, Project
from tests.conftest import new_project
from tests.notifications.walk import to_evaluation


@pytest.fixture
def evaluating_project(
    community: Community, cast: dict[str, Any], make_resident: Callable[..., Any], fund: Any
) -> Project:
    """A project of ``community`` in its first evaluation round, walked there by the services.
    The events of the walk (the round's opening on the screen, …) have all gone out: a test's
    socket opened afterwards hears only what the test does."""
    project = new_project(community, cast["resident"], submit=True)
    walked = to_evaluation(
        project,
        cosigners=[make_resident() for _ in range(community.cosign_threshold)],
        clerk=cast["clerk"],
        council=cast["council"],
        committee=[cast["committee"], cast["committee2"], cast["committee3"]],
    )
    publisher.flush()
    return walked
