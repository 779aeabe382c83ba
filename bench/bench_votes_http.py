#!/usr/bin/env python
"""Evaluation votes per second through the production HTTP stack, against a bare JSON endpoint.

The stack is DESIGN.md "Running it": gunicorn (sync workers) + PostgreSQL (+ Redis for the
channel layer when ``BENCH_REDIS_URL`` / ``REDIS_URL`` is set), DEBUG off. The script:

1. creates the PostgreSQL database ``yishi_bench`` (dropped first if it exists) and migrates it;
2. seeds one community with N residents (each with an API token) and one project walked through
   the real services (accepted by its inspector) to ``evaluating``, with an evaluation round open for a year; then
   ``VACUUM (ANALYZE)`` and a checkpoint, so that neither lands in a measured slice;
3. starts gunicorn on a free loopback port with ``YISHI_BENCH_ENDPOINTS=1`` (the bare endpoint
   ``/bench/ok/`` from ``deliberation/bench_views.py``; mounted by an overlay URL conf while
   ``config/urls.py`` does not mount it yet);
4. drives each endpoint with a bounded asyncio HTTP client (``--concurrency`` requests in flight,
   one TCP connection per request as gunicorn's sync workers close them): the bare endpoint, then
   ``POST /api/v1/projects/<id>/evaluation/`` with token auth, every request a different resident
   casting one ballot;
5. sends 200 concurrent duplicates (one resident's token, all at once): exactly one may count;
6. checks that every 201 left exactly one participation and one ballot, sealed or still in the
   sealing pool (nothing lost, nothing doubled), prints req/s, p50 and p99 for both, and PASS or
   MISS against the target: ≥ 200 counted votes/s with p99 ≤ 300 ms on the ordinary vote path
   (issue 14). The ratio to the bare endpoint is printed as information only.

The two endpoints are driven in alternating slices (``--rounds``) so that other load on a shared
machine weighs on both alike, and the server CPU each request costs (gunicorn workers plus the
PostgreSQL backends serving them, read from ``/proc``) is printed too: that figure moves far less
with other load than req/s do, and its ratio is what a dedicated CPU-bound box would show.

Run: ``.venv/bin/python bench/bench_votes_http.py [--requests 6000] [--workers 5]``. Exit status 1
if a vote was lost or doubled; a speed MISS is reported, not an error.
Needs ``BENCH_PG_URL`` (server URL without a database, default
``postgres://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_NAME = os.environ.get("BENCH_DB_NAME", "yishi_bench")
TARGET_RATE = 200.0  # counted votes per second
TARGET_P99_MS = 300.0
DUPLICATES = 200


# --- database and Django -------------------------------------------------------------------
def server_url() -> str:
    return os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [DB_NAME]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [DB_NAME]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')


def settle_database() -> None:
    """After the bulk seeding, what a database that has been running for a while has done already:
    planner statistics for the new rows and a checkpoint. Otherwise autovacuum's analyses and the
    first checkpoint land in the middle of the measured slices, on one endpoint or the other."""
    import psycopg

    with psycopg.connect(f"{server_url()}/{DB_NAME}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")


def stack_env(overlay: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"{server_url()}/{DB_NAME}",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "ERROR",
            "YISHI_BENCH_ENDPOINTS": "1",
            "PYTHONPATH": os.pathsep.join(
                p
                for p in (str(overlay) if overlay else "", str(ROOT), env.get("PYTHONPATH", ""))
                if p
            ),
        }
    )
    redis = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL")
    if redis:
        env["REDIS_URL"] = redis
    else:
        env.pop("REDIS_URL", None)
    if overlay is not None:
        env["DJANGO_SETTINGS_MODULE"] = "yishi_bench_settings"
    else:
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return env


def bare_endpoint_mounted() -> bool:
    """Does ``config/urls.py`` mount ``/bench/ok/`` when ``YISHI_BENCH_ENDPOINTS=1``?"""
    code = (
        "import django; django.setup();"
        "from django.urls import resolve, Resolver404\n"
        "try:\n resolve('/bench/ok/'); print('yes')\n"
        "except Resolver404:\n print('no')"
    )
    env = stack_env(None)
    out = subprocess.run(
        [PYTHON, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().endswith("yes")


def write_overlay(directory: Path) -> None:
    """Settings and URL conf that add ``/bench/ok/`` to the real ones (nothing else changes)."""
    (directory / "yishi_bench_settings.py").write_text(
        "from config.settings import *  # noqa: F403\nROOT_URLCONF = 'yishi_bench_urls'\n"
    )
    (directory / "yishi_bench_urls.py").write_text(
        textwrap.dedent(
            """\
            from django.urls import path

            from config.urls import urlpatterns as real
            from deliberation import bench_views

            urlpatterns = [path("bench/ok/", bench_views.ok, name="bench-ok"), *real]
            """
        )
    )


SEED = r"""
import json, sys
from datetime import timedelta
from decimal import Decimal
import django
django.setup()
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from deliberation import services
from deliberation.models import EvaluationRound
from projects import ledger
from projects import services as ps
from projects.models import Community, Fund, Membership, Project, Role, Street

