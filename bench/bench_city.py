"""A whole city on PostgreSQL (``manage.py seed_city``): are the public pages fast enough and
do the open-data exports stream?

Run: ``.venv/bin/python bench/bench_city.py`` (``--repeat 20``, ``--scale 1``). It uses the
database ``yishi_opendata_city`` on ``BENCH_PG_URL`` (default postgres://postgres@127.0.0.1:5432),
created, migrated and seeded here if it holds no city yet (``seed_city`` prints its phases).

Measured in-process through Django's test client (no network), each page ``--repeat`` times:
- the dashboard of the city and of one community (if a ``dashboards`` app is installed): p95
  ≤ 300 ms, and the query count of the city page no more than the community page's (flat);
- the project list and a search: p95 ≤ 200 ms;
- the ledger and audit exports streamed whole: ≥ 50 MB/s, and the peak memory traced while
  streaming (tracemalloc) flat: at most ``FLAT_MB`` whatever the file's size; the ratio to the
  file's size is printed beside it.
Prints each figure with its target and ratio; exits 1 when one misses.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAT_MB = 2.0  # an export's peak traced memory, whatever its size
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB = os.environ.get("BENCH_CITY_DB", "yishi_opendata_city")
os.environ["DATABASE_URL"] = f"{PG}/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")


def ensure_city(scale: float) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone():
            conn.execute(f'CREATE DATABASE "{DB}"')
    env = dict(os.environ)
    run = [sys.executable, "manage.py"]
    subprocess.run([*run, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        seeded = conn.execute(
            "SELECT 1 FROM projects_community WHERE slug LIKE 'city-%%' LIMIT 1"
        ).fetchone()
    if not seeded:
        subprocess.run([*run, "seed_city", "--scale", str(scale)], cwd=ROOT, env=env, check=True)


def load() -> str:
    """The machine's load average (shared machine: figures are read beside it)."""
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    ensure_city(args.scale)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from projects.models import Community, LedgerEntry, Project
    from projects.models.places import Place

    client = Client()
    misses = 0

    def page(url: str, name: str = "") -> tuple[float, int, int]:
        times = []
        queries = 0
        for i in range(args.repeat + 1):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            assert response.status_code == 200, (url, response.status_code)
            if i:  # the first one warms the caches
                times.append(elapsed)
            queries = len(ctx.captured_queries)
        if name:
            print(
                f"{name:<44} p50 {statistics.median(times) * 1000:7.1f} ms"
                f"  p95 {p95(times) * 1000:7.1f} ms  {queries} queries  ({load()})"
            )
        return p95(times) * 1000, queries, len(response.content)

    def report(name: str, value: float, target: float, unit: str, *, higher: bool = False) -> None:
        nonlocal misses
        ok = value >= target if higher else value <= target
        misses += not ok
        ratio = value / target if target else 0
        print(
            f"{name:<44} {value:10.1f} {unit:<5} target {'≥' if higher else '≤'} {target:g}"
            f"  ratio {ratio:5.2f}  {'OK' if ok else 'MISS'}",
            flush=True,
        )

    print(
        f"city: {Community.objects.count()} communities, {Project.objects.count():,} projects,"
        f" {LedgerEntry.objects.count():,} ledger entries"
    )
    root = Place.objects.filter(parent__isnull=True, name__contains="筑城").first()
    community = Community.objects.filter(slug__startswith="city-").order_by("pk").first()
    assert root is not None and community is not None
    dashboard = None
    try:
        dashboard = reverse("place-dashboard", args=[root.pk])
        small = reverse("place-dashboard", args=[community.place_id])
    except NoReverseMatch:
        print("dashboards: not installed here (no URL named place-dashboard): skipped")
    if dashboard:
        from django.utils import timezone

        year = timezone.localdate().year
        district = Place.objects.filter(parent=root).order_by("path").first()
        assert district is not None
        pages = [
            ("city, this year", dashboard),
            ("city, last year", f"{dashboard}?year={year - 1}"),
            ("city, a custom period", f"{dashboard}?from={year - 2}-03-15&to={year}-02-10"),
            ("district, this year", reverse("place-dashboard", args=[district.pk])),
            ("community, this year", small),
            (
                "community, last month",
                f"{small}?month={year}-{max(1, timezone.localdate().month - 1):02d}",
            ),
        ]
        counts = []
        for name, url in pages:
            ms, q, _size = page(url, f"dashboard of the {name}")
            report(f"dashboard of the {name}, p95", ms, 300, "ms")
            counts.append(q)
        # flat: the city's page (93 communities) asks no more than one community's page (whose
        # one extra query reads the community itself, for the link to its rules)
        q_city, q_small = counts[0], counts[4]
        print(f"{'queries: city / one community':<44} {q_city} / {q_small}")
        misses += q_city > q_small
    ms, q, _size = page("/projects/", "project list")
    report(f"project list, p95 ({q} queries)", ms, 200, "ms")
    ms, q, _size = page("/projects/?q=" + "路", "project search")
    report(f"project search, p95 ({q} queries)", ms, 200, "ms")

    def stream(slug: str) -> tuple[int, float]:
        response = client.get(f"/open-data/live/{slug}.csv")
        assert response.streaming
        started = time.perf_counter()
        size = sum(len(part) for part in response.streaming_content)
        return size, time.perf_counter() - started

    for slug in ("ledger", "audit"):
        size, elapsed = stream(slug)
        print(f"{slug}.csv: {size / 1e6:.1f} MB in {elapsed:.2f} s ({load()})")
        report(
            f"{slug}.csv streamed ({size / 1e6:.0f} MB)",
            size / 1e6 / elapsed,
            50,
            "MB/s",
            higher=True,
        )
        tracemalloc.start()  # a second pass, traced (tracing slows it down)
        stream(slug)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{slug}.csv peak traced memory {peak / 1e6:.1f} MB for {size / 1e6:.1f} MB"
            f" ({100 * peak / size:.1f} % of the file)"
        )
        # flat: bounded by the export's blocks, not by the file (a small file's ratio says little)
        report(f"{slug}.csv peak traced memory", peak / 1e6, FLAT_MB, "MB")
    print(f"bench_city: {'all targets met' if not misses else f'{misses} target(s) missed'}")
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
