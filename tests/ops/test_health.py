"""/healthz and /readyz: what the proxy and the operator see, and 503 while a service is down."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from ops import checks, heartbeat

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def closed_port() -> int:
    """A port nothing listens on: bound then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_worker_once() -> None:
    """What ``db_worker`` does with one task: claim it, run it, record it finished."""
    from django_tasks_db.models import DBTaskResult

    for result in DBTaskResult.objects.ready():
        result.claim("test-worker")
        result.task.call()
        result.set_successful(None)


@pytest.fixture
def beating(settings: Any) -> None:
    settings.TASKS = DB_TASKS
    heartbeat.clock_beat()
    run_worker_once()


def test_healthz_answers_without_the_database(client: Client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert "Set-Cookie" not in r.headers


@pytest.mark.django_db
def test_readyz_lists_each_check_and_is_200_when_all_pass(client: Client, beating: None) -> None:
    r = client.get("/readyz")
    body = r.json()
    assert r.status_code == 200, body
    assert set(body["checks"]) == {"database", "redis", "migrations", "clock", "worker"}
    assert all(c["ok"] for c in body["checks"].values())
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_before_any_heartbeat_and_when_the_worker_stops(
    client: Client, settings: Any
) -> None:
    settings.TASKS = DB_TASKS
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["clock"] == {"ok": False, "detail": "no heartbeat yet"}

    heartbeat.clock_beat()  # the clock beats, but no worker takes the task
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["clock"]["ok"] is True
    assert r.json()["checks"]["worker"]["ok"] is False

    run_worker_once()
    assert client.get("/readyz").status_code == 200

    from django_tasks_db.models import DBTaskResult

    # three minutes later nothing has beaten again
    old = timezone.now() - timedelta(minutes=3)
    DBTaskResult.objects.update(enqueued_at=old, finished_at=old)
    r = client.get("/readyz")
    assert r.status_code == 503
    assert "limit 120 s" in r.json()["checks"]["worker"]["detail"]


@pytest.mark.django_db
def test_the_clock_removes_old_heartbeats(settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    heartbeat.clock_beat()
    run_worker_once()
    DBTaskResult.objects.update(finished_at=timezone.now() - timedelta(hours=2))
    heartbeat.clock_beat()
    assert DBTaskResult.objects.filter(task_path=heartbeat.HEARTBEAT_TASK).count() == 1


@pytest.mark.django_db
def test_readyz_is_503_while_migrations_are_left_to_apply(
    client: Client, beating: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(checks, "_migrations_applied", False)
    leaf = ("projects", "9999_not_yet")
    monkeypatch.setattr(
        MigrationExecutor,
        "migration_plan",
        lambda self, targets: [(type("M", (), {"app_label": leaf[0], "name": leaf[1]})(), False)],
    )
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["migrations"] == {
        "ok": False,
        "detail": "1 to apply: projects.9999_not_yet",
    }


@pytest.fixture
def database_away(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the default connection at a PostgreSQL port nothing listens on, then back. (The
    tests' SQLite database lives in memory and never reconnects: there the connection refuses
    as SQLite does when its file cannot be opened.)"""
    from django.db import OperationalError

    saved = dict(connection.settings_dict)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("unable to open database file")

    def away() -> None:
        if connection.vendor == "postgresql":
            connection.close()
            connection.settings_dict["HOST"] = "127.0.0.1"
            connection.settings_dict["PORT"] = closed_port()
        else:
            monkeypatch.setattr(connection, "cursor", refuse)

    def back() -> None:
        monkeypatch.undo()
        if connection.vendor == "postgresql":
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)

    yield away, back
    back()


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_while_the_database_is_down_and_200_when_it_returns(
    client: Client, settings: Any, database_away: Any
) -> None:
    settings.TASKS = DB_TASKS
    heartbeat.clock_beat()
    run_worker_once()
    assert client.get("/readyz").status_code == 200
    away, back = database_away
    away()
    r = client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["worker"] == {"ok": False, "detail": "database unreachable"}
    assert client.get("/healthz").status_code == 200  # the process itself is fine
    back()
    assert client.get("/readyz").status_code == 200


REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.mark.django_db
def test_readyz_is_503_while_redis_is_down_and_200_when_it_returns(
    client: Client, settings: Any, beating: None
) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["redis"]["ok"] is False
    assert r.json()["checks"]["database"]["ok"] is True
    if not REDIS_URL.startswith("redis"):
        settings.REDIS_URL = ""  # no Redis configured: nothing to check
        assert client.get("/readyz").json()["checks"]["redis"]["detail"] == "not configured"
    else:
        settings.REDIS_URL = REDIS_URL
        assert client.get("/readyz").json()["checks"]["redis"] == {"ok": True, "detail": "ok"}
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_health_checks_are_not_redirected_to_https(client: Client, settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/projects/").status_code == 301
