"""The speed benches still run end to end (small sizes, figures not judged): each seeds its
project through the real services, so a new step in the lifecycle that a bench does not take
shows here, not months later in ``make bench``. The checks of correctness each bench makes
(no vote lost or doubled; every screen shows the final tally) are asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="the benches run on PostgreSQL (DATABASE_URL=postgres://…)",
    ),
]


def _server_url() -> str:
    return urlunsplit(urlsplit(DATABASE_URL)._replace(path="")).rstrip("/")


def _run(script: str, *args: str, judged: bool = True) -> str:
    """The bench's output; with ``judged``, its exit status must be 0 (its own checks passed)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env={**os.environ, "BENCH_PG_URL": _server_url()},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if judged:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_vote_bench_counts_every_vote_once() -> None:
    out = _run(
        "bench_votes_http.py",
        *("--requests", "120", "--warmup", "10", "--rounds", "2", "--workers", "2"),
        *("--concurrency", "4"),
    )
    assert "none lost, none doubled" in out, out
    assert "200 concurrent duplicates from one resident: 1 counted, 199 refused" in out, out
    assert "evaluation vote (201)" in out and ", 0 not 201" in out.split("evaluation vote")[1]


@pytest.mark.skipif(not REDIS_URL, reason="the fan-out bench needs Redis (REDIS_URL=redis://…)")
def test_fanout_bench_brings_every_screen_the_final_tally() -> None:
    out = _run(
        "bench_fanout.py",
        *("--clients", "20", "--votes", "3", "--burst", "10", "--interval", "0.2"),
        *("--client-procs", "1", "--timeout", "180"),
        judged=False,  # its exit status judges the latency too, which a busy CI box may miss
    )
    # every screen's last tally is the public tally read through the services after the burst
    assert "screens whose last tally shows it: 20 of 20 (0 behind)" in out, out
