"""Backups that restore: ``manage.py backup DIR`` and ``manage.py restore DIR`` (PostgreSQL).

A backup is a folder of three files:

- ``database.dump``: ``pg_dump --format=custom`` of the whole database;
- ``media.tar.gz``: the uploaded files (``MEDIA_ROOT``);
- ``manifest.json``: when, which version of the code, the latest migration of each app, each
  file's size and SHA-256, and the public figures at that moment: how many projects, votes of
  each kind, ledger entries and audit events, a digest of each of those tables, and each fund's
  balances.

The figures are read in the very snapshot ``pg_dump`` dumps (a REPEATABLE READ transaction whose
snapshot is handed to ``pg_dump --snapshot``), so a vote cast during the backup is in both or in
neither. ``restore`` checks the files against the manifest first, refuses any database that is
not empty, restores, then verifies the audit and ledger hash chains and compares the figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

DUMP = "database.dump"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"
FORMAT = 1

# What is counted (and digested) in the manifest: the record the public relies on.
COUNTED = {
    "projects": "projects.Project",
    "audit_events": "projects.ProjectEvent",
    "ledger_entries": "projects.LedgerEntry",
    "funds": "projects.Fund",
    "cosigns": "deliberation.CoSign",
    "objections": "deliberation.Objection",
    "decision_votes": "deliberation.DecisionVote",
    "evaluation_participations": "deliberation.EvaluationParticipation",
    "evaluation_ballots": "deliberation.EvaluationBallot",
    "budget_participations": "deliberation.BallotParticipation",
    "budget_ballots": "deliberation.Ballot",
    "users": "auth.User",
}
DIGESTED = (
    "audit_events",
    "ledger_entries",
    "cosigns",
    "decision_votes",
    "evaluation_participations",
    "evaluation_ballots",
    "budget_participations",
    "budget_ballots",
)


# --- the database ------------------------------------------------------------------------------
def require_postgres(alias: str = DEFAULT_DB_ALIAS) -> None:
    vendor = connections[alias].vendor
    if vendor != "postgresql":
        raise CommandError(
            f"backup and restore need PostgreSQL (DATABASE_URL=postgres://...); this database is"
            f" {vendor}. For SQLite, copy the file while nothing runs."
        )


def pg_env(alias: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """The connection for pg_dump/pg_restore, in libpq's variables (no password on a command line)."""
    conf = connections[alias].settings_dict
    env = dict(os.environ)
    for var, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if conf.get(key):
            env[var] = str(conf[key])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(f"{name} not found: install PostgreSQL's client (postgresql-client)")
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    r = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if r.returncode != 0:
        raise CommandError(f"{Path(args[0]).name} failed: {r.stderr.strip()[:2000]}")


def is_empty(alias: str = DEFAULT_DB_ALIAS) -> bool:
    with connections[alias].cursor() as cursor:
        return not connections[alias].introspection.table_names(cursor)


