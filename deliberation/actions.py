"""The orchestrator: every transition of a project runs through here, creation and submission
included, and the viewflow process is kept in step in the same transaction.

- :func:`fire` runs a named transition through its one service in ``projects.services`` and then
  brings the project's process in line (``deliberation.workflow.sync``). Deliberation's services
  (co-signing, objections, the roll-call, the evaluation count) call it; so does :func:`act`.
- :func:`act` is a person's action from a page or the API, with parameters already validated by
  the form or serializer built from the transition table (``forms.TransitionForm``,
  ``api.transition_serializer``). It first asks ``projects.services.refusal`` — the same question
  ``allowed_transitions`` asks — so what is offered and what is accepted cannot disagree.
- :func:`create` drafts a proposal and, if asked, submits it (starting the process).

Views and API modules call this module and the deliberation services, never
``projects.services`` or the workflow directly (an import-linter contract holds that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from deliberation import workflow
from notifications.texts import Text
from projects import services as ps
from projects.models import Comment, Community, Project
from projects.models.transitions import TRANSITIONS, Rule

# The one service of each transition (keyword arguments: project, by and the row's parameters).
SERVICES: dict[str, Callable[..., Project]] = {
    "submit": ps.project_submit,
    "withdraw": ps.project_withdraw,
    "reach_threshold": ps.project_reach_threshold,
    "expire": lambda *, project, by=None: ps.project_expire(project=project),
    "accept": ps.project_accept,
    "reject": ps.project_reject,
    "assess": ps.project_assess,
    "recommend": ps.project_recommend,
    "approve": ps.project_approve,
    "decline": ps.project_decline,
    "defer": ps.project_defer,
    "uphold_objection": ps.project_uphold_objection,
    "start_execution": ps.project_start_execution,
    "deliver": ps.project_deliver,
    "accepted": ps.project_accepted,
    "not_accepted": ps.project_not_accepted,
    "pass_evaluation": ps.project_pass_evaluation,
    "fail_evaluation": ps.project_fail_evaluation,
    "fail_final": ps.project_fail_final,
    "finish_rectification": ps.project_finish_rectification,
}
assert set(SERVICES) == set(TRANSITIONS), "every row of the transition table has its service"
__all__ = [
    "TRANSITIONS",
    "act",
    "allowed",
    "check",
    "comment",
    "create",
    "fire",
    "hearing_held",
    "hearing_required",
    "recommend_by_ballot",
    "recommend_by_meeting",
    "waiting",
]


def fire(*, project: Project, name: str, by: User | None, **values: Any) -> Project:
    """Fire transition ``name`` through its service; the workflow follows the new state."""
    with transaction.atomic():
        result = SERVICES[name](project=project, by=by, **values)
        workflow.sync(result, by)
    return result


def recommend_by_ballot(
    *, project: Project, by: User | None, note: Text, amount: Decimal
) -> Project:
    """``recommend`` carried by a budget ballot's result (the round's closer acts for the
    committee); the workflow follows as for every transition."""
    with transaction.atomic():
        result = ps.project_recommend_by_ballot(project=project, by=by, note=note, amount=amount)
        workflow.sync(result, by)
    return result


def recommend_by_meeting(*, project: Project, by: User, note: Text, acting_role: str) -> Project:
    """``recommend`` carried by a council meeting's recorded vote on the project's agenda item
    (``meetings.services.item_close``); the secretary is the actor, acting as ``acting_role``."""
    with transaction.atomic():
        result = ps.project_recommend(project=project, by=by, note=note, acting_role=acting_role)
        workflow.sync(result, by)
    return result


def hearing_held(*, project: Project, by: User, note: Text, words: str = "") -> Project:
    """A hearing with ``project`` on its agenda was held and its minutes published
    (``meetings.services.minutes_publish``): recorded on the project, which may then be decided."""
    return ps.project_hearing_held(project=project, by=by, note=note, words=words)


def hearing_required(project: Project) -> list[str]:
    """Why the committee must hold a hearing before deciding ``project`` (empty: it need not,
    or one was held). The transition table's own condition, read for the project page."""
    from projects.models.conditions import hearing_held_if_needed, hearing_reasons

    return [] if hearing_held_if_needed(project) else hearing_reasons(project)


def allowed(project: Project, user: User | None) -> list[ps.Action]:
    """What ``user`` may fire by hand now, with the parameters each needs."""
    return ps.allowed_transitions(project, user)


def waiting(project: Project, user: User | None) -> list[ps.Waiting]:
    """What ``user`` could fire from this state once a date passes or a condition holds."""
    return ps.waiting_transitions(project, user)


def comment(*, project: Project, by: User, body: str) -> Comment:
    return ps.project_comment(project=project, by=by, body=body)


def check(*, project: Project, name: str, by: User | None) -> Rule:
    """403 / 409 (or 400 for an unknown name) unless ``by`` may fire ``name`` by hand now."""
    current = Project.objects.select_related("community").get(pk=project.pk)  # as stored now
    refusal = ps.refusal(current, by, name)
    if refusal is not None:
        raise refusal
    return TRANSITIONS[name]


def act(*, project: Project, name: str, by: User, params: dict[str, Any] | None = None) -> Project:
    """A person's action: checked against the table, then fired with ``params``, the typed
    values the form or serializer of this transition validated."""
    check(project=project, name=name, by=by)
    values = {k: v for k, v in (params or {}).items() if v is not None}
    if name == "uphold_objection":
        return _uphold(project, by, str(values.get("reason", "")))
    return fire(project=project, name=name, by=by, **values)


def _uphold(project: Project, by: User, reason: str) -> Project:
    """Upholding through the transitions endpoint resolves the pending objection(s): the
    objection's resolution is where an upheld objection is recorded."""
    from deliberation import services
    from deliberation.models import Objection

    pending = Objection.objects.filter(project=project, status=Objection.Status.PENDING).first()
    if pending is None:  # ``check`` saw one; a concurrent resolution took it
        return fire(project=project, name="uphold_objection", by=by, reason=reason)
    services.objection_resolve(objection=pending, by=by, uphold=True, resolution=reason)
    project.refresh_from_db()
    return project


def create(
    *,
    by: User,
    community: Community,
    title: str,
    summary: str,
    location: str = "",
    category: str = Project.Category.OTHER,
    estimated_cost: Decimal | None = None,
    photos: Iterable[UploadedFile] = (),
    submit: bool = False,
) -> Project:
    """A resident drafts a proposal; ``submit`` sends it for co-signing at once, which starts
    its process (so the step's task reaches the right inbox)."""
    with transaction.atomic():
        project = ps.project_create(
            by=by,
            community=community,
            title=title,
            summary=summary,
            location=location,
            category=category,
            estimated_cost=estimated_cost,
            photos=photos,
        )
        if submit:
            project = fire(project=project, name="submit", by=by)
    return project
