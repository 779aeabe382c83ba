"""``manage.py reproduce_figures DIR [--place ID] [--year YYYY]``: recompute the dashboard figures
of a place and year from the open-data files in DIR alone (``opendata/reproduce.py``: the csv
module, no database) and compare them with the published ones (``dashboards.figures.
place_figures``). Prints every difference; exit code 1 when there is any."""

from __future__ import annotations

import importlib
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from opendata import reproduce
from projects.models.places import Place


class Command(BaseCommand):
    help = (
        "Recompute the dashboard figures from downloaded open-data files; exit 1 on a difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="a downloaded open-data snapshot (the CSV files)")
        parser.add_argument("--place", type=int, help="place id (default: every root place)")
        parser.add_argument("--year", type=int, help="the year (default: this year)")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        if not (folder / "places.csv").is_file():
            raise CommandError(f"{folder}: no places.csv (download a whole snapshot)")
        if not (folder / "dictionary.json").is_file():
            raise CommandError(f"{folder}: no dictionary.json (download a whole snapshot)")
        try:
            published_figures = importlib.import_module("dashboards.figures").place_figures
        except ImportError as exc:
            raise CommandError(f"no published figures to compare with: {exc}") from None
        year = options["year"] or timezone.localdate().year
        start, end = date(year, 1, 1), date(year, 12, 31)
        places = (
            Place.objects.filter(pk=options["place"])
            if options["place"]
            else Place.objects.filter(parent__isnull=True)
        )
        if not places:
            raise CommandError("no such place")
        found = 0
        for place in places:
            mine = reproduce.figures(folder, place.pk, start, end)
            published = published_figures(place, start, end)
            diffs = reproduce.differences(published, mine)
            found += len(diffs)
            status = "OK" if not diffs else f"{len(diffs)} difference(s)"
            self.stdout.write(f"{place.name} #{place.pk} {year}: {status}")
            for line in diffs:
                self.stdout.write(f"  {line}")
        if found:
            sys.exit(1)
