"""Places, people, the project lifecycle and the money. Importing this package loads all models."""

from projects.models.lifecycle import (
    STATE_FLAGS,
    Comment,
    Project,
    ProjectEvent,
    ProjectFollower,
    ProjectPhoto,
    State,
    StateFlags,
)
from projects.models.money import EntryKind, Fund, LedgerEntry
from projects.models.places import Community, Grid, Membership, Role, Street

__all__ = [
    "STATE_FLAGS",
    "Comment",
    "Community",
    "EntryKind",
    "Fund",
    "Grid",
    "LedgerEntry",
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
