"""An evaluation ballot in one SQL statement (PostgreSQL): the vote path for a whole community
voting at once.

:func:`cast` does in one round trip, and so in one transaction of its own when no outer one is
open, what ``services._cast_checked`` does in a dozen: find the project's open round (held
``FOR KEY SHARE`` against a concurrent close, as there), check that the project is being
evaluated, the window is open and the voter is a registered resident of its community, record
the participation (``ON CONFLICT DO NOTHING`` on the one-ballot unique key: a duplicate counts
nothing), store the choice apart from the voter, add it to one part of the round's live tally and
return the tally. The part is the database session's (``EvaluationTallyShard``): ballots cast at
the same moment by different sessions do not wait for each other's commit on one row. The tally
returned is the other parts as the statement found them plus this ballot, so under a burst it
may lack a ballot committing at the same moment; what screens show is read after commit
(``services._publish_tally``). The statement is prepared once per connection
(``projects.db.fetchone``). It answers only success; anything else returns ``None`` and the caller
takes the checked path, which finds and explains the refusal (and, if the refusal was only a race,
casts there).

:func:`live_tally` reads a project's latest round's tally the same way, in one prepared statement:
what the screens are sent after every burst of votes, a few times a second per server process.

The voter is named by user id (a signed-in resident) or by API token: then the statement
authenticates its caller itself, by the rules of the API's token authentication
(``projects.api_auth.active_user_sql``), and the vote API's hot path needs no other round trip.

The statement names tables and columns from the models' ``_meta``, so a renamed field breaks it
loudly in the tests that run on PostgreSQL rather than silently here. Values fixed by the code
(the role, the states a project is evaluated in) are written into it; every value from a request
is a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import connection

from deliberation.models import (
    EvaluationBallot,
    EvaluationParticipation,
    EvaluationRound,
    EvaluationTallyShard,
)
from deliberation.tally import Tally
from projects import api_auth, db
from projects.models import Community, Membership, Project, Role


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def _col(model: type, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)  # type: ignore[attr-defined]


def _literal(value: str) -> str:
    """A value fixed by the code (a choice, a role, a state) as an SQL string literal."""
    if not re.fullmatch(r"[a-z_]+", value):
        raise ValueError(f"not a code value: {value!r}")
    return f"'{value}'"


@cache
def _statement(by_token: bool, states: tuple[str, ...]) -> str:
    r, p, m, c = EvaluationRound, Project, Membership, Community
    ep, eb, ts = EvaluationParticipation, EvaluationBallot, EvaluationTallyShard
    choices = EvaluationBallot.Choice.values
    mine = {choice: f"(%(choice)s::text = {_literal(choice)})::int" for choice in choices}
    counts = ", ".join(_col(ts, choice) for choice in choices)
    added = ", ".join(
        f"{_col(ts, choice)} = t.{_col(ts, choice)} + excluded.{_col(ts, choice)}"
        for choice in choices
    )
    # The parts as this statement sees them (its own update is not visible to it), plus this
    # ballot; the round's figures come from ``rnd``, which the statement has read already.
    sums = ", ".join(
        f"coalesce(sum(o.{_col(ts, choice)}), 0)::int AS {_col(ts, choice)}" for choice in choices
    )
    summed = ", ".join(f"parts.{_col(ts, choice)} + {mine[choice]}" for choice in choices)
    caller = api_auth.active_user_sql("%(token)s") if by_token else "SELECT %(user)s::bigint AS id"
    # Table and column names come from the models; every value from a request is a parameter.
    return f"""
