"""The public record's tamper evidence on a project page: ``{% audit_check project as check %}``
(the project's audit chain and its ledger entries, recomputed) and ``{% project_changes project
as changes %}`` (edits of the project made outside its lifecycle, e.g. in the admin)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template

from projects import audit
from projects.models import Project

register = template.Library()

# Kept up by the lifecycle's own services as it goes (co-signs, objections, the save time): not
# edits of what the project says or decided.
# The hearing and the revised plan's dates are set by services that write their own audit rows.
BOOKKEEPING = frozenset(
    {
        "updated_at",
        "cosign_count",
        "has_pending_objection",
        "hearing_held_at",
        "objection_upheld_at",
        "planned_end_on",
    }
)


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    when: datetime
    who: Any  # the user, or None when it was not made by a signed-in person (a script)
    fields: list[FieldChange]


@register.simple_tag
def audit_check(project: Project) -> audit.ProjectCheck:
    return audit.verify_project(project.pk)


def _display(record: Any, field: Any) -> Any:
    if field.choices:
        value = getattr(record, field.attname)
        return dict(field.flatchoices).get(value, value)
    return getattr(record, field.attname)


def _lifecycle(prev: Any, record: Any, changed: set[str]) -> bool:
    """Did the lifecycle's services make this change? A transition changes the state; starting
    execution then names the executor, once."""
    if prev.state != record.state:
        return True
    return changed == {"executor"} and prev.executor_id is None


@register.simple_tag
def project_changes(project: Project) -> list[Change]:
    """Every change of the project made outside its lifecycle (the admin, a script), oldest
    first, with who made it, when, and each field's value before and after."""
    history = Project.history.model
    records = list(
        history.objects.filter(id=project.pk).select_related("history_user").order_by("history_id")
    )
    fields = [
        f
        for f in Project._meta.concrete_fields
        if f.attname not in BOOKKEEPING and f.attname != "id"
    ]
    changes: list[Change] = []
    for prev, record in itertools.pairwise(records):
        if record.history_type != "~":
            continue
        diff = [f for f in fields if getattr(prev, f.attname) != getattr(record, f.attname)]
        changed = {f.attname.removesuffix("_id") for f in diff}
        if not diff or _lifecycle(prev, record, changed):
            continue
        changes.append(
            Change(
                when=record.history_date,
                who=record.history_user,
                fields=[
                    FieldChange(str(f.verbose_name), _display(prev, f), _display(record, f))
                    for f in diff
                ],
            )
        )
    return changes
