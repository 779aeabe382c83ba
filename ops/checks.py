"""What ``/readyz`` checks: each check returns ``(ok, detail)`` and never raises.

- ``database``: a ``SELECT 1`` on the default connection;
- ``redis``: a PING, when ``REDIS_URL`` is set (the channel layer and the cache live there);
- ``migrations``: none left to apply (once true, remembered for the life of the process);
- ``clock`` and ``worker``: a heartbeat no older than ``YISHI_HEARTBEAT_MAX_AGE`` seconds
  (default 120; ``0`` turns these two off, e.g. for a web server checked on its own).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from ops import heartbeat

Result = tuple[bool, str]
_migrations_applied = False


def _error(exc: BaseException) -> str:
    # the kind of failure and its first line: enough for an operator, no connection string
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:200]


def database() -> Result:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        connections[DEFAULT_DB_ALIAS].close_if_unusable_or_obsolete()
        return False, _error(exc)
    return True, "ok"


def redis() -> Result:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return True, "not configured"
    import redis as redis_client

    try:
        client = redis_client.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return False, _error(exc)
    return True, "ok"


def migrations() -> Result:
    global _migrations_applied
    if _migrations_applied:
        return True, "ok"
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return False, _error(exc)
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        return False, f"{len(plan)} to apply: {names}"
    _migrations_applied = True
    return True, "ok"


def max_age() -> int:
    return int(os.environ.get("YISHI_HEARTBEAT_MAX_AGE", "120"))


def _recent(read: Callable[[], datetime | None]) -> Result:
    limit = max_age()
    if limit <= 0:
        return True, "not checked"
    if not heartbeat.uses_database_backend():
        return True, "not applicable (task backend is not the database)"
    try:
        at = read()
    except Exception as exc:
        return False, _error(exc)
    if at is None:
        return False, "no heartbeat yet"
    age = (timezone.now() - at).total_seconds()
    if age > limit:
        return False, f"last heartbeat {age:.0f} s ago (limit {limit} s)"
    return True, f"last heartbeat {max(age, 0):.0f} s ago"


def clock() -> Result:
    return _recent(heartbeat.clock_last_beat)


def worker() -> Result:
    return _recent(heartbeat.worker_last_beat)


CHECKS: dict[str, Callable[[], Result]] = {
    "database": database,
    "redis": redis,
    "migrations": migrations,
    "clock": clock,
    "worker": worker,
}


def run_all() -> dict[str, Result]:
    results: dict[str, Result] = {"database": database()}
    for name, check in CHECKS.items():
        if name == "database":
            continue
        if name in {"migrations", "clock", "worker"} and not results["database"][0]:
            results[name] = (False, "database unreachable")
            continue
        results[name] = check()
    return results
