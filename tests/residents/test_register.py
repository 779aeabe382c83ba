"""The household register: preview with a per-row error report, bulk import, verification of
numbers in the register (at sign-up and at import), and 10,000 rows in under 30 s."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.errors import Forbidden
from projects.models import Grid, Membership, Role
from projects.selectors import user_has_role
from residents import register, services
from residents.models import RegisterEntry, RegisterImport
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

HEADER = "姓名,手机号,网格,楼栋,单元,房号,户号\n"


def csv_file(body: str, name: str = "register.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (HEADER + body).encode("utf-8-sig"), content_type="text/csv")


def preview_of(community: Any, body: str) -> register.Preview:
    return register.parse(community, register.read_table((HEADER + body).encode(), "r.csv"))


def test_preview_reports_each_bad_row(community: Any) -> None:
    RegisterEntry.objects.create(
        community=community,
        name="老住户",
        phone="+8613900000009",
        building="9",
        room="909",
        household="H9",
    )
    p = preview_of(
        community,
        "张三,13800000001,第一网格,3,2,501,H1\n"
        "李四,12345,第一网格,3,2,502,H2\n"  # bad phone
        "王五,13800000003,第九网格,3,2,503,H3\n"  # unknown grid
        "赵六,138 0000 0001,第一网格,3,2,504,H4\n"  # same number as line 2
        "钱七,13800000005,第一网格,3,2,505,H1\n"  # H1 is at another address
        "孙八,13800000006,第一网格,1,1,101,H9\n"  # H9 is registered at another address
        "老住户,13900000009,,9,,909,H9\n",  # unchanged
    )
    by_line = {r.line: r for r in p.rows}
    assert by_line[2].action == "create" and by_line[2].phone == "+8613800000001"
    assert "无效" in by_line[3].errors[0]
    assert "第九网格" in by_line[4].errors[0]
    assert "第 2 行重复" in by_line[5].errors[0]
    assert "第 2 行对应另一个地址" in by_line[6].errors[0]
    assert "已登记在另一个地址" in by_line[7].errors[0]
    assert by_line[8].action == "same"
    assert (p.creates, p.updates, p.unchanged, len(p.error_rows)) == (1, 0, 1, 5)


def test_missing_columns_and_empty_file(community: Any) -> None:
    p = register.parse(community, register.read_table(b"name,phone\n", "x.csv"))
    assert p.file_errors and "household" in p.file_errors[0]
    assert register.parse(community, []).file_errors


def test_upload_preview_confirm_pages(community: Any, cast: Any, client_for: Any) -> None:
    clerk = client_for(cast["clerk"])
    url = reverse("residents:register", args=[community.slug])
    assert client_for(cast["resident"]).get(url).status_code == 403
    r = clerk.post(url, {"file": SimpleUploadedFile("x.txt", b"hello")})
    assert r.status_code == 400
    body = "张三,13800000001,第一网格,3,2,501,H1\n李四,12345,第一网格,3,2,502,H2\n"
    r = clerk.post(url, {"file": csv_file(body)})
    assert r.status_code == 302
    page = clerk.get(r["Location"]).content.decode()
    assert "手机号“12345”无效" in page and "张三" in page
    assert RegisterEntry.objects.count() == 0  # the preview writes nothing
    r = clerk.post(r["Location"])
    assert r.status_code == 302
    assert list(RegisterEntry.objects.values_list("name", "phone", "household")) == [
        ("张三", "+8613800000001", "H1")
    ]
    imp = RegisterImport.objects.get()
    assert imp.confirmed_at is not None and imp.created_count == 1


def test_excel_file(community: Any, cast: Any) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["name", "phone", "grid", "building", "unit", "room", "household"])
    ws.append(["Zhang", 13800000001, "第一网格", 3, 2, 501, "H1"])
    buf = io.BytesIO()
    wb.save(buf)
    imp = register.upload(
        by=cast["clerk"],
        community=community,
        file=SimpleUploadedFile("r.xlsx", buf.getvalue()),
    )
    p = register.preview(imp)
    assert [(r.action, r.phone, r.building) for r in p.rows] == [("create", "+8613800000001", "3")]


def test_only_the_clerk_imports(community: Any, cast: Any) -> None:
    with pytest.raises(Forbidden):
        register.upload(by=cast["committee"], community=community, file=csv_file(""))


def test_number_in_register_verified_at_sign_up(community: Any, cast: Any) -> None:
    imp = register.upload(
        by=cast["clerk"],
        community=community,
        file=csv_file("张三,13800000001,第一网格,3,2,501,H1\n"),
    )
    register.confirm(by=cast["clerk"], imp=imp)
    stranger = make_user("stranger")
    assert services.verify_from_register(stranger, "+8613900000000") == []
    assert not user_has_role(stranger, community, Role.RESIDENT)
    zhang = make_user("zhang")
    made = services.verify_from_register(zhang, "138 0000 0001")
    assert [(m.community, m.household, m.grid.name) for m in made] == [
        (community, "H1", "第一网格")
    ]
    assert user_has_role(zhang, community, Role.RESIDENT)
    assert services.verify_from_register(zhang, "13800000001") == []  # once
    assert RegisterEntry.objects.get().user == zhang


def test_ten_thousand_rows_under_30_seconds(community: Any, cast: Any) -> None:
    Grid.objects.create(community=community, name="第二网格")
    # a few already there: updated, not duplicated
    RegisterEntry.objects.bulk_create(
        RegisterEntry(
            community=community,
            name=f"旧{i}",
            phone=f"+86139{i:08d}",
            household=f"B{i // 3}",
            building=str(i // 3),
        )
        for i in range(0, 300, 3)
    )
    lines = [
        f"居民{i},139{i:08d},{'第一网格' if i % 2 else '第二网格'},{i // 3},,,B{i // 3}"
        for i in range(10_000)
    ]
    data = (HEADER + "\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    imp = register.upload(
        by=cast["clerk"], community=community, file=SimpleUploadedFile("big.csv", data)
    )
    p = register.preview(imp)
    previewed = time.perf_counter() - started
    assert (p.creates, p.updates, len(p.error_rows)) == (9_900, 100, 0)
    done = register.confirm(by=cast["clerk"], imp=imp)
    elapsed = time.perf_counter() - started
    print(
        f"\nhousehold register: 10,000 rows previewed in {previewed:.1f} s, imported in {elapsed:.1f} s"
    )
    assert (done.created_count, done.updated_count) == (9_900, 100)
    assert RegisterEntry.objects.filter(community=community).count() == 10_000
    assert elapsed < 30
    # not imported twice
    from projects.errors import Conflict

    with pytest.raises(Conflict):
        register.confirm(by=cast["clerk"], imp=imp)
    assert Membership.objects.residents().filter(community=community).count() == 1


def test_people_already_signed_up_are_verified_on_import(
    community: Any, cast: Any, monkeypatch: Any
) -> None:
    li = make_user("li")
    monkeypatch.setattr(register, "signed_up_with", lambda phones: [(li.pk, "+8613800000002")])
    imp = register.upload(
        by=cast["clerk"],
        community=community,
        file=csv_file("李四,13800000002,第一网格,3,2,502,H2\n"),
    )
    done = register.confirm(by=cast["clerk"], imp=imp)
    assert done.verified_count == 1
    assert Membership.objects.residents().get(user=li).household == "H2"
