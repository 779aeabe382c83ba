"""Every write to a project goes through here.

One function per transition (``project_<transition>``), each built on :func:`_fire`, which in one
transaction: locks the row, checks the permission (403), checks the source state and conditions
(409 with the transitions allowed now), fires the django-fsm transition, validates and saves,
writes the ``ProjectEvent`` audit row, moves the money, and publishes events on commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
from projects import ledger
from projects.errors import Conflict, Forbidden, Invalid
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
    CONDITION_MESSAGES,
    SYSTEM,
    TRANSITION_ROLES,
    user_may,
)
from projects.selectors import user_has_role

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024


# --- helpers --------------------------------------------------------------------------------
def transition_names() -> list[str]:
    return list(TRANSITION_ROLES)


def _transition_method(project: Project, name: str) -> Any:
    return getattr(project, name)


def _transition_meta(name: str) -> Any:
    return getattr(Project, name)._django_fsm


def transitions_from(state: str) -> list[str]:
    """Transition names whose source includes ``state`` (conditions and roles aside)."""
    return [n for n in TRANSITION_ROLES if _transition_meta(n).has_transition(state)]


def allowed_transitions(project: Project, user: User | None) -> list[str]:
    """What ``user`` may fire on ``project`` now: right state, conditions met, right role."""
    names = []
    for name in transitions_from(project.state):
        meta = _transition_meta(name)
        if SYSTEM in TRANSITION_ROLES[name]:
            continue
        if meta.conditions_met(project, project.state) and user_may(project, user, name):
            names.append(name)
    return names


def _unmet_conditions(project: Project, name: str) -> list[str]:
    transition = _transition_meta(name).get_transition(project.state)
    if transition is None:
        return []
    return [
        str(CONDITION_MESSAGES.get(c, c.__name__)) for c in transition.conditions if not c(project)
    ]


def _lock(project: Project) -> Project:
    return (
        Project.objects.select_for_update()
        .select_related("community", "community__street")
        .get(pk=project.pk)
    )


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise Invalid(_("请填写理由"), errors={"reason": [_("此项必填")]})
    if len(reason) > 2000:
        raise Invalid(_("理由不能超过 2000 字"), errors={"reason": [_("过长")]})
    return reason


def parse_amount(value: Any, *, field: str = "amount") -> Decimal:
    """A positive CNY amount with at most two decimals (the ledger's rules). A JSON number from
    an API client is read through its shortest decimal form, so ``12.34`` stays exactly 12.34."""
    if isinstance(value, float):
        value = repr(value)
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
) -> Project:
    """Fire transition ``name`` on ``project`` as ``by`` (``None`` = the system itself).

    ``acting_role`` names the body that fires the transition on behalf of another process (a
    budget ballot's result is carried by the committee): ``by`` must hold that role instead."""
    if name not in TRANSITION_ROLES:
        raise Invalid(_("未知的操作：%(name)s") % {"name": name})
    with transaction.atomic():
        locked = _lock(project)
        roles = TRANSITION_ROLES[name]
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
                allowed=allowed_transitions(locked, by),
            )
        if prepare is not None:
            prepare(locked)
        unmet = _unmet_conditions(locked, name)
        if unmet:
            raise Conflict("；".join(unmet), state=source, allowed=allowed_transitions(locked, by))
        try:
            _transition_method(locked, name)()
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
            amount=amount,
        )
        if after is not None:
            after(locked)
        _announce(locked, by=by, source=source)
    return locked


def _announce(project: Project, *, by: User | None, source: str) -> None:
    payload = project_event_payload(project) | {"source": source}
    publish_on_commit(project_group(project.pk), payload)
    publish_on_commit(screen_group(project.community.slug), payload)
    followers = ProjectFollower.objects.filter(project=project).values_list("user_id", flat=True)
    notify(
        recipients=[project.proposer_id, *followers],
        kind="project.state",
        verb=_("“%(title)s”状态变为：%(state)s")
        % {"title": project.title, "state": State(project.state).label},
        actor=by,
        project_id=project.pk,
        project_title=project.title,
        url=f"/projects/{project.pk}/",
    )


# --- creating and editing ------------------------------------------------------------------
def _check_photo(photo: UploadedFile) -> None:
    from PIL import Image, UnidentifiedImageError

    if photo.size is not None and photo.size > MAX_PHOTO_BYTES:
        raise Invalid(_("照片不能超过 5 MB"), errors={"photos": [_("文件过大")]})
    try:
        photo.seek(0)
        with Image.open(photo) as img:
            img.verify()
        if (img.format or "").upper() not in {"JPEG", "PNG", "GIF", "WEBP"}:
            raise Invalid(
                _("只能上传 JPEG、PNG、GIF 或 WebP 图片"), errors={"photos": [_("格式不支持")]}
            )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Invalid(_("上传的文件不是有效的图片"), errors={"photos": [_("不是图片")]}) from None
    finally:
        photo.seek(0)


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
    submit: bool = False,
) -> Project:
    """A resident drafts a proposal (optionally submitting it for co-signing at once)."""
    if not user_has_role(by, community, Role.RESIDENT):
        raise Forbidden(_("只有本社区登记居民可以提出提议"))
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise Invalid(
            _("最多上传 %(n)d 张照片") % {"n": MAX_PHOTOS}, errors={"photos": [_("过多")]}
        )
    for photo in photos:
        _check_photo(photo)
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
        for photo in photos:
            ProjectPhoto.objects.create(project=project, image=photo, uploaded_by=by)
        if submit:
            project = project_submit(project=project, by=by)
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
    return _fire(project=project, name="reach_threshold", by=None, reason=_("附议人数达到门槛"))


