"""The fixed cast (one named user per role) and small factories, shared by every test."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from projects import ledger
from projects.models import Community, Fund, Grid, Membership, Project, Role, Street

User = get_user_model()
PASSWORD = "yishi-test-pw"


@pytest.fixture(autouse=True, scope="session")
def _flush_empties_append_only_tables() -> None:
    """The database refuses to empty the audit, ledger and history tables; the test runner's
    flush between transactional tests lifts that for the flush only (projects/audit.py)."""
    from projects.audit import allow_flush_in_tests

    allow_flush_in_tests()


@pytest.fixture(autouse=True)
def _close_connections_of_async_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """An async test reaches the database through ``sync_to_async``, on asgiref's one shared
    thread, whose connection would outlive it and keep the test database from being dropped at
    the end ("being accessed by other users"). Close it there after each async test."""
    yield
    if inspect.iscoroutinefunction(request.function):
        from asgiref.sync import sync_to_async
        from django.db import connections

        asyncio.run(sync_to_async(connections.close_all, thread_sensitive=True)())


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """Each test gets its own channel-layer object. A server process runs one event loop for its
    life, but each async test runs in a loop of its own, and channels-redis binds the locks of a
    layer object to the loop that first used them: a layer carried into the next test's loop
    fails there ("bound to a different event loop") and its sockets hear nothing."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _empty_cache(settings: Any, request: pytest.FixtureRequest) -> None:
    """Each test starts with nothing cached (the screen's snapshot, live tallies: ids come again
    once the database is emptied), in a cache of its own: a shared Redis is left alone."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{id(request)}",
        }
    }


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request through the test client leaves its language active in the thread (LocaleMiddleware
    does not reset it); every test starts, and ends, in the default language."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # a fresh cache per test: API throttle counters do not carry over from one test to the next
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def make_user(username: str, **extra: Any) -> Any:
    return User.objects.create_user(username=username, password=PASSWORD, **extra)


@pytest.fixture
def street(db: None) -> Street:
    return Street.objects.create(name="测试街道")


@pytest.fixture
def community(street: Street) -> Community:
    c = Community.objects.create(parent=street, name="幸福社区", slug="xingfu", cosign_threshold=3)
    Grid.objects.create(community=c, name="第一网格")
    return c


@pytest.fixture
def other_community(street: Street) -> Community:
    return Community.objects.create(
        parent=street, name="和平社区", slug="heping", cosign_threshold=3
    )


def add_role(user: Any, community: Community, role: str, household: str = "") -> Membership:
    if role == Role.SUPERVISOR:
        return Membership.objects.create(user=user, role=role, place=community.parent)
    return Membership.objects.create(user=user, role=role, community=community, household=household)


@pytest.fixture
def make_resident(community: Community) -> Callable[..., Any]:
    counter = {"n": 0}

    def make(name: str | None = None, household: str = "", where: Community | None = None) -> Any:
        counter["n"] += 1
        user = make_user(name or f"r{counter['n']}")
        add_role(user, where or community, Role.RESIDENT, household=household or f"H{counter['n']}")
        return user

    return make


@pytest.fixture
def cast(community: Community, make_resident: Callable[..., Any]) -> dict[str, Any]:
    """One named user per role in ``community``, plus three committee members in all."""
    people: dict[str, Any] = {
        "resident": make_resident("resident"),
        "council": make_user("council"),
        "committee": make_user("committee"),
        "committee2": make_user("committee2"),
        "committee3": make_user("committee3"),
        "clerk": make_user("clerk"),
        "supervisor": make_user("supervisor"),
        "outsider": make_user("outsider"),
    }
    add_role(people["council"], community, Role.COUNCIL)
    for key in ("committee", "committee2", "committee3"):
        add_role(people[key], community, Role.COMMITTEE)
    add_role(people["clerk"], community, Role.CLERK)
    add_role(people["supervisor"], community, Role.SUPERVISOR)
    return people


@pytest.fixture
def fund(community: Community, cast: dict[str, Any]) -> Fund:
    from django.utils import timezone

    f = Fund.objects.create(community=community, year=timezone.localdate().year)
    ledger.appropriate(fund=f, amount=Decimal("1000000.00"), by=cast["supervisor"])
    return f


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    def make(user: Any) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make


def new_project(community: Community, proposer: Any, **kw: Any) -> Project:
    from deliberation.actions import create as project_create

    defaults = {"title": "楼道照明改造", "summary": "3号楼楼道灯坏了半年，晚上老人上下楼很危险。"}
    defaults.update(kw)
    return project_create(by=proposer, community=community, **defaults)
