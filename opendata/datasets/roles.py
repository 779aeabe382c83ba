"""Who acted, by role, without naming anyone: in Python for the streamed rows and in SQL for
PostgreSQL's COPY, each cell formatted as ``csv_chunks`` writes it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from opendata.datasets.base import (
    CHUNK,
)
from projects.models import (
    Community,
    Membership,
    Role,
)
from projects.models.places import Place

# --- who acted, by role --------------------------------------------------------------------
ROLE_ORDER = [Role.COMMITTEE, Role.CLERK, Role.COUNCIL, Role.SUPERVISOR]


class RoleOf:
    """The role an actor held in a community, without loading residents: staff and supervisor
    memberships are few; anyone else who acted in a community is a resident there."""

    def __init__(self) -> None:
        self.staff: dict[tuple[int, int], str] = {}
        self.supervised: dict[int, list[str]] = {}  # user -> paths of the places supervised
        staff = Membership.objects.exclude(role=Role.RESIDENT).values_list(
            "user_id", "community_id", "place__path", "role"
        )
        rank = {r: i for i, r in enumerate(ROLE_ORDER)}
        for user_id, community_id, place_path, role in staff.iterator(chunk_size=CHUNK):
            if community_id is not None:
                held = self.staff.get((user_id, community_id))
                if held is None or rank[Role(role)] < rank[Role(held)]:
                    self.staff[(user_id, community_id)] = role
            if place_path:
                self.supervised.setdefault(user_id, []).append(place_path)
        self.path_of = dict(Community.objects.values_list("pk", "place__path"))

    def __call__(self, user_id: int | None, community_id: int) -> str:
        if user_id is None:
            return "system"
        role = self.staff.get((user_id, community_id))
        if role is not None:
            return role
        path = self.path_of.get(community_id) or ""
        if any(path.startswith(p) for p in self.supervised.get(user_id, ())):
            return Role.SUPERVISOR
        return Role.RESIDENT


# --- the same in SQL (PostgreSQL's COPY): each cell formatted as ``csv_chunks`` writes it --------
def _sql_text(expr: str) -> str:
    """A text cell: empty as NULL, which COPY writes as an empty cell (an empty string would be
    written quoted)."""
    return f"NULLIF({expr}, '')"


def _sql_time(expr: str) -> str:
    return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def _sql_states(states: list[str]) -> str:
    return ", ".join("'" + s.replace("'", "''") + "'" for s in states)


def _sql_role(actor: str) -> str:
    """``RoleOf`` in SQL: needs the ``staff`` and ``supervised`` CTEs of ``_ROLE_CTES`` joined
    as ``s`` and ``v`` (``_sql_role_joins``: hash joins, not a scan per row)."""
    return (
        f"CASE WHEN {actor} IS NULL THEN 'system' ELSE COALESCE("
        f"s.role, v.role, '{Role.RESIDENT}') END"
    )


def _sql_role_joins(actor: str, community_id: str) -> str:
    return (
        f"LEFT JOIN staff s ON s.user_id = {actor} AND s.community_id = {community_id}"
        f" LEFT JOIN supervised v ON v.user_id = {actor} AND v.community_id = {community_id}"
    )


_RANK = " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(ROLE_ORDER))
_ROLE_CTES = f"""
WITH staff AS (
    SELECT DISTINCT ON (m.user_id, m.community_id) m.user_id, m.community_id, m.role
    FROM {Membership._meta.db_table} m
    WHERE m.role <> '{Role.RESIDENT}' AND m.community_id IS NOT NULL
    ORDER BY m.user_id, m.community_id, CASE m.role {_RANK} END
), supervised AS (
    SELECT DISTINCT m.user_id, c.id AS community_id, '{Role.SUPERVISOR}' AS role
    FROM {Membership._meta.db_table} m
    JOIN {Place._meta.db_table} pl ON pl.id = m.place_id
    JOIN {Place._meta.db_table} cp ON left(cp.path, length(pl.path)) = pl.path
    JOIN {Community._meta.db_table} c ON c.place_id = cp.id
    WHERE m.role <> '{Role.RESIDENT}' AND pl.path <> ''
)"""  # noqa: S608 - code's own names, no input


ACTOR_MEANING = _(
    "经办人的角色：resident（居民）、council（议事会）、committee（党委）、clerk（服务中心）、"
    "supervisor（街道监督）、system（系统自动）；从不公开姓名"
)
