"""The household register (户籍名册): a CSV or Excel file read into rows, checked row by row
(preview with a per-row error report), then imported in bulk. Reading and checking the rows:
``residents.register_rows``."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Community, Membership, Role
from projects.selectors import user_has_role
from residents.models import RegisterEntry, RegisterImport, ResidencyEvent
from residents.register_rows import Preview, parse, read_table

MAX_BYTES = 10 * 1024 * 1024


def _require_clerk(by: Any, community: Community) -> None:
    if not user_has_role(by, community, Role.CLERK):
        raise Forbidden(_("只有本社区服务中心可以导入户籍名册"))


def upload(*, by: Any, community: Community, file: UploadedFile | None) -> RegisterImport:
    """Keep the uploaded file (privately) for its preview and confirmation."""
    _require_clerk(by, community)
    if file is None:
        raise Invalid(_("请选择文件"), errors={"file": [_("必填")]})
    if (file.size or 0) > MAX_BYTES:
        raise Invalid(_("文件不能超过 10 MB"), errors={"file": [_("文件过大")]})
    name = (file.name or "").lower()
    if not (name.endswith(".csv") or name.endswith(".xlsx")):
        raise Invalid(_("只能上传 CSV 或 Excel（.xlsx）文件"), errors={"file": [_("格式不支持")]})
    imp = RegisterImport(community=community, uploaded_by=by)
    imp.file.save(file.name or "register.csv", file, save=False)
    imp.save()
    return imp


FIELDS = ("phone", "name", "grid_id", "building", "unit", "room", "household")


def preview(imp: RegisterImport) -> Preview:
    """Check the uploaded file; the rows found good are kept for the confirmation."""
    with imp.file.open("rb") as f:
        data = f.read()
    result = parse(imp.community, read_table(data, str(imp.file.name)))
    if imp.confirmed_at is None:
        imp.checked_rows = [
            [getattr(r, "grid_id" if f == "grid_id" else f) for f in FIELDS]
            for r in result.rows
            if r.action in ("create", "update")
        ]
        imp.save(update_fields=["checked_rows"])
    return result


def confirm(*, by: Any, imp: RegisterImport) -> RegisterImport:
    """Import the rows without errors (the rows with errors are left out, as the preview said):
    new numbers created, changed ones updated, in bulk; then everyone already signed up with a
    number of the register is verified as a resident."""
    community = imp.community
    _require_clerk(by, community)
    if imp.checked_rows is None and imp.confirmed_at is None:
        preview(imp)
    with transaction.atomic():
        locked = RegisterImport.objects.select_for_update().get(pk=imp.pk)
        if locked.confirmed_at is not None:
            raise Conflict(_("该名册已经导入"))
        good = [dict(zip(FIELDS, row, strict=True)) for row in locked.checked_rows or []]
        # created or updated as the register is now (another import may have come between)
        existing = {e.phone: e for e in RegisterEntry.objects.filter(community=community)}
        new, changed = [], []
        for values in good:
            e = existing.get(values["phone"])
            if e is None:
                new.append(RegisterEntry(community=community, **values))
            else:
                for k, v in values.items():
                    setattr(e, k, v)
                changed.append(e)
        RegisterEntry.objects.bulk_create(new, batch_size=1000)
        RegisterEntry.objects.bulk_update(
            changed,
            ["name", "grid_id", "building", "unit", "room", "household"],
            batch_size=1000,
        )
        verified = _verify_signed_up(community, [v["phone"] for v in good])
        locked.confirmed_at = timezone.now()
        locked.created_count, locked.updated_count = len(new), len(changed)
        locked.verified_count = verified
        locked.checked_rows = None
        locked.save()
        # the uploaded file holds people's numbers: not kept once imported
        name, storage = locked.file.name, locked.file.storage
        transaction.on_commit(lambda: storage.delete(str(name)), robust=True)
        ResidencyEvent.objects.create(
            community=community,
            kind=ResidencyEvent.Kind.REGISTER_IMPORTED,
            actor=by,
            params={"created": len(new), "updated": len(changed), "verified": verified},
        )
    return locked


def signed_up_with(phones: list[str]) -> list[tuple[int, str]]:
    """(user id, number) of the people signed up with one of ``phones`` (the sign-up app's
    ``accounts.Phone``; none before it is installed)."""
    try:
        from accounts.models import Phone  # the sign-up app
    except ImportError:
        return []
    found: list[tuple[int, str]] = []
    for start in range(0, len(phones), 900):
        chunk = phones[start : start + 900]
        rows = Phone.objects.filter(number__in=chunk).values_list("user_id", "number")
        found += [(int(uid), str(number)) for uid, number in rows]
    return found


def _verify_signed_up(community: Community, phones: list[str]) -> int:
    """Residents already signed up with a number of the register: verified now."""
    from django.contrib.auth import get_user_model

    from residents.services import verify_from_register

    matches = signed_up_with(phones)
    if not matches:
        return 0
    residents = set(
        Membership.objects.residents().filter(community=community).values_list("user_id", flat=True)
    )
    users = get_user_model().objects.in_bulk([uid for uid, _n in matches if uid not in residents])
    count = 0
    for uid, number in matches:
        if uid in users:
            made = verify_from_register(users[uid], number)
            count += sum(1 for m in made if m.community_id == community.pk)
    return count
