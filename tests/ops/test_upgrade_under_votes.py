"""The upgrade path of deploy/UPGRADING.md, for real: the previous release's code serves a copy
of the demo and takes a burst of evaluation votes over HTTP while the current code runs
``manage.py migrate`` against the same database. Afterwards, with the current code: every vote
that was answered 201 is counted exactly once, no refused vote is counted, the ballots by choice
add up, and the audit and ledger chains verify.

Everything runs in subprocesses against a database of its own (``<test database>_upgrade``), so
the test does not use pytest-django's database. The previous release is a commit of this
repository's history (``git archive``); a clone without that history skips, saying so."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)
# The last landed release: the newest commit of 2026-11-24, before the work of 2026-12-03.
PREVIOUS_RELEASE = "8827dad"
EXTRA_RESIDENTS = 400  # per community, on top of the demo's 40 residents
THREADS = 8
RATE = 6.0  # votes per second at most while migrating, so that the burst outlasts the migration
VOTES_BEFORE_MIGRATING = 60
AFTER_MIGRATING = 40  # votes kept back for the old code after the migration, before its restart

ADD_VOTERS = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from deliberation.models import EvaluationParticipation, EvaluationRound
from projects.models import Membership
User = get_user_model()
extra = {extra}
jobs = []
rounds = list(EvaluationRound.objects.filter(closed_at__isnull=True).select_related("project"))
for community_id in sorted({r.project.community_id for r in rounds}):
    users = User.objects.bulk_create(
        [User(username=f"upg{community_id}_{i}", password="!") for i in range(extra)]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, role="resident", community_id=community_id, household="") for u in users]
    )
for u in User.objects.filter(memberships__role="resident").distinct():
    Token.objects.get_or_create(user=u)
for r in rounds:
    voted = set(EvaluationParticipation.objects.filter(round=r).values_list("voter_id", flat=True))
    for m in Membership.objects.filter(community_id=r.project.community_id, role="resident"):
        if m.user_id not in voted:
            jobs.append([m.user.username, Token.objects.get(user_id=m.user_id).key, r.project_id])
print(json.dumps(jobs))
"""


def _database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def _server(url: str) -> str:
    return url.rsplit("/", 1)[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sql(url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return list(cur.fetchall()) if cur.description else []


def _run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 900) -> str:
    done = subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass
class Vote:
    username: str
    project_id: int
    choice: str
    status: int = 0
    error: str = ""
    when: float = 0.0


@pytest.fixture
def upgrade_database() -> Iterator[str]:
    url = _database_url()
    if not url.startswith("postgres"):
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…): old and new code share it")
    name = url.rsplit("/", 1)[1].split("?")[0] + "_upgrade"
    admin = f"{_server(url)}/postgres"
    _sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _sql(admin, f'CREATE DATABASE "{name}"')
    try:
        yield f"{_server(url)}/{name}"
    finally:
        _sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def old_release(tmp_path: Path) -> Path:
    """The previous release's tree, with a settings overlay that hashes passwords cheaply (the
    demo seeds 56 users; the production hasher would take most of the time budget)."""
    if not shutil.which("git") or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the previous release comes from this repository's history")
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"], cwd=ROOT, capture_output=True
    )
    if found.returncode != 0:
        pytest.skip(
            f"commit {PREVIOUS_RELEASE} (the previous release) is not in this clone's history; "
            "clone with full history (git clone, not --depth) to run the upgrade test"
        )
    tree = tmp_path / "old"
    tree.mkdir()
    archive = tmp_path / "old.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", PREVIOUS_RELEASE], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    (tree / "upgrade_old_settings.py").write_text(
        "from config.settings import *  # noqa: F403\n"
        "PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']\n"
    )
    return tree