def project_expire(*, project: Project) -> Project:
    return _fire(project=project, name="expire", by=None, reason=_("附议期满未达门槛"))


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
    assessed_cost: Any,
    plan: str,
    duration_days: Any,
    reason: str = "",
) -> Project:
    cost = parse_amount(assessed_cost, field="assessed_cost")
    plan = (plan or "").strip()
    if not plan:
        raise Invalid(_("请填写实施方案"), errors={"plan": [_("此项必填")]})
    try:
        days = int(duration_days)
    except (TypeError, ValueError):
        raise Invalid(_("工期必须是整数天"), errors={"duration_days": [_("请输入整数")]}) from None
    if not 1 <= days <= 3650:
        raise Invalid(_("工期必须在 1 到 3650 天之间"), errors={"duration_days": [_("超出范围")]})

    def record(p: Project) -> None:
        p.assessed_cost, p.plan, p.duration_days = cost, plan, days

    return _fire(
        project=project,
        name="assess",
        by=by,
        reason=_clean_reason(reason, required=False),
        amount=cost,
        prepare=record,
    )


def project_recommend(*, project: Project, by: User, reason: str) -> Project:
    """The council's recommendation, with its minutes as the reason."""
    return _fire(
        project=project, name="recommend", by=by, reason=_clean_reason(reason, required=True)
    )


def project_recommend_by_ballot(
    *, project: Project, by: User | None, reason: str, amount: Decimal
) -> Project:
    """A budget ballot's winner moves on to the committee (deliberating → deciding); the round's
    closer (a committee member, or the system when the window ends) is the actor."""
    return _fire(
        project=project,
        name="recommend",
        by=by,
        reason=_clean_reason(reason, required=True),
        amount=amount,
        acting_role=Role.COMMITTEE,
    )


def project_approve(*, project: Project, by: User, amount: Any, reason: str = "") -> Project:
    """The committee approves ``amount``: allocated from the fund under a row lock."""
    value = parse_amount(amount)

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
    )


def project_decline(*, project: Project, by: User, reason: str) -> Project:
    reason = _clean_reason(reason, required=True)

    def record(p: Project) -> None:
        p.outcome_reason = reason

    return _fire(project=project, name="decline", by=by, reason=reason, prepare=record)


def project_defer(*, project: Project, by: User, reason: str = "") -> Project:
    return _fire(project=project, name="defer", by=by, reason=_clean_reason(reason, required=False))


def project_uphold_objection(*, project: Project, by: User, reason: str) -> Project:
    """An objection during 公示 is upheld: back to the committee; the allocation returns."""

    def give_back(p: Project) -> None:
        ledger.return_unreleased(project=p, by=by, memo=_("公示异议成立，退回批准金额"))

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
    report = _clean_reason(report, required=True)

    def record(p: Project) -> None:
        p.delivery_report = report

    return _fire(project=project, name="deliver", by=by, reason=report, prepare=record)


def project_pass_evaluation(*, project: Project, by: User, reason: str) -> Project:
    """The public evaluation passed: what is left of the advance returns to the fund, and the
    holdback is paid out — the vote is what pays it."""

    def pay(p: Project) -> None:
        ledger.release_holdback(project=p, by=by)  # returns the unspent advance, pays the holdback

    return _fire(project=project, name="pass_evaluation", by=by, reason=reason, after=pay)


def project_fail_evaluation(*, project: Project, by: User, reason: str) -> Project:
    """The evaluation failed with rectification rounds left: the holdback stays held."""
    return _fire(project=project, name="fail_evaluation", by=by, reason=reason)


def project_fail_final(*, project: Project, by: User, reason: str) -> Project:
    """The last evaluation failed: the holdback returns to the fund."""

    def give_back(p: Project) -> None:
        ledger.return_unreleased(project=p, by=by, memo=_("评议最终未通过，尾款退回"))

    return _fire(project=project, name="fail_final", by=by, reason=reason, after=give_back)


def project_finish_rectification(*, project: Project, by: User, report: str) -> Project:
    report = _clean_reason(report, required=True)

    def record(p: Project) -> None:
        p.delivery_report = report

    return _fire(project=project, name="finish_rectification", by=by, reason=report, prepare=record)


def project_follow(*, project: Project, user: User) -> None:
    ProjectFollower.objects.get_or_create(project=project, user=user)


def projects_due_to_expire(now: Any = None) -> list[Project]:
    now = now or timezone.now()
    return list(Project.objects.filter(state=State.COLLECTING, cosign_deadline__lte=now))
