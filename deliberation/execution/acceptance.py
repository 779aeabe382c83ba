"""Acceptance (验收): the council names resident representatives; each inspector signs once (a
check per checklist item); once all have signed, the count accepts or returns the project."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.privacy import display_name
from deliberation import actions
from deliberation.execution.base import (
    _lock,
    _publish,
    _wrong_state,
)
from notifications.services import notify
from projects import execution as pe
from projects import uploads
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import (
    AcceptanceCheck,
    AcceptanceInspection,
    AcceptanceItem,
    AcceptanceSignature,
    Membership,
    Project,
    ProjectEvent,
    Role,
    State,
)
from projects.selectors import user_has_role


# --- acceptance (验收) ------------------------------------------------------------------------
def _open_inspection_locked(p: Project, by: User | None) -> AcceptanceInspection:
    inspection = pe.open_inspection(p)
    if p.state != State.ACCEPTING or inspection is None:
        raise _wrong_state(p, by)
    return AcceptanceInspection.objects.select_for_update().get(pk=inspection.pk)


def acceptance_name_representatives(
    *, project: Project, by: User, users: Iterable[User]
) -> AcceptanceInspection:
    """A council member names resident representatives as inspectors of the open round."""
    users = list(users)
    with transaction.atomic():
        p = _lock(project)
        if not user_has_role(by, p.community, Role.COUNCIL):
            raise Forbidden(_("只有议事会成员可以指定居民代表"))
        inspection = _open_inspection_locked(p, by)
        if inspection.signatures.exists():
            raise Conflict(_("已有验收人签字，不能再增加验收人"), state=p.state, allowed=[])
        residents = set(
            Membership.objects.residents()
            .filter(community_id=p.community_id, user__in=users)
            .values_list("user_id", flat=True)
        )
        if not users or len(residents) != len({u.pk for u in users}):
            raise Invalid(_("居民代表须是本社区登记居民"), errors={"representatives": [_("无效")]})
        inspection.representatives.add(*residents)
        inspection.inspectors.add(*residents)
        names = "、".join(sorted(display_name(u) for u in users))
        ProjectEvent.objects.create(
            project=p,
            actor=by,
            action="acceptance_representatives",
            kind="acceptance.representatives",
            params={"names": names},
        )
        notify(
            recipients=residents,
            kind="acceptance.invited",
            params={"title": p.title, "n": inspection.number},
            actor=by,
            project_id=p.pk,
            project_title=p.title,
            url=f"/projects/{p.pk}/#acceptance",
        )
        _publish(p.pk, "project.acceptance")
    return inspection


@dataclass(frozen=True)
class CheckInput:
    item: int  # AcceptanceItem pk
    passed: bool
    note: str = ""
    photo: UploadedFile | None = None


def _clean_signature(passed: bool, reasons: str, checks: list[CheckInput]) -> str:
    """The reasons (for a fail, else the failed checks' notes); refuse inconsistent verdicts."""
    reasons = (reasons or "").strip()
    if len(reasons) > 2000:
        raise Invalid(_("理由不能超过 2000 字"), errors={"reasons": [_("过长")]})
    if passed and any(not c.passed for c in checks):
        raise Invalid(
            _("有查验项不合格，不能签字验收合格"),
            errors={"checks": [_("有查验项不合格，请签字验收不合格并写明理由")]},
        )
    if not passed and not reasons:
        failed_notes = [c.note.strip() for c in checks if not c.passed and c.note.strip()]
        reasons = "；".join(failed_notes)
        if not reasons:
            raise Invalid(_("验收不合格须写明理由"), errors={"reasons": [_("此项必填")]})
    return reasons


def _check_signer(p: Project, inspection: AcceptanceInspection, by: User) -> None:
    """Refuse anyone but an inspector of the round, and an inspector who signed already."""
    if not pe.is_inspector(inspection, by):
        raise Forbidden(_("只有本轮验收人可以签字"))
    if inspection.signatures.filter(inspector=by).exists():
        raise Conflict(_("您已在本轮验收签字"), state=p.state, allowed=[])


def _write_checks(
    signature: AcceptanceSignature,
    items: dict[int, AcceptanceItem],
    given: dict[int, CheckInput],
    photos: dict[int, ContentFile[bytes]],
) -> None:
    """A check per checklist item: as given, or else the signature's own verdict."""
    for pk, item in items.items():
        AcceptanceCheck.objects.create(
            signature=signature,
            item=item,
            passed=given[pk].passed if pk in given else signature.passed,
            note=(given[pk].note.strip()[:500] if pk in given else ""),
            photo=photos.get(pk),
        )


def acceptance_sign(
    *,
    project: Project,
    by: User,
    passed: bool,
    reasons: str = "",
    checks: Iterable[CheckInput] = (),
) -> AcceptanceSignature:
    """One inspector signs the open round (once). When every inspector has signed, the count
    fires ``accepted`` (more than the community's share passed) or ``not_accepted``."""
    checks = list(checks)
    reasons = _clean_signature(passed, reasons, checks)
    photos = {
        c.item: uploads.clean_photo(c.photo, field="photo") for c in checks if c.photo is not None
    }
    with transaction.atomic():
        p = _lock(project)
        inspection = _open_inspection_locked(p, by)
        _check_signer(p, inspection, by)
        items = {i.pk: i for i in inspection.items.all()}
        given = {c.item: c for c in checks}
        if set(given) - set(items):
            raise Invalid(_("查验项无效"), errors={"checks": [_("无效")]})
        signature = AcceptanceSignature.objects.create(
            inspection=inspection, inspector=by, passed=passed, reasons=reasons
        )
        _write_checks(signature, items, given, photos)
        ProjectEvent.objects.create(
            project=p,
            actor=by,
            action="acceptance_sign",
            reason=reasons,
            kind="acceptance.signed_pass" if passed else "acceptance.signed_fail",
            params={"n": inspection.number},
        )
        _publish(p.pk, "project.acceptance")
        _count_if_complete(p, inspection)
    return signature


def acceptance_tally(inspection: AcceptanceInspection) -> tuple[int, int, int]:
    """(passed, failed, inspectors)."""
    signatures = list(inspection.signatures.values_list("passed", flat=True))
    total = inspection.inspectors.count()
    yes = sum(1 for s in signatures if s)
    return yes, len(signatures) - yes, total


def _count_if_complete(p: Project, inspection: AcceptanceInspection) -> None:
    yes, no, total = acceptance_tally(inspection)
    if yes + no < total:
        return
    accepted = p.community.acceptance_passes(yes, total)
    inspection.closed_at, inspection.accepted = timezone.now(), accepted
    inspection.save(update_fields=["closed_at", "accepted"])
    from notifications.texts import Text

    note = Text("acceptance.tally", {"n": inspection.number, "yes": yes, "no": no, "total": total})
    fails = inspection.signatures.filter(passed=False).exclude(reasons="").order_by("pk")
    reason = "\n".join(s.reasons for s in fails)
    actions.fire(
        project=p,
        name="accepted" if accepted else "not_accepted",
        by=None,
        note=note,
        reason="" if accepted else reason,
    )
