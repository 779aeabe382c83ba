"""The inbox pages: list, unread badge, mark read (one, all), preferences."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from notifications.models import Notification, NotificationPreference
from notifications.services import notify
from tests.conftest import make_user


def badge(html: str) -> str:
    match = re.search(r'id="unread-count"[^>]*>(\d+)<', html)
    assert match, "no unread badge in the page header"
    return match.group(1)


@pytest.fixture
def alice(db: None) -> Any:
    return make_user("alice", email="alice@example.org")


@pytest.fixture
def two_unread(alice: Any) -> list[Notification]:
    first = notify(
        recipients=[alice.pk], kind="project.state", verb="“路灯”状态变为：初审", url="/projects/1/"
    )
    second = notify(
        recipients=[alice.pk], kind="task.new", verb="新待办：可行性评估", url="/projects/2/"
    )
    return [*first, *second]


def test_list_needs_login(client: Any) -> None:
    response = client.get(reverse("notification-list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_list_shows_own_notifications_newest_first_with_unread_badge(
    alice: Any, two_unread: list[Notification], client_for: Any
) -> None:
    bob = make_user("bob")
    notify(recipients=[bob.pk], kind="project.state", verb="bob 的通知")
    html = client_for(alice).get(reverse("notification-list")).content.decode()
    assert html.index("新待办：可行性评估") < html.index("“路灯”状态变为：初审")
    assert "bob 的通知" not in html
    assert badge(html) == "2"


def test_unread_filter_hides_read_ones(
    alice: Any, two_unread: list[Notification], client_for: Any
) -> None:
    two_unread[0].read_at = two_unread[0].created_at
    two_unread[0].save()
    html = client_for(alice).get(reverse("notification-list") + "?show=unread").content.decode()
    assert "新待办：可行性评估" in html
    assert "“路灯”状态变为：初审" not in html
    assert badge(html) == "1"


def test_opening_a_notification_marks_it_read_and_follows_its_link(
    alice: Any, two_unread: list[Notification], client_for: Any
) -> None:
    n = two_unread[1]
    response = client_for(alice).post(reverse("notification-read", args=[n.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/projects/2/"
    n.refresh_from_db()
    assert n.read_at is not None
    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() == 1


def test_mark_read_with_htmx_returns_the_item_marked_read(
    alice: Any, two_unread: list[Notification], client_for: Any
) -> None:
    n = two_unread[0]
    response = client_for(alice).post(
        reverse("notification-read", args=[n.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{n.pk}"' in html
    assert 'class="notice read"' in html


def test_mark_read_ignores_an_offsite_next(
    alice: Any, two_unread: list[Notification], client_for: Any
) -> None:
    response = client_for(alice).post(
        reverse("notification-read", args=[two_unread[0].pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notification-list")


def test_cannot_mark_someone_elses_notification(
    alice: Any, two_unread: list[Notification], client_for: Any
) -> None:
    mallory = make_user("mallory")
    response = client_for(mallory).post(reverse("notification-read", args=[two_unread[0].pk]))
    assert response.status_code == 404
    two_unread[0].refresh_from_db()
    assert two_unread[0].read_at is None


def test_mark_read_is_post_only(
    alice: Any, two_unread: list[Notification], client_for: Any
) -> None:
    response = client_for(alice).get(reverse("notification-read", args=[two_unread[0].pk]))
    assert response.status_code == 405


def test_mark_all_read_touches_only_own(
    alice: Any, two_unread: list[Notification], client_for: Any
) -> None:
    bob = make_user("bob")
    notify(recipients=[bob.pk], kind="project.state", verb="bob 的通知")
    response = client_for(alice).post(reverse("notification-read-all"), follow=True)
    assert badge(response.content.decode()) == "0"
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1


def test_preferences_are_saved_and_duty_kinds_stay_on(alice: Any, client_for: Any) -> None:
    client = client_for(alice)
    page = client.get(reverse("notification-preferences")).content.decode()
    assert "群众评议开始" in page and "逾期督办" in page
    # evaluation notices off, project news by email; task.new "off" is ignored (a duty).
    response = client.post(
        reverse("notification-preferences"),
        {"project.state:in_app": "on", "project.state:email": "on", "task.reminder:in_app": "on"},
    )
    assert response.status_code == 302
    prefs = {p.kind: (p.in_app, p.email) for p in NotificationPreference.objects.filter(user=alice)}
    assert prefs["project.state"] == (True, True)
    assert prefs["evaluation.opened"] == (False, False)
    assert prefs["task.new"] == (True, False)
    assert prefs["task.reminder"] == (True, False)
    notify(recipients=[alice.pk], kind="evaluation.opened", verb="请参加评议")
    notify(recipients=[alice.pk], kind="task.new", verb="新待办")
    assert list(Notification.objects.filter(recipient=alice).values_list("kind", flat=True)) == [
        "task.new"
    ]


def test_preferences_page_warns_when_there_is_no_email_address(db: None, client_for: Any) -> None:
    html = (
        client_for(make_user("no-mail")).get(reverse("notification-preferences")).content.decode()
    )
    assert "还没有邮箱地址" in html
