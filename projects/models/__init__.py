"""Places, people, the project lifecycle and the money. Importing this package loads all models."""

from projects.models.events import ProjectEvent
from projects.models.execution import (
    AcceptanceCheck,
    AcceptanceInspection,
    AcceptanceItem,
    AcceptanceSignature,
    Milestone,
    ProgressPhoto,
    ProgressPost,
    ProgressStage,
)
from projects.models.lifecycle import Comment, Project, ProjectFollower, ProjectPhoto
from projects.models.membership import Membership, Role
from projects.models.money import EntryKind, Fund, LedgerEntry
from projects.models.places import Community, Grid, Street
from projects.models.preferences import UserPreference
from projects.models.states import STATE_FLAGS, State, StateFlags

__all__ = [
    "STATE_FLAGS",
    "AcceptanceCheck",
    "AcceptanceInspection",
    "AcceptanceItem",
    "AcceptanceSignature",
    "Comment",
    "Community",
    "EntryKind",
    "Fund",
    "Grid",
    "LedgerEntry",
    "Membership",
    "Milestone",
    "ProgressPhoto",
    "ProgressPost",
    "ProgressStage",
    "Project",
    "ProjectEvent",
    "ProjectFollower",
    "ProjectPhoto",
    "Role",
    "State",
    "StateFlags",
    "Street",
    "UserPreference",
]
