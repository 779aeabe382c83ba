"""Every write to a project goes through here.

One function per transition (``project_<transition>``), each built on :func:`_fire`, which in one
transaction: locks the row, checks the permission (403), checks the source state and conditions
(409 with the transitions allowed now), fires the django-fsm transition, validates and saves,
writes the ``ProjectEvent`` audit row, moves the money, and publishes events on commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from notifications.events import project_group, publish_on_commit, screen_group
from notifications.services import notify
from notifications.texts import Text
from projects import ledger, texts, uploads
from projects.errors import Conflict, Forbidden, Invalid, YishiError
from projects.execution import inspection_note, inspection_open
from projects.models import (
    Comment,
    Community,
    Project,
    ProjectEvent,
    ProjectFollower,
    ProjectPhoto,
    Role,
    State,
)
from projects.models.lifecycle import (
    CONDITION_AT,
    CONDITION_DETAIL,
    CONDITION_MESSAGES,
    PROPOSER,
    SYSTEM,
    TRANSITIONS,
    Condition,
    FiredBy,
    Param,
    Rule,
    unmet,
    user_may,
)
from projects.selectors import user_has_role

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = uploads.MAX_PHOTO_BYTES


# --- what may be done now (read from the transition table) -----------------------------------
def _transition_meta(name: str) -> Any:
    return getattr(Project, name)._django_fsm


def transitions_from(state: str) -> list[str]:
    """Transition names whose source includes ``state`` (conditions and roles aside)."""
    return [n for n in TRANSITIONS if _transition_meta(n).has_transition(state)]


@dataclass(frozen=True)
class Action:
    """A transition the caller may fire now, with the parameters it needs."""

    rule: Rule

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def label(self) -> str:
        return str(self.rule.label)

    @property
    def params(self) -> tuple[Param, ...]:
        return self.rule.params

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "params": [p.as_dict() for p in self.params],
        }


@dataclass(frozen=True)
class Waiting:
    """A transition the caller could fire from this state once its conditions hold; ``at`` is
    when the clock alone will make it possible (``None`` if it waits on something else)."""

    rule: Rule
    reasons: tuple[str, ...]
    at: datetime | None

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def label(self) -> str:
        return str(self.rule.label)


def refusal(project: Project, user: User | None, name: str) -> YishiError | None:
    """Why ``user`` may not fire ``name`` by hand on ``project`` now (403 / 409), or ``None``
    when they may (given valid parameters). The transitions endpoint, the page forms and
    :func:`allowed_transitions` all ask this one question."""
    rule = TRANSITIONS.get(name)
    if rule is None:
        return Invalid(
            _("未知的操作：%(name)s") % {"name": name}, errors={"transition": sorted(TRANSITIONS)}
        )
    if rule.fired_by == FiredBy.SYSTEM:
        return Forbidden(_("此操作由系统自动执行"))
    if not user_may(project, user, name):
        return Forbidden(_("您没有权限执行此操作"))
    if rule.fired_by == FiredBy.ROLLCALL:
        failed = unmet(project, rule.conditions) if project.state in rule.sources else []
        if failed:  # e.g. a hearing is needed first: say that, not "use the roll-call"
            return condition_refusal(project, user, failed)
        return Conflict(
            _("党委决策须经记名表决：请发起动议并由委员表决"),
            state=project.state,
            allowed=allowed_names(project, user),
        )
    if rule.fired_by == FiredBy.MEETING:
        return Conflict(
            _("议事会的建议须经议事会会议记名表决：请召开会议，由出席成员表决"),
            state=project.state,
            allowed=allowed_names(project, user),
        )
    if rule.fired_by == FiredBy.EVALUATION:
        return Conflict(
            _("评议结果由群众评议的计票决定，评议期满后自动得出"),
            state=project.state,
            allowed=allowed_names(project, user),
        )
    if rule.fired_by == FiredBy.ACCEPTANCE:
        return Conflict(
            _("验收结果由验收人逐一签字后计数得出"),
            state=project.state,
            allowed=allowed_names(project, user),
        )
    if project.state not in rule.sources:
        return Conflict(
            _("项目当前状态为“%(state)s”，不能执行此操作") % {"state": State(project.state).label},
            state=project.state,
            allowed=allowed_names(project, user),
        )
    failed = unmet(project, rule.conditions)
    if failed:
        return condition_refusal(project, user, failed)
    return None


def condition_refusal(project: Project, user: User | None, failed: list[Condition]) -> Conflict:
    """The 409 for unmet conditions, each said with its reasons."""
    return Conflict(
        "；".join(_condition_text(project, c) for c in failed),
        state=project.state,
        allowed=allowed_names(project, user),
    )


def unmet_conditions(project: Project, name: str) -> list[Condition]:
    """The conditions of transition ``name`` that do not hold now (the roll-call asks this
    before opening a motion)."""
    return unmet(project, TRANSITIONS[name].conditions)


def _held(project: Project, user: User | None) -> frozenset[str]:
    """The roles ``user`` holds on ``project`` (``PROPOSER`` included), read once."""
    if user is None or not user.is_authenticated:
        return frozenset()
    roles = set(
        project.community.memberships.current()
        .filter(user_id=user.pk)
        .values_list("role", flat=True)
    )
    if project.proposer_id == user.pk:
        roles.add(PROPOSER)
    return frozenset(roles)


def allowed_transitions(project: Project, user: User | None) -> list[Action]:
    """Every transition ``user`` may fire by hand on ``project`` now, with its parameters: right
    state, conditions met, right role. Parameters still missing (the clerk's assessment) are
    not a reason to leave an action out: its form fills them in."""
    held = _held(project, user)
    return [
        Action(r)
        for r in TRANSITIONS.values()
        if r.by_person
        and project.state in r.sources
        and r.roles & held
        and not unmet(project, r.conditions)
    ]


def allowed_names(project: Project, user: User | None) -> list[str]:
    return [a.name for a in allowed_transitions(project, user)]


def waiting_transitions(project: Project, user: User | None) -> list[Waiting]:
    """What ``user`` could do by hand from this state once the conditions hold, and why not yet."""
    waiting = []
    held = _held(project, user)
    for rule in TRANSITIONS.values():
        if not rule.by_person or project.state not in rule.sources or not rule.roles & held:
            continue
        failed = unmet(project, rule.conditions)
        if not failed:
            continue
        at = None
        if all(c in CONDITION_AT for c in failed):
            moments = [CONDITION_AT[c](project) for c in failed]
            at = max((m for m in moments if m is not None), default=None)
        waiting.append(
            Waiting(rule, tuple(str(CONDITION_MESSAGES.get(c, c.__name__)) for c in failed), at)
        )
    return waiting


def _condition_text(project: Project, condition: Condition) -> str:
    text = str(CONDITION_MESSAGES.get(condition, condition.__name__))
    detail = CONDITION_DETAIL[condition](project) if condition in CONDITION_DETAIL else []
    if detail:
        text = _("%(reason)s（%(detail)s）") % {"reason": text, "detail": "；".join(detail)}
    when = CONDITION_AT[condition](project) if condition in CONDITION_AT else None
    if when is not None:
        text = _("%(reason)s（%(when)s 起可以办理）") % {
            "reason": text,
            "when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M"),
        }
    return text


def _unmet_conditions(project: Project, name: str) -> list[str]:
    rule = TRANSITIONS[name]
    return [_condition_text(project, c) for c in unmet(project, [*rule.conditions, *rule.checks])]


def _lock(project: Project) -> Project:
    return (
        Project.objects.select_for_update()
        .select_related("community", "community__place")
        .get(pk=project.pk)
    )


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise Invalid(_("请填写理由"), errors={"reason": [_("此项必填")]})
    if len(reason) > 2000:
        raise Invalid(_("理由不能超过 2000 字"), errors={"reason": [_("过长")]})
    return reason


def parse_amount(value: Decimal | str, *, field: str = "amount") -> Decimal:
    """The ledger's amount rules (positive, at most two decimals, within bounds)."""
    return ledger.parse_amount(value, field=field)


def _validate(project: Project) -> None:
    try:
        project.full_clean(exclude=["state"])
    except ValidationError as e:
        errors = {k: [str(m) for m in v] for k, v in e.message_dict.items()}
        first = next(iter(errors.values()))[0] if errors else _("输入有误")
        raise Invalid(first, errors=errors) from None


def project_event_payload(project: Project) -> dict[str, Any]:
    return {
        "kind": "project.state",
        "project_id": project.pk,
        "title": project.title,
        "state": project.state,
        "state_label": str(State(project.state).label),
    }


def _fire(
    *,
    project: Project,
    name: str,
    by: User | None,
    reason: str = "",
    amount: Decimal | None = None,
    prepare: Callable[[Project], None] | None = None,
    after: Callable[[Project], None] | None = None,
    acting_role: str | None = None,
    note: Text | None = None,
) -> Project:
    """Fire transition ``name`` on ``project`` as ``by`` (``None`` = the system itself).

    ``acting_role`` names the body that fires the transition on behalf of another process (a
    budget ballot's result is carried by the committee): ``by`` must hold that role instead."""
    if name not in TRANSITIONS:
        raise Invalid(_("未知的操作：%(name)s") % {"name": name})
    with transaction.atomic():
        locked = _lock(project)
        roles = TRANSITIONS[name].roles
        if by is None:
            if SYSTEM not in roles and acting_role is None:
                raise Forbidden(_("此操作需要由具有相应角色的用户执行"))
        elif acting_role is not None:
            if not user_has_role(by, locked.community, acting_role):
                raise Forbidden(_("您没有权限执行此操作"))
        elif SYSTEM in roles or not user_may(locked, by, name):
            raise Forbidden(_("您没有权限执行此操作"))
        source = locked.state
        meta = _transition_meta(name)
        if not meta.has_transition(source):
            raise Conflict(
                _("项目当前状态为“%(state)s”，不能执行此操作") % {"state": State(source).label},
                state=source,
                allowed=allowed_names(locked, by),
            )
        if prepare is not None:
            prepare(locked)
        failed = _unmet_conditions(locked, name)
        if failed:
            raise Conflict("；".join(failed), state=source, allowed=allowed_names(locked, by))
        try:
            getattr(locked, name)()
        except TransitionNotAllowed:  # pragma: no cover - checked above; kept as a last guard
            raise Conflict(_("当前状态不允许此操作"), state=source, allowed=[]) from None
        _validate(locked)
        locked.save()
        ProjectEvent.objects.create(
            project=locked,
            actor=by,
            action=name,
            source=source,
            target=locked.state,
            reason=reason,
            kind=note.code if note is not None else None,
            params=note.params if note is not None else None,
            amount=amount,
        )
        if after is not None:
            after(locked)
        _announce(locked, by=by, source=source)
    return locked


def _announce(project: Project, *, by: User | None, source: str) -> None:
    payload = project_event_payload(project) | {"source": source}
    if project.flags.public:  # both groups are open to anyone: no private draft goes out
        publish_on_commit(
            [project_group(project.pk), screen_group(project.community.slug)], payload
        )
    followers = (
        ProjectFollower.objects.filter(project=project).values_list("user_id", flat=True)
        if texts.follower_news(project.state)
        else []
    )
    notify(
        recipients=[project.proposer_id, *followers],
        kind="project.state",
        params={"title": project.title, "state": project.state},
        actor=by,
        project_id=project.pk,
        project_title=project.title,
        url=f"/projects/{project.pk}/",
    )


# --- creating and editing ------------------------------------------------------------------
def project_create(
    *,
    by: User,
    community: Community,
    title: str,
    summary: str,
    location: str = "",
    category: str = Project.Category.OTHER,
    estimated_cost: Decimal | None = None,
    photos: Iterable[UploadedFile] = (),
) -> Project:
    """A resident drafts a proposal. Submitting it is a transition of its own, run by the
    orchestrator (``deliberation.actions.create`` does both)."""
    if not user_has_role(by, community, Role.RESIDENT):
        raise Forbidden(_("只有本社区登记居民可以提出提议"))
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise Invalid(
            _("最多上传 %(n)d 张照片") % {"n": MAX_PHOTOS}, errors={"photos": [_("过多")]}
        )
    cleaned = [uploads.clean_photo(photo) for photo in photos]  # re-encoded, server-named
    project = Project(
        community=community,
        proposer=by,
        title=(title or "").strip(),
        summary=(summary or "").strip(),
        location=(location or "").strip(),
        category=category,
        estimated_cost=estimated_cost,
    )
    _validate(project)
    with transaction.atomic():
        project.save()
        ProjectFollower.objects.create(project=project, user=by)
        ProjectEvent.objects.create(
            project=project, actor=by, action="create", source="", target=project.state
        )
        for photo in cleaned:
            ProjectPhoto.objects.create(project=project, image=photo, uploaded_by=by)
    return project


def project_comment(*, project: Project, by: User, body: str) -> Comment:
    body = (body or "").strip()
    if not project.flags.can_comment:
        raise Conflict(_("此状态下不能评论"), state=project.state)
    if not user_has_role(by, project.community, None):  # any role in the community
        raise Forbidden(_("只有本社区成员可以评论"))
    comment = Comment(project=project, author=by, body=body)
    try:
        comment.full_clean()
    except ValidationError as e:
        raise Invalid(
            _("评论不能为空且不超过 2000 字"), errors={"body": [str(m) for m in e.messages]}
        ) from None
    with transaction.atomic():
        comment.save()
        publish_on_commit(
            project_group(project.pk),
            {"kind": "project.comment", "project_id": project.pk, "comment_id": comment.pk},
        )
    return comment


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


def project_follow(*, project: Project, user: User) -> None:
    ProjectFollower.objects.get_or_create(project=project, user=user)


def project_unfollow(*, project: Project, user: User) -> None:
    """Stop hearing of the project's progress (a proposer always hears of their own)."""
    ProjectFollower.objects.filter(project=project, user=user).delete()


def projects_due_to_expire(now: Any = None) -> list[Project]:
    now = now or timezone.now()
    return list(Project.objects.filter(state=State.COLLECTING, cosign_deadline__lte=now))
