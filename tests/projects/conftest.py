"""Money fixtures: projects walked to a state with the real services, and a URL conf that
stands in for page names other engineers have not wired yet (so pages extending base.html render)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from projects.models import Community, Project
from tests.conftest import new_project
from tests.projects.money_helpers import walk_to


@pytest.fixture
def project_in(community: Community, cast: dict[str, Any], fund: Any) -> Callable[..., Project]:
    """``project_in("executing", amount="10000.00")``: a fresh project of the resident's, walked
    through the lifecycle to that state."""

    def make(state: str, amount: str = "10000.00", title: str = "楼道照明改造") -> Project:
        p = new_project(community, cast["resident"], title=title)
        return walk_to(p, state, cast, amount=amount)

    return make


@pytest.fixture
def money_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.projects.money_urlconf"
