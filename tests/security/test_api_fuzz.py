"""Schemathesis against ``/api/schema/``: a bounded run over every API operation, as a resident and
as a clerk, through the WSGI application. No answer may be a server error, and every answer
must match the schema: a documented status code, the documented content type and body shape.

Bounded (``max_examples`` per operation and role) so that it runs on every push within about a
minute; ``YISHI_FUZZ_EXAMPLES`` raises it for a longer run.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as settings_
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from deliberation import ballots, services
from projects import ledger
from projects.models import LedgerEntry, Membership, Role
from residents import services as residency
from tests.conftest import new_project
from tests.projects.money_helpers import walk_to

EXAMPLES = int(os.environ.get("YISHI_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = ["resident", "clerk"]


@pytest.fixture
def world(cast: dict[str, Any], community: Any, fund: Any) -> dict[str, Any]:
    """Something of every kind the API shows: projects in several states (one closed, with its
    ledger entries and a co-funding pledge), a roll-call, an open budget round, a pending
    residency declaration and the resident's membership; and the resident's and the clerk's
    tokens."""
    new_project(community, cast["resident"], title="楼道照明改造", submit=True)
    deciding = walk_to(
        new_project(community, cast["resident"], title="健身器材更新"), "deciding", cast
    )
    decision = services.decision_open(
        project=deciding, by=cast["committee"], motion="approve", amount="10000.00"
    )
    closed = walk_to(new_project(community, cast["resident"], title="小区绿化补种"), "closed", cast)
    executing = walk_to(
        new_project(community, cast["resident"], title="单元门禁维修"), "executing", cast
    )
    ledger.cofund_pledge(
        project=executing,
        by=cast["clerk"],
        amount="500.00",
        contributor="幸福物业",
        contributor_kind="company",
    )
    deliberating = walk_to(
        new_project(community, cast["resident"], title="儿童游乐区"), "deliberating", cast
    )
    rnd = ballots.round_create(
        community=community,
        by=cast["committee"],
        project_ids=[deliberating.pk],
        title="年度预算投票",
        rule="greedy",
        closes_at=timezone.now() + timedelta(days=7),
    )
    ballots.round_open(round=rnd, by=cast["committee"])
    entry = LedgerEntry.objects.filter(project=closed).order_by("pk").first()
    assert entry is not None
    declaration = residency.declaration_create(
        by=cast["outsider"], community=community, grid=None, building="3", room="501"
    )
    membership = Membership.objects.get(user=cast["resident"], role=Role.RESIDENT)
    return {
        "tokens": [f"Token {Token.objects.get_or_create(user=cast[r])[0].key}" for r in ROLES],
        "ids": {
            "projects": [closed.pk, deciding.pk, executing.pk],
            "decisions": [decision.pk],
            "funds": [fund.pk],
            "entries": [entry.pk],
            "rounds": [rnd.pk],
            "communities": [community.pk],
            "streets": [community.place.parent_id],
            "declarations": [declaration.pk],
            "memberships": [membership.pk],
        },
        "month": timezone.localdate().strftime("%Y-%m"),
    }


def known_paths(path: str, world: dict[str, Any]) -> list[dict[str, Any]]:
    """Path parameters that name real objects for ``path`` (``/api/v1/<kind>/{id}/...``)."""
    if "{id}" not in path:
        return []
    kind = path.split("/")[3]
    extra = {"month": world["month"]} if "{month}" in path else {}
    return [{"id": pk, **extra} for pk in world["ids"].get(kind, [])]


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Requests go through the WSGI handler, not Django's test client: like the test client, keep
    the handler from closing the test's connection (inside its transaction) on every request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("keep_connection")
def test_api_answers_match_the_schema_and_never_fail(
    world: dict[str, Any], settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    callers = world["tokens"]
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False  # a server error is a 500, to be reported
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    tally: Counter[str] = Counter()
    failures: list[str] = []

    def run(case: Any) -> None:
        for caller in callers:  # each generated request as a resident, then as a clerk
            response = case.call(headers={"Authorization": caller})
            tally["requests"] += 1
            tally[f"{response.status_code // 100}xx"] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:  # every failing check, not just the first one
                for failure in group.exceptions:
                    tally["violations"] += 1
                    title = getattr(failure, "title", type(failure).__name__)
                    message = str(getattr(failure, "message", failure)).strip()
                    failures.append(
                        f"{case.method} {case.operation.path} -> {response.status_code}: "
                        f"{title}: {' '.join(message.split())[:400]}"
                    )

    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # anything at all, then bodies and queries against objects that exist
        passes = [(EXAMPLES, {})] + [
            (max(2, EXAMPLES // 2), known) for known in known_paths(operation.path, world)
        ]
        for examples, known in passes:
            strategy = operation.as_strategy(path_parameters=known or None)
            settings_(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )(given(case=strategy)(run))()
    with capsys.disabled():
        print(  # the figures for the note
            f"\nschemathesis: {operations} operations, {tally['requests']} requests, "
            f"{tally['5xx']} server errors, {tally['violations']} schema violations "
            f"({dict(tally)})"
        )
    assert tally["requests"] >= operations * len(callers)
    assert not failures, "\n".join(sorted(set(failures)))
