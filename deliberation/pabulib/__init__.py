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
unique, ballots may only name known projects, costs must be non-negative numbers, and
``num_projects`` / ``num_votes`` in META, when given, must match the file. An approval (or
choose-1) ballot is a set: one naming a project twice (as real published files do) counts it once,
and the line is reported in :attr:`Election.warnings`; ordinal, cumulative and scoring ballots
naming a project twice are refused.

* :mod:`.model` — the election (:class:`Election`, :class:`ProjectRow`, :class:`Ballot`);
* :mod:`.reader` — the strict parser; :mod:`.writer` — the serialiser.
"""

from deliberation.pabulib.model import (
    _PROJECT_FIELDS,
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
from deliberation.pabulib.reader import loads, read
from deliberation.pabulib.writer import dumps, write

__all__ = [
    "POINTS_VOTE_TYPES",
    "SET_VOTE_TYPES",
    "VOTE_TYPES",
    "_PROJECT_FIELDS",
    "Ballot",
    "Election",
    "Number",
    "PabulibError",
    "PabulibWarning",
    "ProjectRow",
    "dumps",
    "loads",
    "parse_number",
    "read",
    "write",
]
