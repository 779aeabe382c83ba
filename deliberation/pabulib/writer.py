"""Writing ``.pb`` files: refuses what :func:`~deliberation.pabulib.loads` could not read back."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol

from deliberation.pabulib.model import (
    _NUMBER_RE,
    _PROJECT_FIELDS,
    POINTS_VOTE_TYPES,
    VOTE_TYPES,
    Ballot,
    Election,
    Number,
    ProjectRow,
    parse_number,
)


def write(election: Election, path: str | os.PathLike[str]) -> None:
    """Write ``election`` to ``path`` in the Pabulib format (UTF-8, CRLF line ends)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(dumps(election))


def dumps(election: Election) -> str:
    """Serialise ``election`` to the Pabulib format; ``loads(dumps(e)) == e``.

    Columns follow ``election.project_columns`` / ``vote_columns`` when they name exactly the
    columns needed, else a canonical order (standard columns first, then ``extra`` keys in order of
    first appearance). Raises ``ValueError`` for content the format cannot represent (an id with a
    comma or surrounding blanks, a vote naming an unknown project, inconsistent counts, ...).
    """
    _validate_for_writing(election)
    out = io.StringIO()
    # CRLF as in the published files; it also makes the csv module quote cells holding a bare CR.
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\r\n")
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    for key, value in election.meta.items():
        writer.writerow([key, value])
    _write_projects(writer, election)
    _write_votes(writer, election)
    return out.getvalue()


def _write_projects(writer: _CsvWriter, election: Election) -> None:
    rows = list(election.projects.values())
    present = {
        "votes": any(r.votes is not None for r in rows),
        "score": any(r.score is not None for r in rows),
        "name": any(r.name is not None for r in rows),
        "selected": any(r.selected is not None for r in rows),
    }
    standard = [
        "project_id",
        "cost",
        *(c for c in ("votes", "score", "name", "selected") if present[c]),
    ]
    columns = _column_order(standard, (r.extra for r in rows), election.project_columns)
    writer.writerow(["PROJECTS"])
    writer.writerow(columns)
    for row in rows:
        cells = {
            "project_id": row.project_id,
            "cost": _format_number(row.cost),
            "votes": "" if row.votes is None else str(row.votes),
            "score": "" if row.score is None else _format_number(row.score),
            "name": row.name or "",
            "selected": "" if row.selected is None else str(int(row.selected)),
        }
        writer.writerow(
            [cells[c] if c in _PROJECT_FIELDS else row.extra.get(c, "") for c in columns]
        )


def _write_votes(writer: _CsvWriter, election: Election) -> None:
    uses_points = election.vote_type in POINTS_VOTE_TYPES
    standard = ["voter_id", "vote", *(("points",) if uses_points else ())]
    columns = _column_order(standard, (b.extra for b in election.votes), election.vote_columns)
    writer.writerow(["VOTES"])
    writer.writerow(columns)
    for ballot in election.votes:
        cells = {
            "voter_id": ballot.voter_id,
            "vote": ",".join(ballot.projects),
            "points": ",".join(_format_number(p) for p in ballot.points or ()),
        }
        writer.writerow([cells[c] if c in standard else ballot.extra.get(c, "") for c in columns])


def _column_order(
    standard: list[str], extras: Iterable[Mapping[str, str]], preferred: Sequence[str]
) -> list[str]:
    columns = list(standard)
    for extra in extras:
        columns.extend(key for key in extra if key not in columns)
    if preferred and sorted(preferred) == sorted(columns):
        return list(preferred)
    return columns


def _format_number(value: Number) -> str:
    if isinstance(value, Decimal):
        text = format(value, "f")
        if not _NUMBER_RE.fullmatch(text):
            raise ValueError(f"cannot write number {value!r}")
        return text
    return str(value)


def _validate_for_writing(election: Election) -> None:
    """Reject elections that :func:`loads` could not read back identically."""
    if election.vote_type not in VOTE_TYPES:
        raise ValueError(f"unsupported vote_type {election.vote_type!r}")
    election.budget  # noqa: B018 - raises ValueError unless META budget is a number
    for key, value in election.meta.items():
        _check_cell(key, "META key")
        _check_cell(value, "META value", allow_empty=True)
    for project_id, row in election.projects.items():
        if project_id != row.project_id:
            raise ValueError(f"project key {project_id!r} differs from row id {row.project_id!r}")
        _check_project(row)
    for ballot in election.votes:
        _check_ballot(ballot, election)
    for key, actual in (
        ("num_projects", len(election.projects)),
        ("num_votes", len(election.votes)),
    ):
        if key in election.meta and parse_number(election.meta[key]) != actual:
            raise ValueError(f"META {key} does not match the election ({actual})")


def _check_project(row: ProjectRow) -> None:
    _check_id(row.project_id, "project_id")
    _check_number(row.cost, f"cost of {row.project_id!r}", minimum=0)
    if row.votes is not None and (isinstance(row.votes, bool) or not isinstance(row.votes, int)):
        raise ValueError(f"votes of {row.project_id!r} must be an int")
    if row.score is not None:
        _check_number(row.score, f"score of {row.project_id!r}")
    if row.name is not None:
        _check_cell(row.name, "project name", allow_empty=True)
    _check_extra(row.extra, _PROJECT_FIELDS)


def _check_ballot(ballot: Ballot, election: Election) -> None:
    who = f"ballot {ballot.voter_id!r}"
    _check_id(ballot.voter_id, "voter_id")
    if any(p not in election.projects for p in ballot.projects):
        raise ValueError(f"{who} names an unknown project")
    if len(set(ballot.projects)) != len(ballot.projects):
        raise ValueError(f"{who} names a project twice")
    if election.vote_type == "choose-1" and len(ballot.projects) > 1:
        raise ValueError(f"{who} names more than one project in a choose-1 election")
    uses_points = election.vote_type in POINTS_VOTE_TYPES
    if uses_points != (ballot.points is not None):
        raise ValueError(f"{who}: points must be given iff the vote_type uses them")
    if ballot.points is not None:
        if len(ballot.points) != len(ballot.projects):
            raise ValueError(f"{who}: points not aligned with projects")
        for value in ballot.points:
            _check_number(value, f"{who} points")
    _check_extra(ballot.extra, ("voter_id", "vote", "points"))


def _check_extra(extra: Mapping[str, str], reserved: Iterable[str]) -> None:
    for key, value in extra.items():
        if key in reserved:
            raise ValueError(f"extra column {key!r} clashes with a standard column")
        _check_cell(key, "column name")
        _check_cell(value, f"{key} value", allow_empty=True)


def _check_number(value: object, what: str, *, minimum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{what} must be an int or Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{what} is not finite")
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} is below {minimum}")


def _check_id(value: str, what: str) -> None:
    _check_cell(value, what)
    if "," in value:
        raise ValueError(f"{what} {value!r} contains a comma")


def _check_cell(value: str, what: str, *, allow_empty: bool = False) -> None:
    """Cells are stripped on reading, so they must not start or end with whitespace."""
    if (not value and not allow_empty) or value != value.strip():
        raise ValueError(f"{what} {value!r} is empty or has surrounding whitespace")
    if "\x00" in value:
        raise ValueError(f"{what} {value!r} contains a NUL character")


class _CsvWriter(Protocol):
    """The part of the ``csv.writer`` interface used here."""

    def writerow(self, row: Iterable[str], /) -> object: ...
