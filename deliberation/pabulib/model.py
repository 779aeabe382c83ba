"""The election read from or written to a ``.pb`` file: META, project rows, ballots.

Pure Python (stdlib only); no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

Number = int | Decimal
"""An exact number read from a file: ``int`` when integral in the file, else ``Decimal``."""

VOTE_TYPES: Final = frozenset({"approval", "choose-1", "cumulative", "scoring", "ordinal"})
"""The ``vote_type`` values this module reads and writes."""

POINTS_VOTE_TYPES: Final = frozenset({"cumulative", "scoring"})
"""Vote types whose ballots carry a ``points`` cell."""

SET_VOTE_TYPES: Final = frozenset({"approval", "choose-1"})
"""Vote types whose ballot is a set: a project named twice is counted once (with a warning)."""

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
class PabulibWarning:
    """Something in a ``.pb`` file that was read in a stated way rather than refused."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


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
    file so that :func:`dumps` can reproduce it; ``warnings`` lists what the reader accepted in a
    stated way (an approval ballot naming a project twice, counted once). None of these three
    takes part in equality.
    """

    meta: dict[str, str]
    projects: dict[str, ProjectRow]
    votes: list[Ballot]
    project_columns: tuple[str, ...] = field(default=(), compare=False)
    vote_columns: tuple[str, ...] = field(default=(), compare=False)
    warnings: list[PabulibWarning] = field(default_factory=list, compare=False)

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