def _env(database_url: str, settings_module: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PYTHONPATH"}}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DJANGO_SECRET_KEY": "upgrade-test-only-secret-key-not-for-production",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "ERROR",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _counted(database_url: str) -> tuple[dict[tuple[str, int], int], Counter[tuple[int, str]]]:
    """(username, project) → participations, and (project, choice) → ballots, sealed or pooled."""
    rows = _sql(
        database_url,
        "SELECT u.username, r.project_id, count(*) FROM deliberation_evaluationparticipation p"
        " JOIN auth_user u ON u.id = p.voter_id"
        " JOIN deliberation_evaluationround r ON r.id = p.round_id"
        " WHERE r.closed_at IS NULL GROUP BY 1, 2",
    )
    tables = ["deliberation_evaluationballot"]
    if _sql(database_url, "SELECT to_regclass('deliberation_evaluationpooledballot')")[0][0]:
        tables.append("deliberation_evaluationpooledballot")
    ballots: Counter[tuple[int, str]] = Counter()
    for table in tables:
        for project_id, choice, n in _sql(
            database_url,
            f"SELECT r.project_id, b.choice, count(*) FROM {table} b"  # noqa: S608 - fixed names
            " JOIN deliberation_evaluationround r ON r.id = b.round_id"
            " WHERE r.closed_at IS NULL GROUP BY 1, 2",
        ):
            ballots[(project_id, choice)] += n
    return {(u, p): n for u, p, n in rows}, ballots


def _cast(base: str, token: str, vote: Vote) -> None:
    request = urllib.request.Request(
        f"{base}/api/v1/projects/{vote.project_id}/evaluation/",
        data=json.dumps({"choice": vote.choice}).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            vote.status = answer.status
    except urllib.error.HTTPError as e:
        vote.status, vote.error = e.code, e.read()[:200].decode(errors="replace")
    except OSError as e:
        vote.status, vote.error = -1, repr(e)


def test_latest_migrations_apply_under_a_vote_burst_on_the_old_code(
    upgrade_database: str, old_release: Path
) -> None:
    old_env = _env(upgrade_database, "upgrade_old_settings")
    old_env["PYTHONPATH"] = str(old_release)
    manage_old = [str(PYTHON), "manage.py"]
    _run([*manage_old, "migrate", "-v0"], old_env, old_release)
    _run([*manage_old, "seed_demo", "--force"], old_env, old_release)
    jobs = json.loads(
        _run(
            [*manage_old, "shell", "-c", ADD_VOTERS.replace("{extra}", str(EXTRA_RESIDENTS))],
            old_env,
            old_release,
        )
        .strip()
        .splitlines()[-1]
    )
    assert len(jobs) > 300, "the demo's open evaluation rounds should give several hundred votes"
    participations_before, ballots_before = _counted(upgrade_database)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = old_release.parent / "old-server.log"
    server = subprocess.Popen(
        [str(PYTHON.parent / "gunicorn"), "config.wsgi:application", "-w", "3", "-b",
         f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"],
        env=old_env, cwd=old_release, stdout=subprocess.DEVNULL,
        stderr=server_log.open("w"),
    )  # fmt: skip
    migration: subprocess.Popen[str] | None = None
    migrated = threading.Event()
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/", timeout=5)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.5)
        draw = random.Random(19)
        draw.shuffle(jobs)
        choices = ["satisfied", "basically_satisfied", "dissatisfied"]
        votes = [(token, Vote(u, p, draw.choice(choices))) for u, token, p in jobs]
        main, after = iter(votes[:-AFTER_MIGRATING]), iter(votes[-AFTER_MIGRATING:])
        lock = threading.Lock()
        cast: list[Vote] = []
        slot = [time.monotonic()]

        def burst() -> None:
            while True:
                wait = 0.0
                with lock:
                    if migrated.is_set():
                        job = next(after, None)
                        if job is None:
                            return
                    else:
                        job = next(main, None)
                        now = time.monotonic()
                        wait = max(0.0, slot[0] - now)
                        slot[0] = max(now, slot[0]) + 1 / RATE
                if job is None:  # nothing left for during the migration: wait for its end
                    migrated.wait(timeout=1)
                    continue
                time.sleep(wait)
                job[1].when = time.monotonic()
                _cast(base, job[0], job[1])
                with lock:
                    cast.append(job[1])

        threads = [threading.Thread(target=burst, daemon=True) for _ in range(THREADS)]
        for t in threads:
            t.start()
        while sum(v.status == 201 for v in cast) < VOTES_BEFORE_MIGRATING and any(
            t.is_alive() for t in threads
        ):
            time.sleep(0.1)
        # The current code migrates the database the old code is serving.
        started = time.monotonic()
        # manage.py migrate takes each migration's table locks first, all at once and without
        # waiting while it holds any (ops/migration_locks.py): it cannot deadlock with a vote.
        migration = subprocess.Popen(
            [str(PYTHON), "manage.py", "migrate", "-v1"],
            env=_env(upgrade_database, "config.settings"),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        out, _ = migration.communicate(timeout=900)
        ended = time.monotonic()
        migrated.set()  # the old code serves on until its restart: the votes kept back
        for t in threads:
            t.join(timeout=90)
        assert migration.returncode == 0, f"migrate failed under the old code's votes:\n{out}"
    finally:
        migrated.set()
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=20)
        if migration is not None and migration.poll() is None:
            migration.kill()

    new_env = _env(upgrade_database, "config.settings")
    _run([str(PYTHON), "manage.py", "migrate", "--check"], new_env, ROOT)
    audit = subprocess.run(
        [str(PYTHON), "manage.py", "verify_audit"],
        env=new_env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip

    participations, ballots = _counted(upgrade_database)
    accepted = [v for v in cast if v.status == 201]
    refused = [v for v in cast if v.status != 201]
    during = sum(started <= v.when <= ended for v in cast)
    after_it = sum(v.when > ended for v in cast)
    summary = (
        f"{len(cast)} votes cast, {during} of them while migrate ran ({ended - started:.1f} s) "
        f"and {after_it} after it: {len(accepted)} answered 201, {len(refused)} refused "
        f"{dict(Counter(v.status for v in refused))}"
        + (f"; first refusal: {refused[0].error!r}" if refused else "")
    )
    if refused:  # the old server's tracebacks say why
        summary += "\nold server's log (tail):\n" + server_log.read_text()[-6000:]
    print(summary)
    assert len(accepted) >= VOTES_BEFORE_MIGRATING, summary
    lost_or_doubled = {
        (v.username, v.project_id): participations.get((v.username, v.project_id), 0)
        for v in accepted
        if participations.get((v.username, v.project_id), 0) != 1
    }
    assert not lost_or_doubled, f"answered 201 but counted ≠ once: {lost_or_doubled}; {summary}"
    counted_refusals = [
        (v.username, v.project_id, v.status)
        for v in refused
        if participations.get((v.username, v.project_id), 0)
    ]
    assert not counted_refusals, f"refused but counted: {counted_refusals}; {summary}"
    expected = ballots_before + Counter((v.project_id, v.choice) for v in accepted)
    assert ballots == expected, f"ballots by choice {ballots} ≠ {expected}; {summary}"
    assert sum(participations.values()) == sum(participations_before.values()) + len(accepted)
    assert audit.returncode == 0, f"verify_audit: {audit.stdout}{audit.stderr}"
    assert "OK:" in audit.stdout
    # Safe to run while the old code serves: the old code took every vote, before, during and
    # after the migration (a refusal would be a vote the resident has to cast again).
    assert not refused, summary
