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
    """A project of ``community`` in its first evaluation round, walked there by the services.
    The events of the walk (the round's opening on the screen, …) went out as it committed: a
    test's socket opened afterwards hears only what the test does."""
    community.tally_step = 2  # ballots are sealed and published two at a time (frozen at opening)
    community.save(update_fields=["tally_step"])
    for _ in range(4):  # on the roll frozen when the round opens, beside the co-signers
        make_resident()
    project = new_project(community, cast["resident"], submit=True)
    walked = to_evaluation(
        project,
        cosigners=[make_resident() for _ in range(community.cosign_threshold)],
        clerk=cast["clerk"],
        council=cast["council"],
        committee=[cast["committee"], cast["committee2"], cast["committee3"]],
    )
    return walked


@pytest.fixture
def voters(evaluating_project: Project) -> list[Any]:
    """Everyone on the evaluation round's roll (frozen when it opened), ``cast["resident"]``
    among them."""
    from deliberation.models import EvaluationRoll

    roll = EvaluationRoll.objects.filter(round__project=evaluating_project).select_related("user")
    return [r.user for r in roll.order_by("user_id")]
