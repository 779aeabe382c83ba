"""Read and write participatory-budgeting elections in the Pabulib ``.pb`` format.

A ``.pb`` file (https://pabulib.org/format) has three sections, in this order::

    META                      PROJECTS                      VOTES
    key;value                 project_id;cost;...           voter_id;vote;...
    budget;1000000            p1;50000;...                  v1;p1,p3;...
    vote_type;approval        ...                           ...

Each section starts with a line holding only its name, followed by a header row and data rows.
Cells are separated by ``;`` and may be double-quoted as in CSV (a quoted cell may contain ``;``,
``""`` or a line break). Within the ``vote`` (and ``points``) cell, items are separated by ``,``.

This module is pure Python (stdlib only) and does not depend on Django.

* :func:`read` / :func:`loads` parse a file / a string into an :class:`Election`.
* :func:`write` / :func:`dumps` serialise an :class:`Election` back to the format.

Supported vote types: ``approval``, ``choose-1``, ``cumulative``, ``scoring`` and ``ordinal``. For
ordinal ballots the ``vote`` cell lists the projects in preference order (best first); for
cumulative and scoring ballots the ``points`` cell gives each listed project's points.

Numbers are kept exact: integers become :class:`int`, numbers with a fractional part become
:class:`decimal.Decimal` (``1721654.65`` stays ``Decimal('1721654.65')``); floats are never used.

Malformed input raises :class:`PabulibError`, whose message starts with ``line N:``. The reader is
strict: every data row must have exactly as many cells as its header, project and voter ids must be
unique, ballots may only name known projects (and at most once), costs must be non-negative
numbers, and ``num_projects`` / ``num_votes`` in META, when given, must match the file.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Protocol, TextIO

__all__ = [
    "VOTE_TYPES",
    "Ballot",
    "Election",
    "Number",
    "PabulibError",
    "ProjectRow",
    "dumps",
    "loads",
    "parse_number",
    "read",
    "write",
]

Number = int | Decimal
"""An exact number read from a file: ``int`` when integral in the file, else ``Decimal``."""

VOTE_TYPES: Final = frozenset({"approval", "choose-1", "cumulative", "scoring", "ordinal"})
"""The ``vote_type`` values this module reads and writes."""

POINTS_VOTE_TYPES: Final = frozenset({"cumulative", "scoring"})
"""Vote types whose ballots carry a ``points`` cell."""

_SECTIONS: Final = ("META", "PROJECTS", "VOTES")
_PROJECT_FIELDS: Final = ("project_id", "cost", "votes", "score", "name", "selected")
_NUMBER_RE: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


class PabulibError(ValueError):
    """A ``.pb`` file is malformed; :attr:`line` is the 1-based line number of the problem."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """One row of the PROJECTS section.

    ``votes``, ``score``, ``name`` and ``selected`` are ``None`` when the file has no such column
    (or the cell is empty); every other column is kept verbatim in ``extra``.
    """

    project_id: str
    cost: Number
    name: str | None = None
    votes: int | None = None
    score: Number | None = None
    selected: bool | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Ballot:
    """One row of the VOTES section.

    ``projects`` is the ``vote`` cell in file order (preference order for ordinal ballots).
    ``points`` is aligned with ``projects`` for cumulative and scoring ballots, else ``None``.
    Every other column is kept verbatim in ``extra``.
    """

    voter_id: str
    projects: tuple[str, ...]
    points: tuple[Number, ...] | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Election:
    """A whole ``.pb`` file.

    ``meta`` holds the META section verbatim (string values). ``projects`` maps project id to row,
    in file order. ``project_columns`` / ``vote_columns`` record the header order read from the
    file so that :func:`dumps` can reproduce it; they do not take part in equality.
    """

    meta: dict[str, str]
    projects: dict[str, ProjectRow]
    votes: list[Ballot]
    project_columns: tuple[str, ...] = field(default=(), compare=False)
    vote_columns: tuple[str, ...] = field(default=(), compare=False)

    @property
    def vote_type(self) -> str:
        """META ``vote_type`` (``approval`` when absent, as in the Pabulib format)."""
        return self.meta.get("vote_type", "approval")

    @property
    def budget(self) -> Number:
        """META ``budget`` as an exact number."""
        value = parse_number(self.meta.get("budget", ""))
        if value is None or value < 0:
            raise ValueError(
                f"META budget is not a non-negative number: {self.meta.get('budget')!r}"
            )
        return value

    @property
    def rule(self) -> str | None:
        """META ``rule`` (the rule that produced the official outcome), if any."""
        return self.meta.get("rule")

    def selected_ids(self) -> list[str] | None:
        """Ids of the projects marked selected in the file, in file order (``None`` if no column)."""
        if any(row.selected is None for row in self.projects.values()):
            return None
        return [pid for pid, row in self.projects.items() if row.selected]


def parse_number(text: str) -> Number | None:
    """Parse ``-12``, ``34`` or ``5.60`` exactly; return ``None`` if ``text`` is not such a number."""
    text = text.strip()
    if not _NUMBER_RE.fullmatch(text):
        return None
    if "." in text:
        return Decimal(text)
    return int(text)


# --------------------------------------------------------------------------------------- reading


def read(path: str | os.PathLike[str]) -> Election:
    """Read a ``.pb`` file (UTF-8, with or without BOM)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return _Reader(handle).election()