n = int(sys.argv[1])
password = make_password("bench-pw")
street = Street.objects.create(name="基准街道")
community = Community.objects.create(street=street, name="基准社区", slug="bench", cosign_threshold=1)
def person(name, role):
    user = User.objects.create(username=name, password=password)
    Membership.objects.create(user=user, role=role, community=community if role != Role.SUPERVISOR else None,
                              street=street if role == Role.SUPERVISOR else None)
    return user
proposer, clerk = person("proposer", Role.RESIDENT), person("clerk", Role.CLERK)
council, committee = person("council", Role.COUNCIL), person("committee", Role.COMMITTEE)
supervisor = person("supervisor", Role.SUPERVISOR)
fund = Fund.objects.create(community=community, year=timezone.localdate().year)
ledger.appropriate(fund=fund, amount=Decimal("1000000.00"), by=supervisor)
with transaction.atomic():
    users = User.objects.bulk_create(User(username=f"r{i:06d}", password=password) for i in range(n))
    Membership.objects.bulk_create(
        Membership(user=u, role=Role.RESIDENT, community=community, household=f"H{i}") for i, u in enumerate(users)
    )
    tokens = Token.objects.bulk_create(Token(user=u, key=Token.generate_key()) for u in users)
from deliberation.actions import create as project_create
p = project_create(by=proposer, community=community, title="基准测试项目", summary="用于评议投票基准测试的项目。", submit=True)
Project.objects.filter(pk=p.pk).update(cosign_count=1)
p = ps.project_reach_threshold(project=p)
p = ps.project_accept(project=p, by=clerk)
p = ps.project_assess(project=p, by=clerk, assessed_cost="10000.00", plan="基准", duration_days=10)
from meetings.texts import item_result
p = ps.project_recommend(project=p, by=council, note=item_result(body="council", meeting="基准", matter="基准", outcome="carried", present=1, total=1, quorum=1, yes=1, no=0, abstain=0, recused=0))
p = ps.project_approve(project=p, by=committee, amount="10000.00")
Project.objects.filter(pk=p.pk).update(publicity_ends_at=timezone.now() - timedelta(seconds=1))
p = ps.project_start_execution(project=p, by=clerk)
p = ps.project_deliver(project=p, by=clerk, report="完工")
from deliberation import execution
execution.acceptance_sign(project=p, by=council, passed=True)  # 验收: the one inspector signs
p.refresh_from_db()
assert p.state == "evaluating", p.state
rnd = EvaluationRound.objects.filter(project=p).order_by("-pk").first() or services.evaluation_open_round(project=p)
EvaluationRound.objects.filter(pk=rnd.pk).update(closes_at=timezone.now() + timedelta(days=365))
json.dump({"project": p.pk, "tokens": [t.key for t in tokens]}, sys.stdout)
"""

COUNT = r"""
import django, json
django.setup()
from deliberation.models import EvaluationBallot, EvaluationParticipation, EvaluationPooledBallot
print(json.dumps([
    EvaluationParticipation.objects.count(),
    EvaluationBallot.objects.count() + EvaluationPooledBallot.objects.count(),
]))
"""


def run_django(code: str, env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [PYTHON, "-c", code, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"django step failed (exit {out.returncode})")
    return out.stdout


# --- the server ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    cmd = [
        str(Path(PYTHON).with_name("gunicorn")),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- CPU accounting (robust to other load on a shared machine) ------------------------------
def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(master: int) -> tuple[list[int], list[int]]:
    """The gunicorn workers (children of ``master``) and the PostgreSQL backends serving them."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == master:
                pids.append(int(entry.name))
    import psycopg

    with psycopg.connect(f"{server_url()}/postgres") as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        ).fetchall()
    return pids, [int(pid) for (pid,) in rows if Path(f"/proc/{pid}").exists()]


