"""One entry point per named transition, for the API and the pages.

Each name maps to the service that owns it: most are plain project transitions; the committee's
(``approve``/``decline``/``defer``) come only from a carried roll-call, and the evaluation outcomes
(``pass_evaluation``/``fail_evaluation``/``fail_final``) only from the counted ballots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from deliberation import services, workflow
from projects import services as ps
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Project
from projects.models.lifecycle import SYSTEM, TRANSITION_ROLES, user_may

Params = Mapping[str, Any]


def _text(params: Params, key: str) -> str:
    value = params.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(_("参数 %(key)s 必须是文字") % {"key": key}, errors={key: [_("必须是文字")]})
    return value


def _needs_rollcall(project: Project, by: Any, params: Params) -> Project:
    raise Conflict(
        _("党委决策须经记名表决：请发起动议并由委员表决"),
        state=project.state,
        allowed=ps.allowed_transitions(project, by),
    )


def _evaluation(name: str) -> Callable[[Project, Any, Params], Project]:
    def run(project: Project, by: Any, params: Params) -> Project:
        return services.evaluation_close(project=project, by=by, expected=name)

    return run


ACTIONS: dict[str, Callable[[Project, Any, Params], Project]] = {
    "submit": lambda p, by, a: ps.project_submit(project=p, by=by),
    "withdraw": lambda p, by, a: ps.project_withdraw(project=p, by=by, reason=_text(a, "reason")),
    "accept": lambda p, by, a: ps.project_accept(project=p, by=by, reason=_text(a, "reason")),
    "reject": lambda p, by, a: ps.project_reject(project=p, by=by, reason=_text(a, "reason")),
    "assess": lambda p, by, a: ps.project_assess(
        project=p,
        by=by,
        assessed_cost=a.get("assessed_cost"),
        plan=_text(a, "plan"),
        duration_days=a.get("duration_days"),
        reason=_text(a, "reason"),
    ),
    "recommend": lambda p, by, a: ps.project_recommend(project=p, by=by, reason=_text(a, "reason")),
    "approve": _needs_rollcall,
    "decline": _needs_rollcall,
    "defer": _needs_rollcall,
    "uphold_objection": lambda p, by, a: _uphold(p, by, a),
    "start_execution": lambda p, by, a: ps.project_start_execution(
        project=p, by=by, reason=_text(a, "reason")
    ),
    "deliver": lambda p, by, a: ps.project_deliver(
        project=p, by=by, report=_text(a, "report") or _text(a, "reason")
    ),
    "pass_evaluation": _evaluation("pass_evaluation"),
    "fail_evaluation": _evaluation("fail_evaluation"),
    "fail_final": _evaluation("fail_final"),
    "finish_rectification": lambda p, by, a: ps.project_finish_rectification(
        project=p, by=by, report=_text(a, "report") or _text(a, "reason")
    ),
}


def _uphold(project: Project, by: Any, params: Params) -> Project:
    from deliberation.models import Objection

    pending = Objection.objects.filter(project=project, status=Objection.Status.PENDING).first()
    if pending is None:
        # Let the lifecycle say why (wrong state / no pending objection / wrong role).
        return ps.project_uphold_objection(
            project=project, by=by, reason=_text(params, "reason") or "-"
        )
    services.objection_resolve(
        objection=pending, by=by, uphold=True, resolution=_text(params, "reason")
    )
    project.refresh_from_db()
    return project


def act(*, project: Project, name: str, by: Any, params: Params | None = None) -> Project:
    """Fire ``name`` on ``project`` as ``by``; then the workflow follows the new state."""
    params = params or {}
    if name not in TRANSITION_ROLES:
        raise Invalid(
            _("未知的操作：%(name)s") % {"name": name},
            errors={"transition": sorted(TRANSITION_ROLES)},
        )
    if SYSTEM in TRANSITION_ROLES[name]:
        raise Forbidden(_("此操作由系统自动执行"))
    if not user_may(project, by, name):
        raise Forbidden(_("您没有权限执行此操作"))
    with transaction.atomic():
        result = ACTIONS[name](project, by, params)
        workflow.sync(result, by)
    return result
