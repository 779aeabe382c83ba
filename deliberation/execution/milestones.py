"""The clerk's milestones: planned at assessment, revised during execution (each change on the
record), and the parsing of the forms and API bodies that carry them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from deliberation.execution.base import (
    MAX_MILESTONES,
    PLANNING_STATES,
    _lock,
    _publish,
    _wrong_state,
)
from projects import execution as pe
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    Milestone,
    Project,
    ProjectEvent,
    Role,
    State,
)
from projects.selectors import user_has_role


# --- milestones -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MilestoneInput:
    name: str
    planned_date: date
    budget_share: Decimal


def _too_many() -> Invalid:
    """The refusal of a plan with more than ``MAX_MILESTONES`` milestones."""
    return Invalid(
        _("最多 %(n)d 个节点") % {"n": MAX_MILESTONES}, errors={"milestones": [_("过多")]}
    )


def _over_budget(total: Decimal) -> Invalid:
    """The refusal of a plan whose shares add up to more than 100 %."""
    return Invalid(
        _("各节点预算占比合计不能超过 100%%（现为 %(total)s%%）") % {"total": total},
        errors={"budget_share": [_("合计超过 100%")]},
    )


def _check_plan(rows: Sequence[MilestoneInput]) -> None:
    """Refuse a plan with too many rows, shares out of range or over 100 %, or a long name."""
    if len(rows) > MAX_MILESTONES:
        raise _too_many()
    total = sum((m.budget_share for m in rows), Decimal("0"))
    if any(m.budget_share < 0 or m.budget_share > 100 for m in rows) or total > 100:
        raise _over_budget(total)
    if any(len(m.name.strip()) > 120 for m in rows):
        raise Invalid(_("节点名称不能超过 120 字"), errors={"name": [_("过长")]})


def _replace_plan(p: Project, rows: Sequence[MilestoneInput]) -> list[Milestone]:
    """Delete the project's milestones and create ``rows`` in date order."""
    Milestone.objects.filter(project=p).delete()
    return Milestone.objects.bulk_create(
        Milestone(
            project=p,
            position=i,
            name=m.name.strip(),
            planned_date=m.planned_date,
            budget_share=m.budget_share,
        )
        for i, m in enumerate(sorted(rows, key=lambda m: m.planned_date))
    )


def _record_plan(
    p: Project, by: User, rows: Sequence[MilestoneInput], created: list[Milestone]
) -> None:
    """The audit row of a new plan: how many milestones, and the last planned date."""
    end = max((m.planned_date for m in rows), default=None)
    ProjectEvent.objects.create(
        project=p,
        actor=by,
        action="milestones_plan",
        kind="milestones.planned",
        params={"count": len(created), "end": end.isoformat() if end else "—"},
    )


def milestones_plan(
    *, project: Project, by: User, milestones: Sequence[MilestoneInput]
) -> list[Milestone]:
    """Replace the planned milestones (while the project is assessed, deliberated, decided or
    in 公示: before the work starts). Shares are percentages of the budget, 100 % at most."""
    rows = [m for m in milestones if m.name.strip()]
    _check_plan(rows)
    with transaction.atomic():
        p = _lock(project)
        if not user_has_role(by, p.community, Role.CLERK):
            raise Forbidden(_("只有社区服务中心可以编排实施节点"))
        if p.state not in PLANNING_STATES:
            raise _wrong_state(p, by)
        created = _replace_plan(p, rows)
        _record_plan(p, by, rows, created)
        _publish(p.pk, "project.milestones")
    return created


@dataclass(frozen=True)
class MilestoneRevision:
    """One milestone of a revised plan: ``id`` of a milestone not yet done, or ``None`` for a
    new one. Not-done milestones left out of the revision are removed."""

    id: int | None
    name: str
    planned_date: date
    budget_share: Decimal


# One change of a revision: ("add" | "change" | "remove", the row before, the row after).
_Change = tuple[str, dict[str, str] | None, dict[str, str] | None]


def _as_params(m: Milestone) -> dict[str, str]:
    return {
        "name": m.name,
        "date": m.planned_date.isoformat(),
        "share": f"{m.budget_share.normalize():f}",
    }