def loads(text: str) -> Election:
    """Parse the text of a ``.pb`` file."""
    return _Reader(io.StringIO(text.removeprefix("\ufeff"), newline="")).election()


class _Reader:
    """Single-pass parser over ``csv`` rows; tracks the current line for error messages."""

    def __init__(self, handle: TextIO) -> None:
        self._rows = csv.reader(handle, delimiter=";", quotechar='"', strict=True)
        self._line = 0
        self._pending: list[str] | None = None
        self._meta_lines: dict[str, int] = {}

    # ---- row access

    def _next_row(self) -> list[str] | None:
        """Next non-blank row with stripped cells, or ``None`` at end of input."""
        if self._pending is not None:
            row, self._pending = self._pending, None
            return row
        try:
            for row in self._rows:
                self._line = self._rows.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                return [cell.strip() for cell in row]
        except csv.Error as exc:
            raise PabulibError(f"malformed CSV: {exc}", self._rows.line_num) from None
        self._line = self._rows.line_num
        return None

    def _push_back(self, row: list[str]) -> None:
        self._pending = row

    def _error(self, message: str) -> PabulibError:
        return PabulibError(message, max(self._line, 1))

    def _section_rows(self) -> Iterator[list[str]]:
        """Data rows up to the next section header (which is pushed back) or end of input."""
        while (row := self._next_row()) is not None:
            if _section_name(row) is not None:
                self._push_back(row)
                return
            yield row

    def _expect_section(self, name: str) -> list[str]:
        """Consume the ``name`` section line and its header row; return the header."""
        row = self._next_row()
        if row is None:
            if self._line == 0:
                raise PabulibError("empty file", 1)
            raise PabulibError(f"missing {name} section (the file ends here)", self._line)
        found = _section_name(row)
        if found != name:
            what = f"{found} section" if found else f"row {';'.join(row)[:40]!r}"
            raise self._error(f"expected {name} section, found {what}")
        header = self._next_row()
        if header is None or _section_name(header) is not None:
            raise self._error(f"{name} section has no header row")
        if len(set(header)) != len(header):
            raise self._error(f"duplicate column in {name} header")
        return header

    def _check_width(self, row: list[str], header: list[str], section: str) -> None:
        if len(row) != len(header):
            raise self._error(f"{section} row has {len(row)} columns, header has {len(header)}")

    # ---- sections

    def election(self) -> Election:
        meta = self._meta()
        vote_type = meta.get("vote_type", "approval")
        project_header, projects = self._projects()
        vote_header, votes = self._votes(vote_type, projects)
        self._check_counts(meta, projects, votes)
        return Election(meta, projects, votes, tuple(project_header), tuple(vote_header))

    def _meta(self) -> dict[str, str]:
        header = self._expect_section("META")
        if [cell.lower() for cell in header] != ["key", "value"]:
            raise self._error("META header must be 'key;value'")
        meta: dict[str, str] = {}
        for row in self._section_rows():
            self._check_width(row, header, "META")
            key, value = row
            if not key:
                raise self._error("empty META key")
            if key in meta:
                raise self._error(f"duplicate META key {key!r}")
            meta[key] = value
            self._meta_lines[key] = self._line
            self._check_meta_value(key, value)
        for required in ("budget",):
            if required not in meta:
                raise self._error(f"META has no {required!r}")
        return meta

    def _check_meta_value(self, key: str, value: str) -> None:
        if key == "vote_type" and value not in VOTE_TYPES:
            raise self._error(f"unsupported vote_type {value!r}")
        if key == "budget":
            number = parse_number(value)
            if number is None or number < 0:
                raise self._error(f"budget is not a non-negative number: {value!r}")

    def _projects(self) -> tuple[list[str], dict[str, ProjectRow]]:
        header = self._expect_section("PROJECTS")
        for required in ("project_id", "cost"):
            if required not in header:
                raise self._error(f"PROJECTS header has no {required!r} column")
        projects: dict[str, ProjectRow] = {}
        for row in self._section_rows():
            self._check_width(row, header, "PROJECTS")
            project = self._project(dict(zip(header, row, strict=True)))
            if project.project_id in projects:
                raise self._error(f"duplicate project_id {project.project_id!r}")
            projects[project.project_id] = project
        return header, projects

    def _project(self, cells: dict[str, str]) -> ProjectRow:
        project_id = cells.pop("project_id")
        if not project_id or "," in project_id:
            raise self._error(f"invalid project_id {project_id!r}")
        cost = parse_number(cells.pop("cost"))
        if cost is None or cost < 0:
            raise self._error(f"cost of project {project_id!r} is not a non-negative number")
        votes = self._optional_number(cells.pop("votes", ""), "votes", project_id)
        if votes is not None and not isinstance(votes, int):
            raise self._error(f"votes of project {project_id!r} is not an integer")
        return ProjectRow(
            project_id=project_id,
            cost=cost,
            name=cells.pop("name", None),
            votes=votes,
            score=self._optional_number(cells.pop("score", ""), "score", project_id),
            selected=self._selected(cells.pop("selected", ""), project_id),
            extra=cells,
        )

    def _optional_number(self, text: str, column: str, project_id: str) -> Number | None:
        if not text or text.lower() == "none":
            return None
        value = parse_number(text)
        if value is None:
            raise self._error(f"{column} of project {project_id!r} is not a number: {text!r}")
        return value

    def _selected(self, text: str, project_id: str) -> bool | None:
        if not text or text.lower() == "none":
            return None
        if text not in ("0", "1"):
            raise self._error(f"selected of project {project_id!r} must be 0 or 1, got {text!r}")
        return text == "1"

    def _votes(
        self, vote_type: str, projects: Mapping[str, ProjectRow]
    ) -> tuple[list[str], list[Ballot]]:
        """Read the VOTES section, which must run to the end of the input (hot loop)."""
        header = self._expect_section("VOTES")
        uses_points = vote_type in POINTS_VOTE_TYPES
        for required in ("voter_id", "vote", *(("points",) if uses_points else ())):
            if required not in header:
                raise self._error(f"VOTES header has no {required!r} column")
        id_col, vote_col = header.index("voter_id"), header.index("vote")
        points_col = header.index("points") if uses_points else -1
        extra_cols = [
            (i, name) for i, name in enumerate(header) if i not in (id_col, vote_col, points_col)
        ]
        known = frozenset(projects)
        width = len(header)
        seen: set[str] = set()
        votes: list[Ballot] = []
        rows = self._rows
        try:
            for raw in rows:
                self._line = rows.line_num
                if len(raw) != width and self._skip_or_fail(raw, header):
                    continue
                row = [cell.strip() for cell in raw]
                voter_id = row[id_col]
                if not voter_id or voter_id in seen:
                    problem = "duplicate" if voter_id else "empty"
                    raise self._error(f"{problem} voter_id {voter_id!r}")
                seen.add(voter_id)
                chosen = self._vote_list(row[vote_col], vote_type, known)
                points = self._points(row[points_col], chosen) if uses_points else None
                extra = {name: row[i] for i, name in extra_cols}
                votes.append(Ballot(voter_id, chosen, points, extra))
        except csv.Error as exc:
            raise PabulibError(f"malformed CSV: {exc}", rows.line_num) from None
        return header, votes

    def _skip_or_fail(self, raw: list[str], header: list[str]) -> bool:
        """``True`` for a blank line; raise for a misplaced section or a wrong column count."""
        if not raw or (len(raw) == 1 and not raw[0].strip()):
            return True
        name = _section_name([cell.strip() for cell in raw])
        if name is not None:
            raise self._error(f"unexpected {name} section after VOTES")
        self._check_width(raw, header, "VOTES")
        return False

    def _vote_list(self, text: str, vote_type: str, known: frozenset[str]) -> tuple[str, ...]:
        if not text:
            return ()
        chosen = [item.strip() for item in text.split(",")]
        distinct = set(chosen)
        if not distinct.issubset(known):
            unknown = next(item for item in chosen if item not in known)
            raise self._error(f"vote names unknown project {unknown!r}")
        if len(distinct) != len(chosen):
            raise self._error("vote names the same project twice")
        if vote_type == "choose-1" and len(chosen) > 1:
            raise self._error("choose-1 vote names more than one project")
        return tuple(chosen)

    def _points(self, text: str, chosen: tuple[str, ...]) -> tuple[Number, ...]:
        items = [item.strip() for item in text.split(",")] if text else []
        if len(items) != len(chosen):
            raise self._error(f"{len(items)} points for {len(chosen)} voted projects")
        points: list[Number] = []
        for item in items:
            value = parse_number(item)
            if value is None:
                raise self._error(f"points value is not a number: {item!r}")
            points.append(value)
        return tuple(points)

    def _check_counts(
        self, meta: Mapping[str, str], projects: Mapping[str, object], votes: Sequence[object]
    ) -> None:
        for key, actual in (("num_projects", len(projects)), ("num_votes", len(votes))):
            declared = meta.get(key)
            if declared is not None and parse_number(declared) != actual:
                line = self._meta_lines[key]
                raise PabulibError(f"META {key} is {declared!r} but the file has {actual}", line)


def _section_name(row: list[str]) -> str | None:
    """``META``/``PROJECTS``/``VOTES`` if ``row`` is a section line, else ``None``."""
    if len(row) == 1:
        name = row[0].upper()
        if name in _SECTIONS:
            return name
    return None


# --------------------------------------------------------------------------------------- writing


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
