"""The household register (户籍名册): a CSV or Excel file read into rows, checked row by row
(preview with a per-row error report), then imported in bulk."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Community, Grid, Membership, Role
from projects.selectors import user_has_role
from residents.models import RegisterEntry, RegisterImport, ResidencyEvent
from residents.phones import normalise_phone

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# header (as written, lower case) -> field; Chinese or English headers
HEADERS = {
    "name": "name",
    "姓名": "name",
    "phone": "phone",
    "手机号": "phone",
    "手机": "phone",
    "电话": "phone",
    "grid": "grid",
    "网格": "grid",
    "building": "building",
    "楼栋": "building",
    "楼号": "building",
    "unit": "unit",
    "单元": "unit",
    "room": "room",
    "房号": "room",
    "household": "household",
    "household number": "household",
    "household_number": "household",
    "户号": "household",
}
REQUIRED = ("name", "phone", "household")


@dataclass
class Row:
    line: int
    name: str
    phone: str  # E.164 when valid, else as written
    grid_name: str
    building: str
    unit: str
    room: str
    household: str
    grid_id: int | None = None
    action: str = ""  # create / update / same / error
    errors: list[str] = field(default_factory=list)

    @property
    def address(self) -> tuple[str, str, str]:
        return (self.building, self.unit, self.room)


@dataclass
class Preview:
    rows: list[Row]
    file_errors: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def error_rows(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    @property
    def creates(self) -> int:
        return self.count("create")

    @property
    def updates(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("same")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as text cells (header first). ``.xlsx`` through openpyxl, else CSV
    (UTF-8, with or without BOM, or GBK as Excel in China saves it)."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise Invalid(_("无法读取该 Excel 文件"), errors={"file": [_("格式不对")]}) from None
        ws = wb.worksheets[0]
        rows = [[_cell(c) for c in r] for r in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid(_("无法识别文件编码，请另存为 UTF-8 的 CSV"), errors={"file": [_("编码")]})
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))]


def parse(community: Community, table: list[list[str]]) -> Preview:
    """Check every row against the file and the stored register; nothing is written."""
    if not table:
        return Preview(rows=[], file_errors=[_("文件是空的")])
    header = [HEADERS.get(h.strip().lower(), "") for h in table[0]]
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        return Preview(
            rows=[],
            file_errors=[
                _("缺少列：%(cols)s（需要 姓名、手机号、网格、楼栋、单元、房号、户号）")
                % {"cols": "、".join(missing)}
            ],
        )
    if len(table) - 1 > MAX_ROWS:
        return Preview(rows=[], file_errors=[_("一次最多导入 %(n)d 行") % {"n": MAX_ROWS}])
    col = {name: header.index(name) for name in set(header) if name}
    grids = dict(Grid.objects.filter(community=community).values_list("name", "pk"))
    stored = {
        e["phone"]: e
        for e in RegisterEntry.objects.filter(community=community).values(
            "phone", "name", "grid_id", "building", "unit", "room", "household"
        )
    }
    # household -> address already in the register (from a number this file does not restate)
    stored_households: dict[str, tuple[str, str, str]] = {}
    for e in stored.values():
        stored_households.setdefault(e["household"], (e["building"], e["unit"], e["room"]))
    seen_phone: dict[str, int] = {}
    seen_household: dict[str, tuple[int, tuple[str, str, str]]] = {}
    rows: list[Row] = []
    for i, raw in enumerate(table[1:], start=2):
        if not any(raw):
            continue

        def get(name: str, raw: list[str] = raw) -> str:
            j = col.get(name)
            return raw[j].strip() if j is not None and j < len(raw) else ""

        row = Row(
            line=i,
            name=get("name")[:60],
            phone=get("phone"),
            grid_name=get("grid"),
            building=get("building")[:40],
            unit=get("unit")[:40],
            room=get("room")[:40],
            household=get("household")[:60],
        )
        if not row.name:
            row.errors.append(_("缺少姓名"))
        phone = normalise_phone(row.phone)
        if phone is None:
            row.errors.append(_("手机号“%(phone)s”无效") % {"phone": row.phone})
        else:
            row.phone = phone
            first = seen_phone.get(phone)
            if first is not None:
                row.errors.append(_("手机号与第 %(line)d 行重复") % {"line": first})
            else:
                seen_phone[phone] = i
        if row.grid_name:
            row.grid_id = grids.get(row.grid_name)
            if row.grid_id is None:
                row.errors.append(_("没有名为“%(grid)s”的网格") % {"grid": row.grid_name})
        if not row.household:
            row.errors.append(_("缺少户号"))
        else:
            earlier = seen_household.get(row.household)
            if earlier is not None and earlier[1] != row.address:
                row.errors.append(
                    _("户号 %(household)s 在第 %(line)d 行对应另一个地址")
                    % {"household": row.household, "line": earlier[0]}
                )
            elif earlier is None:
                known = stored_households.get(row.household)
                old = stored.get(row.phone)
                if (
                    known is not None
                    and known != row.address
                    and not (old is not None and old["household"] == row.household)
                ):
                    row.errors.append(
                        _("户号 %(household)s 已登记在另一个地址") % {"household": row.household}
                    )
                else:  # the household's address, as the file first gives it
                    seen_household[row.household] = (i, row.address)
        if row.errors:
            row.action = "error"
        else:
            old = stored.get(row.phone)
            if old is None:
                row.action = "create"
            elif (
                old["name"],
                old["grid_id"],
                old["building"],
                old["unit"],
                old["room"],
                old["household"],
            ) == (row.name, row.grid_id, row.building, row.unit, row.room, row.household):
                row.action = "same"
            else:
                row.action = "update"
        rows.append(row)
    return Preview(rows=rows)


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
