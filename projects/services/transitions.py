"""One service per transition (``project_<transition>``), each built on :func:`_fire`."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.events import project_group, publish_on_commit
from notifications.texts import Text
from projects import ledger, texts
from projects.errors import Invalid
from projects.execution import inspection_note, inspection_open
from projects.models import (
    Project,
    ProjectEvent,
    Role,
)
from projects.services.base import (
    _clean_reason,
    _fire,
    _lock,
)


# --- one service per transition -------------------------------------------------------------
def project_submit(*, project: Project, by: User) -> Project:
    return _fire(project=project, name="submit", by=by)


def project_withdraw(*, project: Project, by: User, reason: str = "") -> Project:
    return _fire(
        project=project, name="withdraw", by=by, reason=_clean_reason(reason, required=False)
    )


def project_reach_threshold(*, project: Project, by: User | None = None) -> Project:
    """Fired by the co-signing service when the threshold is met (the system acts)."""
    return _fire(project=project, name="reach_threshold", by=None, note=texts.threshold_met())


def project_expire(*, project: Project) -> Project:
    return _fire(project=project, name="expire", by=None, note=texts.cosign_expired())


def project_accept(*, project: Project, by: User, reason: str = "") -> Project:
    return _fire(
        project=project, name="accept", by=by, reason=_clean_reason(reason, required=False)
    )


def project_reject(*, project: Project, by: User, reason: str) -> Project:
    reason = _clean_reason(reason, required=True)

    def record(p: Project) -> None:
        p.outcome_reason = reason

    return _fire(project=project, name="reject", by=by, reason=reason, prepare=record)


def project_assess(
    *,
    project: Project,
    by: User,
    assessed_cost: Decimal,
    plan: str,
    duration_days: int,
    people_served: int | None = None,
    reason: str = "",
) -> Project:
    """The clerk's feasibility assessment: cost, plan, duration and, optionally, an estimate of
    the people it will serve (validated by the form or serializer; the model's own validators
    hold the ranges)."""
    plan = plan.strip()
    if not plan:
        raise Invalid(_("请填写实施方案"), errors={"plan": [_("此项必填")]})
    if len(plan) > 5000:
        raise Invalid(_("实施方案不能超过 5000 字"), errors={"plan": [_("过长")]})
    cost = assessed_cost

    def record(p: Project) -> None:
        p.assessed_cost, p.plan, p.duration_days = cost, plan, duration_days
        if people_served is not None:
            p.people_served = people_served

    return _fire(
        project=project,
        name="assess",
        by=by,
        reason=_clean_reason(reason, required=False),
        amount=cost,
        prepare=record,
    )


def project_recommend(
    *, project: Project, by: User, note: Text, acting_role: str = Role.COUNCIL
) -> Project:
    """The council's recommendation, carried by a council meeting's recorded vote: the meeting's
    secretary (a council member, or the clerk who keeps the minutes) is the actor, the vote's
    outcome the note."""
    return _fire(project=project, name="recommend", by=by, note=note, acting_role=acting_role)


def project_recommend_by_ballot(
    *, project: Project, by: User | None, note: Text, amount: Decimal
) -> Project:
    """A budget ballot's winner moves on to the committee (deliberating → deciding); the round's
    closer (a committee member, or the system when the window ends) is the actor."""
    return _fire(
        project=project,
        name="recommend",
        by=by,
        note=note,
        amount=amount,
        acting_role=Role.COMMITTEE,
    )


def project_approve(
    *, project: Project, by: User, amount: Decimal, reason: str = "", note: Text | None = None
) -> Project:
    """The committee approves ``amount``: allocated from the fund under a row lock."""
    value = ledger.parse_amount(amount)  # the ledger's amount rules (positive, cents, bounds)

    def record(p: Project) -> None:
        p.approved_amount = value

    def allocate(p: Project) -> None:
        ledger.allocate(project=p, amount=value, by=by)

    return _fire(
        project=project,
        name="approve",
        by=by,
        reason=_clean_reason(reason, required=False),
        amount=value,
        prepare=record,
        after=allocate,
        note=note,
    )


def project_decline(
    *, project: Project, by: User, reason: str, note: Text | None = None
) -> Project:
    reason = _clean_reason(reason, required=True)

    def record(p: Project) -> None:
        p.outcome_reason = reason

    return _fire(project=project, name="decline", by=by, reason=reason, prepare=record, note=note)


def project_defer(
    *, project: Project, by: User, reason: str = "", note: Text | None = None
) -> Project:
    return _fire(
        project=project,
        name="defer",
        by=by,
        reason=_clean_reason(reason, required=False),
        note=note,
    )


def project_uphold_objection(*, project: Project, by: User, reason: str) -> Project:
    """An objection during 公示 is upheld: back to the committee; the allocation returns."""

    def give_back(p: Project) -> None:
        ledger.return_unreleased(project=p, by=by, memo=texts.memo("ledger.objection_upheld"))

    return _fire(
        project=project,
        name="uphold_objection",
        by=by,
        reason=_clean_reason(reason, required=True),
        after=give_back,
    )


def project_start_execution(*, project: Project, by: User, reason: str = "") -> Project:
    def advance(p: Project) -> None:
        if p.executor_id is None:
            p.executor = by
            p.save(update_fields=["executor"])
        ledger.release_advance(project=p, by=by)

    return _fire(
        project=project,
        name="start_execution",
        by=by,
        reason=_clean_reason(reason, required=False),
        after=advance,
    )


def project_deliver(*, project: Project, by: User, report: str) -> Project:
    """The clerk asks for 验收 (executing → accepting): a new inspection round opens, its
    inspectors the council, its checklist the report and the planned milestones."""
    report = _clean_reason(report, required=True)

    def record(p: Project) -> None:
        p.delivery_report = report

    def open_inspection(p: Project) -> None:
        inspection_open(project=p, by=by)

    return _fire(
        project=project,
        name="deliver",
        by=by,
        reason=report,
        prepare=record,
        after=open_inspection,
        note=inspection_note(project),
    )


def project_accepted(
    *, project: Project, by: User | None = None, reason: str = "", note: Text | None = None
) -> Project:
    """The inspectors' count passed: the public evaluation opens (the orchestrator's sync)."""
    return _fire(
        project=project,
        name="accepted",
        by=by,
        reason=reason,
        note=note,
        acting_role=Role.COUNCIL,
    )


def project_not_accepted(
    *, project: Project, by: User | None = None, reason: str = "", note: Text | None = None
) -> Project:
    """The inspectors' count failed: back to execution, the reasons on the record."""
    return _fire(
        project=project,
        name="not_accepted",
        by=by,
        reason=reason[:2000],
        note=note,
        acting_role=Role.COUNCIL,
    )