WITH caller AS (
    {caller}
), rnd AS (
    SELECT r.{_col(r, "id")} AS id, r.{_col(r, "per_household")} AS per_household,
           r.{_col(r, "number")} AS number, r.{_col(r, "eligible")} AS eligible,
           p.{_col(p, "community")} AS community_id,
           c.{_col(c, "pass_rate")} AS pass_rate, c.{_col(c, "min_turnout")} AS min_turnout
    FROM {_table(r)} r JOIN {_table(p)} p ON p.{_col(p, "id")} = r.{_col(r, "project")}
    JOIN {_table(c)} c ON c.{_col(c, "id")} = p.{_col(p, "community")}
    WHERE r.{_col(r, "project")} = %(project)s AND r.{_col(r, "closed_at")} IS NULL
      AND r.{_col(r, "closes_at")} > now()
      AND p.{_col(p, "state")} IN ({", ".join(_literal(state) for state in states)})
    ORDER BY r.{_col(r, "number")} DESC LIMIT 1
    FOR KEY SHARE OF r
), voter AS (
    SELECT rnd.id AS round_id, caller.id AS user_id,
           CASE WHEN rnd.per_household AND m.{_col(m, "household")} <> ''
                THEN 'h:' || m.{_col(m, "household")}
                ELSE 'u:' || m.{_col(m, "user")} END AS voter_key
    FROM rnd JOIN {_table(m)} m ON m.{_col(m, "community")} = rnd.community_id
    JOIN caller ON m.{_col(m, "user")} = caller.id
    WHERE m.{_col(m, "role")} = {_literal(Role.RESIDENT.value)}
    LIMIT 1
), took AS (
    INSERT INTO {_table(ep)} ({_col(ep, "round")}, {_col(ep, "voter")}, {_col(ep, "voter_key")})
    SELECT round_id, user_id, voter_key FROM voter
    ON CONFLICT ({_col(ep, "round")}, {_col(ep, "voter_key")}) DO NOTHING
    RETURNING {_col(ep, "round")} AS round_id
), stored AS (
    INSERT INTO {_table(eb)} ({_col(eb, "id")}, {_col(eb, "round")}, {_col(eb, "choice")},
                              {_col(eb, "comment")})
    SELECT gen_random_uuid(), round_id, %(choice)s::text, %(comment)s::text FROM took
    RETURNING {_col(eb, "round")} AS round_id
), counted AS (
    INSERT INTO {_table(ts)} AS t ({_col(ts, "round")}, {_col(ts, "shard")}, {counts})
    SELECT round_id, pg_backend_pid() %% {ts.PARTS}, {", ".join(mine.values())} FROM stored
    ON CONFLICT ({_col(ts, "round")}, {_col(ts, "shard")}) DO UPDATE SET {added}
    RETURNING {_col(ts, "round")} AS round_id
)
SELECT rnd.number, rnd.eligible, {summed}, rnd.pass_rate, rnd.min_turnout
FROM counted JOIN rnd ON rnd.id = counted.round_id
CROSS JOIN LATERAL (
    SELECT {sums} FROM {_table(ts)} o WHERE o.{_col(ts, "round")} = rnd.id
) parts
"""  # noqa: S608


def cast(
    *,
    project_id: int,
    choice: str,
    comment: str,
    states: Sequence[str],
    user_id: int | None = None,
    token: str | None = None,
) -> Tally | None:
    """Count one ballot of the user ``user_id`` or of the holder of the API token ``token`` (an
    active user), or return ``None`` if it was not counted, for whatever reason."""
    params: dict[str, Any] = {"project": project_id, "choice": choice, "comment": comment}
    if token is not None:
        params["token"] = token
    else:
        assert user_id is not None, "a voter: user_id or token"
        params["user"] = user_id
    row = db.fetchone(_statement(token is not None, tuple(states)), params)
    if row is None:
        return None
    return Tally(*row)


@cache
def _live_statement() -> str:
    r, p, c, ts = EvaluationRound, Project, Community, EvaluationTallyShard
    summed = ", ".join(
        f"coalesce(sum(t.{_col(ts, choice)}), 0)" for choice in EvaluationBallot.Choice.values
    )
    return f"""
SELECT r.{_col(r, "number")}, r.{_col(r, "eligible")}, {summed},
       c.{_col(c, "pass_rate")}, c.{_col(c, "min_turnout")}, p.{_col(p, "title")}, c.{_col(c, "slug")}
FROM (SELECT {_col(r, "id")}, {_col(r, "number")}, {_col(r, "eligible")}, {_col(r, "project")}
      FROM {_table(r)} WHERE {_col(r, "project")} = %(project)s
      ORDER BY {_col(r, "number")} DESC LIMIT 1) r
JOIN {_table(p)} p ON p.{_col(p, "id")} = r.{_col(r, "project")}
JOIN {_table(c)} c ON c.{_col(c, "id")} = p.{_col(p, "community")}
LEFT JOIN {_table(ts)} t ON t.{_col(ts, "round")} = r.{_col(r, "id")}
GROUP BY r.{_col(r, "id")}, r.{_col(r, "number")}, r.{_col(r, "eligible")}, p.{_col(p, "id")},
         c.{_col(c, "id")}
"""  # noqa: S608


def live_tally(project_id: int) -> tuple[Tally, str, str] | None:
    """The live tally of the project's latest round (open or closed) as committed now, with the
    project's title and its community's slug; ``None`` if it has no round. The same figures as
    ``services.evaluation_tally`` (the sum of the round's parts), in one statement."""
    row = db.fetchone(_live_statement(), {"project": project_id})
    if row is None:
        return None
    number, eligible, satisfied, basically, dissatisfied, pass_rate, min_turnout, title, slug = row
    tally = Tally(
        number,
        eligible,
        satisfied,
        basically,
        dissatisfied,
        _decimal(Community, "pass_rate", pass_rate),
        _decimal(Community, "min_turnout", min_turnout),
    )
    return tally, title, slug


def _decimal(model: type, field: str, value: Any) -> Decimal:
    """A decimal column's value at the field's scale (SQLite hands back a float)."""
    places = model._meta.get_field(field).decimal_places  # type: ignore[attr-defined]
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
