"""Dated snapshots of the open data, each file with its SHA-256.

A streamed response cannot know its hash before it ends, so once a day (the clock's ``tick``, or
``manage.py build_open_data``) every dataset is written to ``MEDIA_ROOT/open-data/<date>/``,
streaming to disk and hashing as it writes, with ``manifest.json`` (each file's name, dataset,
format, size, row count and SHA-256) and ``SHA256SUMS`` (for ``sha256sum -c``). The open-data
page serves the latest snapshot; a snapshot is built in a temporary folder and renamed into place
whole, so a half-written one is never served.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from deliberation import ballots, pabulib
from opendata.datasets import (
    DATASETS,
    DICTIONARY,
    LICENCE,
    LICENCE_URL,
    Filters,
    counted_rounds,
    dictionary,
)
from opendata.streaming import csv_chunks, json_chunks

MANIFEST = "manifest.json"
PB_DIR = "budget-ballots"


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "open-data"


class _Counter:
    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self.rows = rows
        self.n = 0

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for row in self.rows:
            self.n += 1
            yield row


def _write(path: Path, parts: Iterable[bytes]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        for part in parts:
            out.write(part)
            digest.update(part)
            size += len(part)
    return size, digest.hexdigest()


def build(day: date | None = None, *, base: Path | None = None) -> dict[str, Any]:
    """Write today's snapshot (replacing one of the same day) and return its manifest."""
    day = day or timezone.localdate()
    base = base or root()
    base.mkdir(parents=True, exist_ok=True)
    work = base / f".building-{day.isoformat()}"
    if work.exists():
        shutil.rmtree(work)
    (work / PB_DIR).mkdir(parents=True)
    everything = Filters()
    files = _dataset_files(work, everything) + _ballot_files(work, everything)
    manifest = _write_manifest(work, day, files)
    final = base / day.isoformat()
    if final.exists():
        shutil.rmtree(final)
    work.rename(final)
    return manifest


def _dataset_files(work: Path, everything: Filters) -> list[dict[str, Any]]:
    """Every dataset as CSV and as JSON; the manifest's entry of each file."""
    files: list[dict[str, Any]] = []
    for dataset in DATASETS.values():
        for fmt, writer in (("csv", csv_chunks), ("json", json_chunks)):
            rows = _Counter(dataset.rows(everything))
            name = f"{dataset.slug}.{fmt}"
            size, sha = _write(work / name, writer(dataset.names, rows))
            files.append(
                {
                    "name": name,
                    "dataset": dataset.slug,
                    "format": fmt,
                    "bytes": size,
                    "rows": rows.n,
                    "sha256": sha,
                }
            )
    return files


def _ballot_files(work: Path, everything: Filters) -> list[dict[str, Any]]:
    """A Pabulib file per counted budget round; the manifest's entry of each file."""
    files: list[dict[str, Any]] = []
    for rnd in counted_rounds(everything).iterator(chunk_size=100):
        election = ballots.round_to_election(rnd)
        name = f"{PB_DIR}/round-{rnd.pk}.pb"
        size, sha = _write(work / name, [pabulib.dumps(election).encode()])
        files.append(
            {
                "name": name,
                "dataset": "budget_ballots",
                "format": "pb",
                "bytes": size,
                "rows": len(election.votes),
                "sha256": sha,
                "community": rnd.community.slug,
                "year": timezone.localtime(rnd.closes_at).year,
                "title": rnd.title,
            }
        )
    return files


def _write_manifest(work: Path, day: date, files: list[dict[str, Any]]) -> dict[str, Any]:
    """``manifest.json``, the data dictionary and ``SHA256SUMS``; returns the manifest."""
    manifest = {
        "snapshot": day.isoformat(),
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "files": files,
    }
    (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    words = json.dumps(dictionary(), ensure_ascii=False, indent=1) + "\n"
    (work / DICTIONARY).write_text(words)
    sums = [(f["sha256"], f["name"]) for f in files]
    sums.append((hashlib.sha256(words.encode()).hexdigest(), DICTIONARY))
    (work / "SHA256SUMS").write_text("".join(f"{sha}  {name}\n" for sha, name in sums))
    return manifest


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    manifest: dict[str, Any]

    @property
    def day(self) -> str:
        return str(self.manifest["snapshot"])

    def file(self, name: str) -> dict[str, Any] | None:
        return next((f for f in self.manifest["files"] if f["name"] == name), None)


def latest(base: Path | None = None) -> Snapshot | None:
    base = base or root()
    if not base.is_dir():
        return None
    days = sorted(
        (p for p in base.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file()),
        key=lambda p: p.name,
    )
    if not days:
        return None
    folder = days[-1]
    return Snapshot(folder, json.loads((folder / MANIFEST).read_text()))


def built_today(base: Path | None = None) -> bool:
    snap = latest(base)
    return snap is not None and snap.day == timezone.localdate().isoformat()