def project_pass_evaluation(
    *, project: Project, by: User | None, reason: str = "", note: Text | None = None
) -> Project:
    """The public evaluation passed: what is left of the advance returns to the fund, and the
    holdback is paid out — the vote is what pays it."""

    def pay(p: Project) -> None:
        ledger.release_holdback(project=p, by=by)  # returns the unspent advance, pays the holdback

    return _fire(
        project=project,
        name="pass_evaluation",
        by=by,
        reason=reason,
        after=pay,
        note=note,
        acting_role=Role.CLERK,  # or the clock (by=None) closing the evaluation window
    )


def project_fail_evaluation(
    *, project: Project, by: User | None, reason: str = "", note: Text | None = None
) -> Project:
    """The evaluation failed with rectification rounds left: the holdback stays held."""
    return _fire(
        project=project,
        name="fail_evaluation",
        by=by,
        reason=reason,
        note=note,
        acting_role=Role.CLERK,
    )


def project_fail_final(
    *, project: Project, by: User | None, reason: str = "", note: Text | None = None
) -> Project:
    """The last evaluation failed: the holdback returns to the fund."""

    def give_back(p: Project) -> None:
        ledger.return_unreleased(project=p, by=by, memo=texts.memo("ledger.final_fail"))

    return _fire(
        project=project,
        name="fail_final",
        by=by,
        reason=reason,
        after=give_back,
        note=note,
        acting_role=Role.CLERK,
    )


def project_finish_rectification(*, project: Project, by: User, report: str) -> Project:
    report = _clean_reason(report, required=True)

    def record(p: Project) -> None:
        p.delivery_report = report

    return _fire(project=project, name="finish_rectification", by=by, reason=report, prepare=record)


def project_hearing_held(*, project: Project, by: User, note: Text, words: str = "") -> Project:
    """A hearing (听证会) with the project on its agenda was held and its minutes published
    (called by ``meetings.services.minutes_publish`` through the orchestrator): the committee's
    decision may go ahead once ``hearing_held_if_needed`` holds. Audit row, publish, one
    transaction."""
    with transaction.atomic():
        locked = _lock(project)
        locked.hearing_held_at = timezone.now()
        locked.save(update_fields=["hearing_held_at", "updated_at"])
        ProjectEvent.objects.create(
            project=locked,
            actor=by,
            action="hearing_held",
            reason=words[:2000],
            kind=note.code,
            params=note.params,
        )
        publish_on_commit(
            project_group(locked.pk), {"kind": "hearing_held", "project_id": locked.pk}
        )
    return locked
