"""manage.py backup / restore: backup -> drop everything -> restore finds every vote, ledger
entry and audit event, and a verifying audit chain."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from deliberation import services
from deliberation.models import EvaluationBallot, EvaluationParticipation, EvaluationPooledBallot
from projects.models import LedgerEntry, ProjectEvent

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


def rows(model: Any) -> list[tuple[Any, ...]]:
    fields = [f.attname for f in model._meta.concrete_fields]
    return list(model.objects.order_by("pk").values_list(*fields))


def record() -> dict[str, list[tuple[Any, ...]]]:
    return {
        m.__name__: rows(m)
        for m in (
            EvaluationParticipation,
            EvaluationBallot,
            EvaluationPooledBallot,
            LedgerEntry,
            ProjectEvent,
        )
    }


def drop_everything() -> None:
    """What a lost server leaves: an empty database."""
    connection.close()
    with connection.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    connection.close()


@pytest.fixture
def voted(project_in: Any, make_resident: Any, settings: Any) -> Any:
    voters = [make_resident() for _ in range(9)]
    project = project_in("evaluating")
    services.evaluation_open_round(project=project)
    choices = ["satisfied", "basically_satisfied", "dissatisfied"]
    for i, voter in enumerate(voters):
        services.evaluation_vote(project=project, by=voter, choice=choices[i % 3])
    photo = Path(settings.MEDIA_ROOT) / "projects" / "photo.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8\xff" + b"x" * 1000)
    return project


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_backup_drop_restore_brings_back_every_vote_entry_and_file(
    voted: Any, tmp_path: Path, settings: Any
) -> None:
    before = record()
    assert len(before["EvaluationParticipation"]) == 9
    assert before["LedgerEntry"]
    target = tmp_path / "backup"
    out = StringIO()
    call_command("backup", str(target), stdout=out)
    assert "OK: backup" in out.getvalue()

    manifest = json.loads((target / "manifest.json").read_text())
    assert set(manifest["files"]) == {"database.dump", "media.tar.gz"}
    assert manifest["figures"]["counts"]["ledger_entries"] == len(before["LedgerEntry"])
    assert manifest["figures"]["counts"]["audit_events"] == len(before["ProjectEvent"])
    assert manifest["figures"]["counts"]["evaluation_participations"] == 9
    assert manifest["migrations"]["projects"]
    assert manifest["media_files"] == 1
    for described in manifest["files"].values():
        assert len(described["sha256"]) == 64
        assert described["bytes"] > 0

    drop_everything()
    photo = Path(settings.MEDIA_ROOT) / "projects" / "photo.jpg"
    photo.unlink()
    assert connection.introspection.table_names() == []

    out = StringIO()
    call_command("restore", str(target), stdout=out)
    assert "OK: restored" in out.getvalue()
    assert "audit and ledger chains verify" in out.getvalue()
    assert record() == before
    assert photo.read_bytes().startswith(b"\xff\xd8\xff")
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK:")


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(voted: Any, tmp_path: Path) -> None:
    call_command("backup", str(tmp_path / "b"), stdout=StringIO())
    before = record()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(tmp_path / "b"), stdout=StringIO())
    assert record() == before


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_backup_whose_files_do_not_match_their_checksums(
    voted: Any, tmp_path: Path
) -> None:
    call_command("backup", str(tmp_path / "b"), stdout=StringIO())
    dump = tmp_path / "b" / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    drop_everything()
    with pytest.raises(CommandError, match=r"database\.dump does not match its checksum"):
        call_command("restore", str(tmp_path / "b"), stdout=StringIO())
    assert connection.introspection.table_names() == []  # nothing restored
    call_command("migrate", verbosity=0)  # leave a database the test runner can empty


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_backup_refuses_a_folder_that_holds_files(voted: Any, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "manifest.json").write_text("{}")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path / "old"), stdout=StringIO())


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite message")
@pytest.mark.django_db
def test_backup_says_clearly_that_it_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="need PostgreSQL"):
        call_command("backup", str(tmp_path / "b"))
    with pytest.raises(CommandError, match="need PostgreSQL"):
        call_command("restore", str(tmp_path / "b"))
