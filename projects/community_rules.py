"""A community's rules of the cycle (附议 threshold, windows, quorum, hearing amount, pass rate, …):
which they are, who may change them, and the one function that changes them.

The rules are public (anyone may read them on the community's rules page); the street's
supervisors over the community change them. Every change is kept in the community's history
(simple-history), with who, when and why; the model's own ``clean`` is the one check of the
values (a quorum between half and all, an acceptance share from half to less than all, …)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects.errors import Forbidden, Invalid
from projects.models import Community
from projects.models.membership import supervises

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# The rules as the pages and the admin group them.
RULE_GROUPS: list[tuple[_StrPromise, list[str]]] = [
    (gettext_lazy("附议"), ["cosign_threshold", "cosign_window_days"]),
    (
        gettext_lazy("决策与公示"),
        [
            "committee_quorum_numerator",
            "committee_quorum_denominator",
            "hearing_amount",
            "publicity_days",
            "task_due_days",
        ],
    ),
    (
        gettext_lazy("群众评议"),
        [
            "evaluation_days",
            "pass_rate",
            "min_turnout",
            "max_rectification_rounds",
            "evaluation_per_household",
            "tally_step",
        ],
    ),
    (gettext_lazy("验收"), ["acceptance_pass_numerator", "acceptance_pass_denominator"]),
    (gettext_lazy("经费"), ["advance_ratio"]),
]
RULE_FIELDS: list[str] = [name for _group, names in RULE_GROUPS for name in names]
# Stored as a fraction (0.800), shown and entered as a percentage (80).
PERCENT_FIELDS = frozenset({"pass_rate", "min_turnout", "advance_ratio"})


def rule_field(name: str) -> models.Field[Any, Any]:
    field = Community._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _label(name: str) -> Any:
    return rule_field(name).verbose_name


def may_change_rules(user: Any, community: Community) -> bool:
    return supervises(user, community.place)


def change_rules(
    *, community: Community, by: Any, values: dict[str, Any], reason: str = ""
) -> list[str]:
    """Set the rules in ``values`` (field name → value); returns the names that changed. The
    change applies from now on: windows already running keep the dates they were given."""
    if not may_change_rules(by, community):
        raise Forbidden(_("只有上级街道的监督人员可以修改社区规则"))
    unknown = sorted(set(values) - set(RULE_FIELDS))
    if unknown:
        raise Invalid(_("不是社区规则：%(names)s") % {"names": "、".join(unknown)})
    reason = (reason or "").strip()
    if len(reason) > 100:
        raise Invalid(_("修改说明不能超过 100 字"), errors={"reason": [_("过长")]})
    with transaction.atomic():
        current = Community.objects.select_for_update().get(pk=community.pk)
        changed = [
            name
            for name in RULE_FIELDS
            if name in values and getattr(current, name) != values[name]
        ]
        if not changed:
            return []
        for name in changed:
            setattr(current, name, values[name])
        try:
            current.full_clean()
        except ValidationError as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            first = next(iter(errors.values()))[0]
            raise Invalid(first, errors=errors) from None
        current._history_user = by  # type: ignore[attr-defined]  # simple-history: who did it
        current._change_reason = reason or None  # type: ignore[attr-defined]
        current.save(update_fields=changed)
    for name in changed:
        setattr(community, name, values[name])
    return changed


def rule_changes(community: Community, limit: int = 30) -> list[dict[str, Any]]:
    """The latest changes of the rules, newest first: when, who, why and each rule's old and new
    value (the record of the community's creation is not a change)."""
    records = list(
        community.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    out = []
    for record, before in itertools.pairwise(records):
        delta = record.diff_against(before, included_fields=RULE_FIELDS)
        if not delta.changes:
            continue
        out.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "reason": record.history_change_reason or "",
                "changes": [
                    {"field": _label(c.field), "name": c.field, "old": c.old, "new": c.new}
                    for c in sorted(delta.changes, key=lambda c: RULE_FIELDS.index(c.field))
                ],
            }
        )
    return out
