"""`make bench`: every speed figure in one run. Each bench is its own script (runnable alone);
this runs them in turn, prints their output, and ends with each one's summary line.

Benches that need PostgreSQL and Redis use DATABASE_URL / REDIS_URL when set, else the local
defaults (postgres://postgres@127.0.0.1:5432, redis://127.0.0.1:6379/9).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ("budget-ballot rules vs pabutools", "bench_rules.py", []),
    ("ledger: balances and monthly statement at 1k / 100k entries", "bench_ledger.py", []),
    (
        "evaluation votes/s through gunicorn + PostgreSQL vs a bare endpoint",
        "bench_votes_http.py",
        [],
    ),
    ("websocket fan-out to 1,000 clients over two processes on Redis", "bench_fanout.py", []),
    ("a seeded city: dashboards, project list, open-data exports", "bench_city.py", []),
]


def main() -> int:
    env = dict(os.environ)
    env.setdefault("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    env.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    summary: list[str] = []
    failed = 0
    for title, script, args in BENCHES:
        path = HERE / script
        print(f"\n===== {title} ({script}) =====", flush=True)
        if not path.exists():
            print(f"missing: {path}")
            summary.append(f"{script}: missing")
            failed += 1
            continue
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(path), *args],
            env=env,
            cwd=HERE.parent,
            text=True,
            capture_output=True,
            check=False,
        )
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            sys.stdout.write(proc.stderr[-4000:])
            failed += 1
        last = [line for line in proc.stdout.strip().splitlines() if line.strip()][-1:] or [
            "(no output)"
        ]
        summary.append(
            f"{script} [{time.perf_counter() - started:.0f}s, exit {proc.returncode}]: {last[0]}"
        )
    print("\n===== summary =====")
    print("\n".join(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
