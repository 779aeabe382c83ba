"""``manage.py seed_city [--scale 1]``: a whole city at the scale of the source reports (93
communities in 10 districts, 3 years of 1,241 projects, ~100,000 ledger entries a year, 300,000
residents, a million evaluation ballots), bulk-loaded and consistent (``opendata/city/``).
Prints each phase's time. On SQLite only a small ``--scale`` (≤ 0.05)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from opendata import city
from projects.models import Community


class Command(BaseCommand):
    help = "Bulk-load a city at the scale of the reports (PostgreSQL; small --scale elsewhere)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1 = the reports' size")
        parser.add_argument("--seed", type=int, default=2013, help="random seed")

    def handle(self, *args: Any, **options: Any) -> None:
        scale = options["scale"]
        if not 0 < scale <= 2:
            raise CommandError("--scale must be in (0, 2]")
        if connection.vendor != "postgresql" and scale > 0.05:
            raise CommandError(
                "seed_city at this scale needs PostgreSQL (DATABASE_URL); on SQLite use --scale 0.05 or less"
            )
        if Community.objects.filter(slug__startswith="city-").exists():
            raise CommandError("the city is already seeded (communities city-*)")
        started = time.perf_counter()
        city.seed(scale, out=self.stdout.write, seed=options["seed"])
        self.stdout.write(f"{'total':<24} {'':>10}      {time.perf_counter() - started:7.1f} s")