def _clean_revision(reason: str, rows: Sequence[MilestoneRevision]) -> str:
    """The stripped reason (required, 2000 at most); refuse long names, shares out of range."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("请填写调整理由"), errors={"reason": [_("此项必填")]})
    if len(reason) > 2000:
        raise Invalid(_("理由不能超过 2000 字"), errors={"reason": [_("过长")]})
    if any(len(m.name.strip()) > 120 for m in rows):
        raise Invalid(_("节点名称不能超过 120 字"), errors={"name": [_("过长")]})
    if any(m.budget_share < 0 or m.budget_share > 100 for m in rows):
        raise Invalid(_("预算占比应在 0 到 100 之间"), errors={"budget_share": [_("超出范围")]})
    return reason


def _check_revised_ids(
    p: Project,
    rows: Sequence[MilestoneRevision],
    current: dict[int, Milestone],
    done: dict[int, Milestone],
) -> None:
    """Refuse a revision touching a done or unknown milestone, or naming one twice."""
    if any(m.id is not None and m.id in done for m in rows):
        raise Conflict(_("已完成的节点不能修改"), state=p.state, allowed=[])
    if any(m.id is not None and m.id not in current for m in rows):
        raise Invalid(_("没有这个实施节点"), errors={"milestone": [_("无效")]})
    if len({m.id for m in rows if m.id is not None}) != len([m for m in rows if m.id]):
        raise Invalid(_("同一节点出现了两次"), errors={"milestone": [_("重复")]})


def _check_revision(
    p: Project,
    rows: Sequence[MilestoneRevision],
    current: dict[int, Milestone],
    done: dict[int, Milestone],
) -> None:
    """Refuse bad milestone ids, or a revised plan too long or over 100 %."""
    _check_revised_ids(p, rows, current, done)
    if len(done) + len(rows) > MAX_MILESTONES:
        raise _too_many()
    total = sum((m.budget_share for m in done.values()), Decimal("0")) + sum(
        (m.budget_share for m in rows), Decimal("0")
    )
    if total > 100:
        raise _over_budget(total)


def _remove_left_out(
    rows: Sequence[MilestoneRevision], current: dict[int, Milestone], done: dict[int, Milestone]
) -> list[_Change]:
    """Delete the not-done milestones the revision leaves out."""
    changes: list[_Change] = []
    kept = {m.id for m in rows if m.id is not None}
    for pk, stone in current.items():
        if pk not in done and pk not in kept:
            changes.append(("remove", _as_params(stone), None))
            stone.delete()
    return changes


def _revise_row(
    p: Project, row: MilestoneRevision, current: dict[int, Milestone]
) -> _Change | None:
    """Add a new milestone or save the changes to an existing one (``None``: unchanged)."""
    if row.id is None:
        stone = Milestone.objects.create(
            project=p,
            name=row.name.strip(),
            planned_date=row.planned_date,
            budget_share=row.budget_share,
        )
        return ("add", None, _as_params(stone))
    stone = current[row.id]
    before = _as_params(stone)
    if stone.planned_date != row.planned_date:
        stone.warned_at = None  # the clock warns again if the new date passes
    stone.name, stone.planned_date = row.name.strip(), row.planned_date
    stone.budget_share = row.budget_share
    after = _as_params(stone)
    if after == before:
        return None
    stone.save(update_fields=["name", "planned_date", "budget_share", "warned_at"])
    return ("change", before, after)


def _renumber(p: Project) -> list[Milestone]:
    """Number the project's milestones again in date order; the milestones, in that order."""
    remaining = list(Milestone.objects.filter(project=p).order_by("planned_date", "pk"))
    for i, stone in enumerate(remaining):
        if stone.position != i:
            stone.position = i
            stone.save(update_fields=["position"])
    return remaining


def _record_revision(
    p: Project, by: User, reason: str, changes: list[_Change], remaining: list[Milestone]
) -> None:
    """Move the planned end to the revised plan's last date; an audit row per change."""
    end_before = pe.planned_completion(p)
    p.planned_end_on = max((m.planned_date for m in remaining), default=None)
    p.save(update_fields=["planned_end_on", "updated_at"])
    end_after = pe.planned_completion(p)
    for op, before_row, after_row in changes:
        ProjectEvent.objects.create(
            project=p,
            actor=by,
            action=f"milestone_{op}",
            reason=reason,
            kind=f"milestones.{op}",
            params={
                "before": before_row,
                "after": after_row,
                "end_before": end_before.isoformat() if end_before else "—",
                "end": end_after.isoformat() if end_after else "—",
            },
        )


