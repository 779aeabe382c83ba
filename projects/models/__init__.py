"""Places, people, the project lifecycle and the money. Importing this package loads all models."""

from projects.models.lifecycle import (
    STATE_FLAGS,
    Project,
    ProjectEvent,
    ProjectFollower,
    ProjectPhoto,
    Comment,
    State,
    StateFlags,
)
from projects.models.money import EntryKind, Fund, LedgerEntry
from projects.models.places import Community, Grid, Membership, Role, Street

__all__ = [
    "STATE_FLAGS",
    "Comment",
    "EntryKind",
    "Fund",
    "LedgerEntry",
    "Community",
    "Grid",
    "Membership",
    "Project",
    "ProjectEvent",
    "ProjectFollower",
    "ProjectPhoto",
    "Role",
    "State",
    "StateFlags",
    "Street",
]
