"""Issue 15 #6: every change to a project, a community's rules, a role or a fund, from any
interface (the admin included), is kept with who made it and when; a project's edits made outside
its lifecycle show on its public page; the admin's history is never an undo."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from projects.models import Community, Fund, Membership, Project, Role, State
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The values a browser would send back from the admin change form, as they are."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "file", "button"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = "on"
            else:
                self.values[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_values(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    parser = _FormValues()
    parser.feed(response.content.decode())
    parser.values.pop("csrfmiddlewaretoken", None)
    return parser.values


@pytest.fixture
def staff() -> Any:
    """A staff account that is not a superuser, with the model permissions the issue names."""
    user = make_user("staff1", is_staff=True, first_name="", last_name="")
    codenames = [
        "view_project",
        "change_project",
        "view_community",
        "change_community",
        "view_membership",
        "add_membership",
        "change_membership",
        "delete_membership",
        "view_fund",
        "change_fund",
        "view_projectevent",
        "view_historicalmembership",
    ]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def staff_client(staff: Any, client_for: Callable[[Any], Client]) -> Client:
    return client_for(staff)


def test_admin_edit_of_a_closed_project_is_recorded_and_shown_on_its_page(
    project_in: Callable[..., Project], staff: Any, staff_client: Client
) -> None:
    p = project_in(State.CLOSED)
    url = f"/admin/projects/project/{p.pk}/change/"
    data = form_values(staff_client, url)
    data.update(
        title="楼道照明改造（已改）",
        plan="改写后的实施方案",
        summary="改写后的内容，至少十个字。",
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    p.refresh_from_db()
    assert p.title == "楼道照明改造（已改）"

    last = p.history.first()  # type: ignore[attr-defined]
    assert last.history_user == staff
    assert last.history_type == "~"

    page = Client().get(f"/projects/{p.pk}/").content.decode()
    assert "流程之外的修改" in page
    assert "staff1" in page
    assert "楼道照明改造（已改）" in page
    assert "更换 24 盏 LED 灯" in page  # the plan as it was, before the edit
    assert "改写后的实施方案" in page


def test_the_lifecycle_alone_lists_no_changes_outside_it(
    project_in: Callable[..., Project],
) -> None:
    p = project_in(State.CLOSED)
    page = Client().get(f"/projects/{p.pk}/").content.decode()
    assert "记录完整，已校验" in page
    assert "流程之外的修改" not in page


def test_admin_change_of_a_communitys_rules_is_recorded(
    community: Community, staff: Any, staff_client: Client
) -> None:
    url = f"/admin/projects/community/{community.pk}/change/"
    data = form_values(staff_client, url)
    data["pass_rate"] = "0.300"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    last = community.history.first()  # type: ignore[attr-defined]
    assert last.history_user == staff
    assert str(last.pass_rate) == "0.300"
    history = staff_client.get(f"/admin/projects/community/{community.pk}/history/")
    assert history.status_code == 200
    assert "staff1" in history.content.decode()


def test_staff_granting_itself_a_role_is_recorded_and_shown_in_the_admin(
    community: Community, staff: Any, staff_client: Client
) -> None:
    data = form_values(staff_client, "/admin/projects/membership/add/")
    data.update(user=str(staff.pk), role=Role.CLERK, community=str(community.pk))
    response = staff_client.post("/admin/projects/membership/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    m = Membership.objects.get(user=staff, role=Role.CLERK)
    granted = m.history.get()  # type: ignore[attr-defined]
    assert (granted.history_type, granted.history_user) == ("+", staff)

    page = staff_client.get(f"/admin/projects/membership/{m.pk}/history/").content.decode()
    assert "staff1" in page

    # taken away again, the grant and the removal both stay on the record
    response = staff_client.post(f"/admin/projects/membership/{m.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=m.pk).exists()
    history = Membership.history.filter(id=m.pk)  # type: ignore[attr-defined]
    assert sorted(history.values_list("history_type", flat=True)) == ["+", "-"]
    listing = staff_client.get("/admin/projects/historicalmembership/").content.decode()
    assert listing.count("staff1") >= 2


def test_admin_change_of_a_fund_is_recorded(fund: Fund, staff: Any, staff_client: Client) -> None:
    url = f"/admin/projects/fund/{fund.pk}/change/"
    data = form_values(staff_client, url)
    data["name"] = "改过名的经费"
    assert staff_client.post(url, data).status_code == 302
    last = fund.history.first()  # type: ignore[attr-defined]
    assert (last.history_user, last.name) == (staff, "改过名的经费")


def test_the_admin_history_never_reverts_a_project(
    project_in: Callable[..., Project], staff_client: Client
) -> None:
    p = project_in(State.CLOSED)
    first = p.history.last()  # type: ignore[attr-defined]  # as created: a draft
    url = f"/admin/projects/project/{p.pk}/history/{first.history_id}/"
    assert staff_client.get(url).status_code == 200
    data = form_values(staff_client, url)
    assert staff_client.post(url, data).status_code == 403
    p.refresh_from_db()
    assert p.state == State.CLOSED