def milestones_revise(
    *, project: Project, by: User, milestones: Sequence[MilestoneRevision], reason: str
) -> list[Milestone]:
    """The clerk revises the plan while the work runs: change the name, planned date or share of
    milestones not yet done, add or remove not-done milestones (done ones are locked), with a
    reason. Each change is an audit row with before / after; the planned completion becomes the
    revised plan's last date, and the public page says the plan changed (when, why)."""
    rows = [m for m in milestones if m.name.strip()]
    reason = _clean_revision(reason, rows)
    with transaction.atomic():
        p = _lock(project)
        if not user_has_role(by, p.community, Role.CLERK):
            raise Forbidden(_("只有社区服务中心可以调整实施节点"))
        if p.state != State.EXECUTING:
            raise _wrong_state(p, by)
        current = {m.pk: m for m in Milestone.objects.filter(project=p)}
        done = {pk: m for pk, m in current.items() if m.is_done}
        _check_revision(p, rows, current, done)
        changes = _remove_left_out(rows, current, done)
        changes += [c for c in (_revise_row(p, row, current) for row in rows) if c is not None]
        if not changes:
            raise Invalid(_("实施计划没有变化"), errors={"milestones": [_("没有变化")]})
        remaining = _renumber(p)
        _record_revision(p, by, reason, changes, remaining)
        _publish(p.pk, "project.milestones")
    return remaining


REVISION_ACTIONS = ("milestone_add", "milestone_change", "milestone_remove")


def parse_revision(data: Any) -> tuple[list[MilestoneRevision], str]:
    """The revision form: per row ``id_<i>`` (empty for a new one), ``name_<i>``, ``date_<i>``,
    ``share_<i>`` and ``remove_<i>``; and ``reason``. A bad row is a 400 naming it."""
    raw: list[dict[str, Any]] = []
    ids: list[int | None] = []
    for i in range(MAX_MILESTONES):
        name = (data.get(f"name_{i}") or "").strip()
        raw_id = (data.get(f"id_{i}") or "").strip()
        if not name or data.get(f"remove_{i}"):
            continue
        if raw_id and not raw_id.isdigit():
            raise Invalid(_("没有这个实施节点"), errors={"milestone": [raw_id]})
        ids.append(int(raw_id) if raw_id else None)
        raw.append(
            {
                "name": name,
                "planned_date": data.get(f"date_{i}", ""),
                "budget_share": data.get(f"share_{i}", "") or "0",
            }
        )
    out = [
        MilestoneRevision(
            id=pk, name=m.name, planned_date=m.planned_date, budget_share=m.budget_share
        )
        for pk, m in zip(ids, parse_milestones(raw), strict=True)
    ]
    return out, str(data.get("reason") or "")


def parse_milestones(data: Any) -> list[MilestoneInput]:
    """Rows from a page form (``name_<i>``, ``date_<i>``, ``share_<i>``) or the API (a list of
    ``{name, planned_date, budget_share}``); a bad row is a 400 naming it."""
    rows: list[dict[str, Any]]
    if isinstance(data, list):
        rows = data
    else:
        rows = [
            {
                "name": data.get(f"name_{i}", ""),
                "planned_date": data.get(f"date_{i}", ""),
                "budget_share": data.get(f"share_{i}", "") or "0",
            }
            for i in range(MAX_MILESTONES)
            if (data.get(f"name_{i}") or "").strip()
        ]
    out = []
    for n, row in enumerate(rows, start=1):
        name = str(row.get("name") or "").strip()
        if not name:
            continue
        try:
            when = date.fromisoformat(str(row.get("planned_date") or ""))
        except ValueError:
            raise Invalid(
                _("第 %(n)d 个节点的计划日期无效") % {"n": n}, errors={"planned_date": [str(n)]}
            ) from None
        try:
            share = Decimal(str(row.get("budget_share") or "0")).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise Invalid(
                _("第 %(n)d 个节点的预算占比无效") % {"n": n}, errors={"budget_share": [str(n)]}
            ) from None
        if not share.is_finite():
            raise Invalid(_("第 %(n)d 个节点的预算占比无效") % {"n": n})
        out.append(MilestoneInput(name=name, planned_date=when, budget_share=share))
    return out