# --- the figures ---------------------------------------------------------------------------------
def _digest(model: Any) -> str:
    h = hashlib.sha256()
    fields = [f.attname for f in model._meta.concrete_fields]
    for row in model.objects.order_by("pk").values_list(*fields).iterator(chunk_size=2000):
        h.update(json.dumps(row, default=str, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def public_figures() -> dict[str, Any]:
    from projects import ledger
    from projects.models import Fund

    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    for name, label in COUNTED.items():
        model = apps.get_model(label)
        counts[name] = model.objects.count()
        if name in DIGESTED:
            digests[name] = _digest(model)
    balances = {
        str(fund.pk): {k: str(v) for k, v in ledger.fund_balances(fund).as_dict().items()}
        for fund in Fund.objects.order_by("pk")
    }
    return {"counts": counts, "digests": digests, "fund_balances": balances}


def latest_migrations(alias: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    latest: dict[str, str] = {}
    recorder = MigrationRecorder(connections[alias])
    for app, name in recorder.migration_qs.order_by("applied", "id").values_list("app", "name"):
        latest[app] = name
    return dict(sorted(latest.items()))


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("yishi")
    except PackageNotFoundError:
        v = "unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{v}+{commit}" if commit else v


# --- files -------------------------------------------------------------------------------------
def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _describe(path: Path) -> dict[str, Any]:
    return {"bytes": path.stat().st_size, "sha256": sha256_of(path)}


@contextmanager
def _snapshot(alias: str) -> Iterator[str]:
    """A read-only REPEATABLE READ transaction, and its snapshot's id for pg_dump."""
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        yield cursor.fetchone()[0]


def backup(
    target: Path, say: Callable[[str], None], alias: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    require_postgres(alias)
    pg_dump = _tool("pg_dump")
    if target.exists() and any(target.iterdir()):
        raise CommandError(f"{target} is not empty: give a new folder for each backup")
    target.mkdir(parents=True, exist_ok=True)
    if connections[alias].in_atomic_block:
        raise CommandError("backup must run outside a transaction")
    with _snapshot(alias) as snapshot:
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--file", str(target / DUMP)],
            pg_env(alias),
        )
        figures = public_figures()
        migrations = latest_migrations(alias)
    say(f"database: {target / DUMP}")

    media_root = Path(settings.MEDIA_ROOT)
    media_files = 0
    with tarfile.open(target / MEDIA, "w:gz") as tar:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=str(path.relative_to(media_root)), recursive=False)
                    media_files += 1
    say(f"media: {media_files} file(s) from {media_root}")

    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "app_version": app_version(),
        "database": {"vendor": "postgresql", "name": connections[alias].settings_dict["NAME"]},
        "migrations": migrations,
        "media_files": media_files,
        "files": {DUMP: _describe(target / DUMP), MEDIA: _describe(target / MEDIA)},
        "figures": figures,
    }
    (target / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


# --- restore -----------------------------------------------------------------------------------
def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"no readable {MANIFEST} in {source}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise CommandError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def check_files(source: Path, manifest: dict[str, Any]) -> None:
    for name, expected in manifest["files"].items():
        path = source / name
        if not path.is_file():
            raise CommandError(f"{name} is missing from {source}")
        if path.stat().st_size != expected["bytes"] or sha256_of(path) != expected["sha256"]:
            raise CommandError(f"{name} does not match its checksum in {MANIFEST}: not restored")


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two sets of figures, in words (empty when nothing does)."""
    problems: list[str] = []
    for section in ("counts", "digests", "fund_balances"):
        b, a = before.get(section, {}), after.get(section, {})
        for key in sorted(set(b) | set(a)):
            if b.get(key) != a.get(key):
                problems.append(f"{section}.{key}: {b.get(key)} in the backup, {a.get(key)} now")
    return problems


def restore(
    source: Path, say: Callable[[str], None], alias: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    require_postgres(alias)
    pg_restore = _tool("pg_restore")
    manifest = read_manifest(source)
    check_files(source, manifest)
    say(f"checksums: {', '.join(manifest['files'])} match {MANIFEST}")
    if not is_empty(alias):
        raise CommandError(
            "the database is not empty: restore only into a new, empty database"
            " (createdb, then point DATABASE_URL at it)"
        )
    connections[alias].close()
    _run(
        [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         "--dbname", connections[alias].settings_dict["NAME"], str(source / DUMP)],
        pg_env(alias),
    )  # fmt: skip
    say("database: restored")

    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA, "r:gz") as tar:
        tar.extractall(media_root, filter="data")  # no absolute paths, no links out
    say(f"media: {manifest.get('media_files', '?')} file(s) into {media_root}")
    return manifest


def verify_restored(manifest: dict[str, Any], alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """After a restore: the hash chains verify and the public figures are those of the backup."""
    from projects import audit

    connections[alias].close()
    problems = [
        f"audit chain broken: {b.label} #{b.pk}: {b.reason}"
        for b in [*audit.verify_events(None), *audit.verify_ledger(None)]
    ]
    problems += compare(manifest["figures"], public_figures())
    if latest_migrations(alias) != manifest["migrations"]:
        problems.append("the restored migrations differ from the manifest")
    return problems
