"""The household register's rows: the file read into text cells, and each row checked against
the file and the stored register (the preview's per-row error report). Nothing is written."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from projects.errors import Invalid
from projects.models import Community, Grid
from residents.models import RegisterEntry
from residents.phones import normalise_phone

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


Address = tuple[str, str, str]


@dataclass
class _Known:
    """What each row is checked against: the community's grids and stored register, and the
    numbers and households seen on earlier rows of the file."""

    grids: dict[str, int]
    stored: Mapping[str, Mapping[str, Any]]
    # household -> address already in the register (from a number this file does not restate)
    stored_households: dict[str, Address]
    seen_phone: dict[str, int] = field(default_factory=dict)
    seen_household: dict[str, tuple[int, Address]] = field(default_factory=dict)


def _header_problem(header: list[str], row_count: int) -> str | None:
    """What is wrong with the file as a whole (a required column missing, too many rows)."""
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        return _("缺少列：%(cols)s（需要 姓名、手机号、网格、楼栋、单元、房号、户号）") % {
            "cols": "、".join(missing)
        }
    if row_count > MAX_ROWS:
        return _("一次最多导入 %(n)d 行") % {"n": MAX_ROWS}
    return None


def _known(community: Community) -> _Known:
    """The community's grids and stored register, before any row is read."""
    grids = dict(Grid.objects.filter(community=community).values_list("name", "pk"))
    stored = {
        e["phone"]: e
        for e in RegisterEntry.objects.filter(community=community).values(
            "phone", "name", "grid_id", "building", "unit", "room", "household"
        )
    }
    stored_households: dict[str, Address] = {}
    for e in stored.values():
        stored_households.setdefault(e["household"], (e["building"], e["unit"], e["room"]))
    return _Known(grids=grids, stored=stored, stored_households=stored_households)


def _read_row(line: int, raw: list[str], col: dict[str, int]) -> Row:
    """One line of the file as a row, each cell trimmed and cut to its field's length."""

    def get(name: str) -> str:
        j = col.get(name)
        return raw[j].strip() if j is not None and j < len(raw) else ""

    return Row(
        line=line,
        name=get("name")[:60],
        phone=get("phone"),
        grid_name=get("grid"),
        building=get("building")[:40],
        unit=get("unit")[:40],
        room=get("room")[:40],
        household=get("household")[:60],
    )


def _check_phone(row: Row, known: _Known) -> None:
    """The number is valid (then stored as E.164) and not on an earlier row."""
    phone = normalise_phone(row.phone)
    if phone is None:
        row.errors.append(_("手机号“%(phone)s”无效") % {"phone": row.phone})
        return
    row.phone = phone
    first = known.seen_phone.get(phone)
    if first is not None:
        row.errors.append(_("手机号与第 %(line)d 行重复") % {"line": first})
    else:
        known.seen_phone[phone] = row.line


def _check_grid(row: Row, known: _Known) -> None:
    """The grid, when given, is one of the community's."""
    if row.grid_name:
        row.grid_id = known.grids.get(row.grid_name)
        if row.grid_id is None:
            row.errors.append(_("没有名为“%(grid)s”的网格") % {"grid": row.grid_name})


def _check_household(row: Row, known: _Known) -> None:
    """The household is given and has one address, in the file and in the register."""
    if not row.household:
        row.errors.append(_("缺少户号"))
        return
    earlier = known.seen_household.get(row.household)
    if earlier is not None:
        if earlier[1] != row.address:
            row.errors.append(
                _("户号 %(household)s 在第 %(line)d 行对应另一个地址")
                % {"household": row.household, "line": earlier[0]}
            )
        return
    stored_address = known.stored_households.get(row.household)
    old = known.stored.get(row.phone)
    if (
        stored_address is not None
        and stored_address != row.address
        and not (old is not None and old["household"] == row.household)
    ):
        row.errors.append(_("户号 %(household)s 已登记在另一个地址") % {"household": row.household})
    else:  # the household's address, as the file first gives it
        known.seen_household[row.household] = (row.line, row.address)


def _action(row: Row, known: _Known) -> str:
    """What importing the row would do: error, create, same (nothing) or update."""
    if row.errors:
        return "error"
    old = known.stored.get(row.phone)
    if old is None:
        return "create"
    if (
        old["name"],
        old["grid_id"],
        old["building"],
        old["unit"],
        old["room"],
        old["household"],
    ) == (row.name, row.grid_id, row.building, row.unit, row.room, row.household):
        return "same"
    return "update"


def _check_row(row: Row, known: _Known) -> None:
    """Check one row against the file so far and the register, and set its action."""
    if not row.name:
        row.errors.append(_("缺少姓名"))
    _check_phone(row, known)
    _check_grid(row, known)
    _check_household(row, known)
    row.action = _action(row, known)


def parse(community: Community, table: list[list[str]]) -> Preview:
    """Check every row against the file and the stored register; nothing is written."""
    if not table:
        return Preview(rows=[], file_errors=[_("文件是空的")])
    header = [HEADERS.get(h.strip().lower(), "") for h in table[0]]
    problem = _header_problem(header, len(table) - 1)
    if problem is not None:
        return Preview(rows=[], file_errors=[problem])
    col = {name: header.index(name) for name in set(header) if name}
    known = _known(community)
    rows: list[Row] = []
    for i, raw in enumerate(table[1:], start=2):
        if not any(raw):
            continue
        row = _read_row(i, raw, col)
        _check_row(row, known)
        rows.append(row)
    return Preview(rows=rows)