def cpu_snapshot(master: int) -> tuple[dict[int, float], dict[int, float]]:
    workers, backends = server_pids(master)
    return {p: _cpu_of(p) for p in workers}, {p: _cpu_of(p) for p in backends}


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two snapshots by the processes alive at the second (a process
    that started in between counts whole; one that ended in between is lost: a small undercount)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- the client ------------------------------------------------------------------------------
@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    cpu: float = 0.0  # server CPU seconds (gunicorn workers + PostgreSQL backends)
    db_cpu: float = 0.0  # of which PostgreSQL backends

    def ok(self, expected: int) -> int:
        return self.statuses.get(expected, 0)

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000

    def add(self, other: Run, cpu: float = 0.0, db_cpu: float = 0.0) -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.cpu += cpu
        self.db_cpu += db_cpu
        for code, n in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + n

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu / len(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def db_cpu_ms(self) -> float:
        return self.db_cpu / len(self.latencies) * 1000 if self.latencies else float("nan")


async def request(port: int, method: str, path: str, body: bytes, headers: dict[str, str]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head += ["Content-Type: application/json", f"Content-Length: {len(body)}", "", ""]
    writer.write("\r\n".join(head).encode() + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    try:
        await writer.wait_closed()
    except ConnectionError:
        pass
    line = data.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 else 0


async def drive(port: int, name: str, path: str, tokens: list[str], concurrency: int) -> Run:
    """Send one request per token (``""``: no auth) with at most ``concurrency`` in flight."""
    run = Run(name)
    body = json.dumps({"choice": "satisfied"}).encode()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for t in tokens:
        queue.put_nowait(t)

    async def worker() -> None:
        while True:
            try:
                token = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            headers = {"Authorization": f"Token {token}"} if token else {}
            started = time.perf_counter()
            try:
                code = await request(port, "POST", path, body, headers)
            except OSError:
                code = 0
            run.latencies.append(time.perf_counter() - started)
            run.statuses[code] = run.statuses.get(code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    return run


def wait_until_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            if asyncio.run(request(port, "POST", "/bench/ok/", b"{}", {})) == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def report(run: Run, expected: int) -> str:
    errors = len(run.latencies) - run.ok(expected)
    return (
        f"{run.name:<24} {run.rate:7.0f} req/s  p50 {run.pct(0.50):6.1f} ms  "
        f"p99 {run.pct(0.99):6.1f} ms  server CPU {run.cpu_ms:5.2f} ms/req "
        f"(PostgreSQL {run.db_cpu_ms:4.2f})  "
        f"{len(run.latencies)} requests, {errors} not {expected}"
    )


def interval(parts: list[tuple[Run, Run]], draws: int = 2000) -> tuple[float, float]:
    """A 95% bootstrap interval for the ratio of the two rates over all slices: the slices drawn
    again with replacement, the ratio of their summed rates each time. It says how far the figure
    would move if this machine's other load had fallen on other slices."""
    if len(parts) < 2:
        return float("nan"), float("nan")
    draw = random.Random(0)
    ratios = []
    for _ in range(draws):
        picked = [draw.choice(parts) for _ in parts]
        bare_rate = sum(len(b.latencies) for b, _ in picked) / sum(b.seconds for b, _ in picked)
        vote_rate = sum(len(v.latencies) for _, v in picked) / sum(v.seconds for _, v in picked)
        ratios.append(vote_rate / bare_rate)
    ratios.sort()
    return ratios[int(0.025 * draws)], ratios[int(0.975 * draws) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="measured requests per endpoint")
    parser.add_argument("--warmup", type=int, default=300, help="warm-up requests per endpoint")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn sync workers (default gunicorn's advice: 2 × CPUs + 1)",
    )
    parser.add_argument("--concurrency", type=int, default=12, help="requests in flight")
    parser.add_argument("--rounds", type=int, default=8, help="alternating slices per endpoint")
    parser.add_argument("--keep-db", action="store_true", help="keep yishi_bench afterwards")
    args = parser.parse_args()

    recreate_database()
    with tempfile.TemporaryDirectory(prefix="yishi_bench_") as tmp:
        overlay = None
        if not bare_endpoint_mounted():
            overlay = Path(tmp)
            write_overlay(overlay)
        env = stack_env(overlay)
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
        )
        residents = args.requests + args.warmup + 1  # and one for the duplicates
        seeded = json.loads(run_django(SEED, env, str(residents)))
        project, tokens = seeded["project"], seeded["tokens"]
        settle_database()
        port = free_port()
        proc = start_gunicorn(env, port, args.workers)
        try:
            wait_until_up(port, proc)
            vote_path = f"/api/v1/projects/{project}/evaluation/"
            warm, measured = tokens[: args.warmup], tokens[args.warmup :]
            asyncio.run(drive(port, "warm-up", "/bench/ok/", [""] * args.warmup, args.concurrency))
            warm_votes = asyncio.run(drive(port, "warm-up", vote_path, warm, args.concurrency))
            # Alternate the two in slices, so that load from anything else on the machine
            # weighs on both alike.
            bare, votes = Run("bare JSON endpoint"), Run("evaluation vote (201)")
            per = -(-args.requests // args.rounds)
            parts: list[tuple[Run, Run]] = []  # each round's (bare, votes)
            for i in range(args.rounds):
                chunk = measured[i * per : (i + 1) * per]
                pair = []
                for run, path, who in (
                    (bare, "/bench/ok/", [""] * len(chunk)),
                    (votes, vote_path, chunk),
                ):
                    app_before, db_before = cpu_snapshot(proc.pid)
                    part = asyncio.run(drive(port, "", path, who, args.concurrency))
                    app_after, db_after = cpu_snapshot(proc.pid)
                    app, db = cpu_spent(app_before, app_after), cpu_spent(db_before, db_after)
                    run.add(part, app + db, db)
                    pair.append(part)
                parts.append((pair[0], pair[1]))
            # one resident's ballot sent DUPLICATES times at once: exactly one counts
            dup_token = tokens[-1]
            dups = asyncio.run(drive(port, "", vote_path, [dup_token] * DUPLICATES, DUPLICATES))
        finally:
            stop(proc)
        participations, stored = json.loads(run_django(COUNT, env))
    if not args.keep_db:
        drop_database()

    cast_ok = votes.ok(201) + warm_votes.ok(201) + dups.ok(201)
    intact = participations == stored == cast_ok and dups.ok(201) == 1
    print(
        f"stack: gunicorn {args.workers} sync workers, PostgreSQL {DB_NAME}, "
        f"channel layer {'redis' if 'REDIS_URL' in env else 'in-memory'}, DEBUG off; "
        f"client: asyncio, {args.concurrency} in flight, {os.cpu_count()} CPUs shared"
    )
    print(report(bare, 200))
    print(report(votes, 201))
    print(
        f"stored: {participations} participations, {stored} ballots for {cast_ok} accepted votes "
        f"({'none lost, none doubled' if intact else 'MISMATCH'})"
    )
    ratio = votes.rate / bare.rate if bare.rate else 0.0
    cpu_ratio = bare.cpu_ms / votes.cpu_ms if votes.cpu_ms else 0.0
    print(
        f"server CPU per request (gunicorn workers + PostgreSQL backends; far less sensitive to other "
        f"load): bare {bare.cpu_ms:.2f} ms, vote {votes.cpu_ms:.2f} ms → a CPU-bound box would "
        f"serve votes at {cpu_ratio:.0%} of the bare rate"
    )
    slices = [v.rate / b.rate for b, v in parts if b.rate]  # each round's votes/s over bare's
    if slices:
        print(
            f"votes/s vs bare in each of the {len(slices)} alternating slices: "
            f"{' '.join(f'{x:.0%}' for x in slices)} (median {statistics.median(slices):.0%}; "
            f"the spread is this machine's, the figure below is over all slices)"
        )
    print(
        f"{DUPLICATES} concurrent duplicates from one resident: {dups.ok(201)} counted, "
        f"{dups.ok(400)} refused (400), {sum(dups.statuses.values()) - dups.ok(201) - dups.ok(400)} other"
    )
    low, high = interval(parts)
    print(
        f"information only: votes/s vs bare {ratio:.1%} (95% interval over the slices "
        f"{low:.1%}–{high:.1%}); p99 {votes.pct(0.99):.1f} ms vs {bare.pct(0.99):.1f} ms"
    )
    fast = votes.rate >= TARGET_RATE and votes.pct(0.99) <= TARGET_P99_MS
    verdict = "PASS" if fast and intact else "MISS"
    print(
        f"counted votes/s: {votes.rate:.0f} (target ≥ {TARGET_RATE:.0f}), p99 "
        f"{votes.pct(0.99):.1f} ms (target ≤ {TARGET_P99_MS:.0f}) — {verdict}"
    )
    return 0 if intact else 1


if __name__ == "__main__":
    raise SystemExit(main())
