"""How the ledger's reads scale: balances, the monthly statement (page, CSV, API), the statement
index and the street view, at 1k and at 100k ledger entries.

Run: ``.venv/bin/python bench/bench_ledger.py`` (``--sizes 1000,100000``, ``--repeat 5``).
It builds a throwaway database of its own: a temporary SQLite file, or, when DATABASE_URL is
set, a ``test_<name>`` database next to it (created and dropped here; the real one is untouched).

The data: one street of ten communities; closed projects with the full story (allocation,
advance, four expenditures, holdback, a last expenditure, unspent money returned, co-funding),
ten entries each, spread over ten years of funds. The measured month holds the same 200 entries
at every size; only the history before it grows, so the figures show how each read scales with
the ledger, not with the page. Query counts must not grow with the ledger: the script exits 1
if one does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("YISHI_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
_TMP = tempfile.mkdtemp(prefix="yishi-bench-ledger-")
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{_TMP}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import NoReverseMatch, clear_url_caches, include, path, reverse  # noqa: E402

MEASURED = date(2030, 6, 1)  # the month whose statement is read
HISTORY_START = date(2020, 1, 1)
PER_PROJECT = 10
MONTH_ENTRIES = 200
COMMUNITIES = 10


def _urlconf() -> None:
    """The real URLs, plus the money API and stand-ins for page names base.html links to, for
    whatever of those is not wired yet in this tree."""
    from django.http import HttpResponse

    import config.urls

    extra: list[Any] = []
    try:
        reverse("api-funds")
    except NoReverseMatch:
        extra.append(path("api/v1/", include("projects.api_urls")))
    for name in (
        "home",
        "project-list",
        "project-create",
        "inbox",
        "notification-list",
        "login",
        "logout",
        "project-detail",
    ):
        try:
            reverse(name, args=[1]) if name == "project-detail" else reverse(name)
        except NoReverseMatch:
            extra.append(
                path(f"__bench__/{name}/<path:rest>", lambda r, **k: HttpResponse(""), name=name)
            )
    module = types.ModuleType("bench_ledger_urls")
    module.urlpatterns = [*config.urls.urlpatterns, *extra]  # type: ignore[attr-defined]
    sys.modules["bench_ledger_urls"] = module
    settings.ROOT_URLCONF = "bench_ledger_urls"
    clear_url_caches()


# --- data ---------------------------------------------------------------------------------
class World:
    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        from projects.models import Community, Membership, Role, Street

        user = get_user_model()
        self.street = Street.objects.create(name="基准街道")
        self.communities = [
            Community.objects.create(street=self.street, name=f"基准社区{i}", slug=f"bench{i}")
            for i in range(COMMUNITIES)
        ]
        self.community = self.communities[0]
        self.resident = user.objects.create_user(username="bench-resident")
        self.supervisor = user.objects.create_user(username="bench-supervisor")
        Membership.objects.create(user=self.supervisor, role=Role.SUPERVISOR, street=self.street)
        self.funds: dict[tuple[int, int], Any] = {}
        self.entries = 0
        self.measured_project: Any = None

    def fund(self, community: Any, year: int) -> Any:
        from projects.models import Fund

        key = (community.pk, year)
        if key not in self.funds:
            self.funds[key] = Fund.objects.create(community=community, year=year)
        return self.funds[key]

    def add_projects(self, n_projects: int, *, months: list[date], communities: list[Any]) -> None:
        """``n_projects`` closed projects, each with its ten entries, spread over ``months``."""
        from django.utils import timezone

        from projects.models import EntryKind, LedgerEntry, Project

        tz = timezone.get_current_timezone()
        projects = Project.objects.bulk_create(
            [
                Project(
                    community=communities[i % len(communities)],
                    proposer=self.resident,
                    title=f"基准项目{i}",
                    summary="基准测试用的公益项目。",
                    state="closed",
                    approved_amount=Decimal("10000.00"),
                )
                for i in range(n_projects)
            ],
            batch_size=2000,
        )
        rows: list[LedgerEntry] = []
        per_fund: dict[Any, tuple[int, datetime]] = {}  # fund → (projects, earliest entry)
        for i, p in enumerate(projects):
            month = months[i * len(months) // n_projects]
            fund = self.fund(p.community, month.year)
            day = 1 + (i * 7) % 27
            start = datetime(month.year, month.month, day, 8, tzinfo=tz)
            count, earliest = per_fund.get(fund, (0, start))
            per_fund[fund] = (count + 1, min(earliest, start))
            spent = {"payee": "施工单位", "paid_on": start.date(), "receipt": "receipts/bench.png"}
            steps = [
                (EntryKind.ALLOCATION, "10000.00", {}),
                (EntryKind.ADVANCE_RELEASE, "7000.00", {}),
                *[(EntryKind.EXPENDITURE, "1500.00", spent)] * 4,
                (EntryKind.HOLDBACK_RELEASE, "3000.00", {}),
                (EntryKind.EXPENDITURE, "3500.00", spent),
                (EntryKind.RETURN_UNSPENT, "500.00", {}),
                (
                    EntryKind.COFUND_RECEIPT,
                    "800.00",
                    {"contributor": "驻区单位", "contributor_kind": "unit"},
                ),
            ]
            for k, (kind, amount, extra) in enumerate(steps):
                rows.append(
                    LedgerEntry(
                        fund=fund,
                        project=p,
                        kind=kind,
                        amount=Decimal(amount),
                        actor=self.resident,
                        memo=str(kind),
                        created_at=start + timedelta(minutes=k),
                        **extra,
                    )
                )
        # each fund is given enough money just before its first project of this batch
        for fund, (count, earliest) in per_fund.items():
            rows.append(
                LedgerEntry(
                    fund=fund,
                    kind=EntryKind.APPROPRIATION,
                    amount=Decimal(count * 10000 + 100000),
                    actor=self.supervisor,
                    memo="拨入",
                    created_at=earliest - timedelta(minutes=1),
                )
            )
        LedgerEntry.objects.bulk_create(rows, batch_size=5000)
        self.entries += len(rows)
        if self.measured_project is None:
            self.measured_project = projects[0]


def history_months(until: date) -> list[date]:
    out, m = [], HISTORY_START
    while m < until:
        out.append(m)
        m = date(m.year + (m.month // 12), m.month % 12 + 1, 1)
    return out


# --- measuring ----------------------------------------------------------------------------
def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, int]:
    fn()  # warm up (template loading, URL resolving)
    times = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        queries = len(ctx)
    return statistics.median(times) * 1000, queries


def reads(world: World, client: Client, supervisor: Client) -> dict[str, Callable[[], Any]]:
    from projects import ledger

    community = world.community
    fund = world.fund(community, MEASURED.year)
    month = f"{MEASURED:%Y-%m}"

    def ok(response: Any) -> Any:
        assert response.status_code == 200, (response.status_code, response.content[:300])
        return response

    return {
        "fund_balances (this year's fund)": lambda: ledger.fund_balances(fund),
        "project_balances": lambda: ledger.project_balances(world.measured_project),
        "statement_build (function)": lambda: ledger.statement_build(
            community=community, month=MEASURED
        ),
        "statement page (HTML)": lambda: ok(
            client.get(f"/communities/{community.slug}/statements/{month}/")
        ),
        "statement CSV": lambda: ok(
            client.get(f"/communities/{community.slug}/statements/{month}.csv")
        ),
        "statement API (JSON)": lambda: ok(
            client.get(f"/api/v1/communities/{community.pk}/statements/{month}/")
        ),
        "statement index page": lambda: ok(
            client.get(f"/communities/{community.slug}/statements/")
        ),
        "fund entries API (page 1)": lambda: ok(client.get(f"/api/v1/funds/{fund.pk}/entries/")),
        "street view (10 communities)": lambda: ok(
            supervisor.get(f"/streets/{world.street.pk}/statements/{month}/")
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,100000", help="ledger sizes to measure at, ascending"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    setup_test_environment()
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(Path(_TMP) / "test.sqlite3")
    vendor = connection.vendor
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        _urlconf()
        settings.MEDIA_ROOT = _TMP
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        world = World()
        client = Client()
        supervisor = Client()
        supervisor.force_login(world.supervisor)
        months = history_months(MEASURED)
        results: dict[int, dict[str, tuple[float, int]]] = {}
        # the measured month: the same 200 entries at every size
        world.add_projects(
            MONTH_ENTRIES // PER_PROJECT, months=[MEASURED], communities=[world.community]
        )
        for size in sizes:
            grow = size - world.entries
            if grow > 0:
                started = time.perf_counter()
                n = max(1, grow // PER_PROJECT)
                mine = n * 9 // 10
                world.add_projects(mine, months=months, communities=[world.community])
                world.add_projects(n - mine, months=months, communities=world.communities[1:])
                print(
                    f"[{vendor}] built ledger of {world.entries:,} entries in {time.perf_counter() - started:.1f}s",
                    flush=True,
                )
            if vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("ANALYZE")
            results[size] = {
                name: measure(fn, args.repeat)
                for name, fn in reads(world, client, supervisor).items()
            }
            results[size]["__entries__"] = (float(world.entries), 0)

        names = [n for n in results[sizes[0]] if n != "__entries__"]
        labels = [f"{results[s]['__entries__'][0]:,.0f} entries" for s in sizes]
        head = "".join(f"{label:>22}" for label in labels)
        print(
            f"\n{vendor}: median of {args.repeat}; time (ms) / queries\n{'read':<34}{head}{'time ratio':>12}  queries"
        )
        grew = []
        for name in names:
            cells = "".join(
                f"{results[s][name][0]:>14.1f} ms {results[s][name][1]:>3}q" for s in sizes
            )
            ratio = results[sizes[-1]][name][0] / max(results[sizes[0]][name][0], 1e-6)
            counts = {results[s][name][1] for s in sizes}
            same = "constant" if len(counts) == 1 else "GREW"
            if len(counts) != 1:
                grew.append(name)
            print(f"{name:<34}{cells}{ratio:>11.1f}x  {same}")
        page = [results[s]["statement page (HTML)"] for s in sizes]
        summary = (
            f"ledger {vendor}: statement page {page[0][0]:.0f} ms → {page[-1][0]:.0f} ms "
            f"({results[sizes[0]]['__entries__'][0]:,.0f} → {results[sizes[-1]]['__entries__'][0]:,.0f} entries), "
            f"queries {page[0][1]} → {page[-1][1]}; query counts "
            + ("constant for every read" if not grew else f"GREW for: {', '.join(grew)}")
        )
        print("\n" + summary)
        return 1 if grew else 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    raise SystemExit(main())
