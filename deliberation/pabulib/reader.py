"""Reading ``.pb`` files: a strict single-pass parser that names the line of every problem."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TextIO

from deliberation.pabulib.model import (
    _SECTIONS,
    POINTS_VOTE_TYPES,
    SET_VOTE_TYPES,
    VOTE_TYPES,
    Ballot,
    Election,
    Number,
    PabulibError,
    PabulibWarning,
    ProjectRow,
    parse_number,
)


def read(path: str | os.PathLike[str], *, extras: bool = True) -> Election:
    """Read a ``.pb`` file (UTF-8, with or without BOM).

    ``extras=False`` leaves out the VOTES section's other columns (each ballot's ``extra`` is
    empty): what the rules need, faster on large files. The file is checked in full either way."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return _Reader(handle, extras=extras).election()


def loads(text: str, *, extras: bool = True) -> Election:
    """Parse the text of a ``.pb`` file (``extras`` as for :func:`read`)."""
    handle = io.StringIO(text.removeprefix("\ufeff"), newline="")
    return _Reader(handle, extras=extras).election()


class _Reader:
    """Single-pass parser over ``csv`` rows; tracks the current line for error messages."""

    def __init__(self, handle: TextIO, *, extras: bool = True) -> None:
        self._extras = extras
        self._rows = csv.reader(handle, delimiter=";", quotechar='"', strict=True)
        self._line = 0
        self._pending: list[str] | None = None
        self._meta_lines: dict[str, int] = {}
        self._warnings: list[PabulibWarning] = []

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
        return Election(
            meta, projects, votes, tuple(project_header), tuple(vote_header), self._warnings
        )

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
        header, id_col, vote_col, points_col, extra_cols = self._votes_header(vote_type)
        known = frozenset(projects)
        width = len(header)
        most = 1 if vote_type == "choose-1" else len(known)  # more ids than this is refused
        seen: set[str] = set()
        votes: list[Ballot] = []
        rows = self._rows
        # The line number is only looked up on the paths that report it (errors, warnings).
        try:
            for raw in rows:
                if len(raw) != width and self._skip_or_fail(raw, header, rows.line_num):
                    continue
                voter_id = raw[id_col].strip()
                if voter_id in seen or not voter_id:
                    raise self._voter_error(voter_id, rows.line_num)
                seen.add(voter_id)
                text = raw[vote_col].strip()
                chosen = tuple(text.split(",")) if text else ()
                distinct = set(chosen)
                # the common case: known ids, each once; anything else goes the careful way
                if not distinct <= known or len(chosen) > min(len(distinct), most):
                    self._line = rows.line_num
                    chosen = self._vote_list(text, vote_type, known, voter_id)
                points = None
                if points_col >= 0:
                    self._line = rows.line_num
                    points = self._points(raw[points_col].strip(), chosen)
                extra = {name: raw[i].strip() for i, name in extra_cols}
                votes.append(Ballot(voter_id, chosen, points, extra))
        except csv.Error as exc:
            raise PabulibError(f"malformed CSV: {exc}", rows.line_num) from None
        return header, votes

    def _votes_header(
        self, vote_type: str
    ) -> tuple[list[str], int, int, int, list[tuple[int, str]]]:
        """The VOTES header; the columns of the voter id, the vote, the points (-1: none) and
        the others (none when the reader leaves the voter details out)."""
        header = self._expect_section("VOTES")
        uses_points = vote_type in POINTS_VOTE_TYPES
        for required in ("voter_id", "vote", *(("points",) if uses_points else ())):
            if required not in header:
                raise self._error(f"VOTES header has no {required!r} column")
        id_col, vote_col = header.index("voter_id"), header.index("vote")
        points_col = header.index("points") if uses_points else -1
        standard = (id_col, vote_col, points_col)
        extra_cols = [(i, name) for i, name in enumerate(header) if i not in standard]
        return header, id_col, vote_col, points_col, extra_cols if self._extras else []

    def _voter_error(self, voter_id: str, line: int) -> PabulibError:
        self._line = line
        return self._error(f"{'duplicate' if voter_id else 'empty'} voter_id {voter_id!r}")

    def _skip_or_fail(self, raw: list[str], header: list[str], line: int) -> bool:
        """``True`` for a blank line; raise for a misplaced section or a wrong column count."""
        self._line = line
        if not raw or (len(raw) == 1 and not raw[0].strip()):
            return True
        name = _section_name([cell.strip() for cell in raw])
        if name is not None:
            raise self._error(f"unexpected {name} section after VOTES")
        self._check_width(raw, header, "VOTES")
        return False

    def _vote_list(
        self, text: str, vote_type: str, known: frozenset[str], voter_id: str
    ) -> tuple[str, ...]:
        if not text:
            return ()
        chosen = [item.strip() for item in text.split(",")]
        distinct = set(chosen)
        if not distinct.issubset(known):
            unknown = next(item for item in chosen if item not in known)
            raise self._error(f"vote names unknown project {unknown!r}")
        if len(distinct) != len(chosen):
            chosen = self._once_each(chosen, vote_type, voter_id)
        if vote_type == "choose-1" and len(chosen) > 1:
            raise self._error("choose-1 vote names more than one project")
        return tuple(chosen)

    def _once_each(self, chosen: list[str], vote_type: str, voter_id: str) -> list[str]:
        """An approval (or choose-1) ballot is a set: a project named twice counts once, and the
        line is reported in :attr:`Election.warnings`. Other ballots are refused."""
        if vote_type not in SET_VOTE_TYPES:
            raise self._error("vote names the same project twice")
        repeated = sorted({p for p in chosen if chosen.count(p) > 1})
        self._warnings.append(
            PabulibWarning(
                max(self._line, 1),
                f"vote of voter {voter_id!r} names {', '.join(repeated)} more than once;"
                " counted once",
            )
        )
        return list(dict.fromkeys(chosen))

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
