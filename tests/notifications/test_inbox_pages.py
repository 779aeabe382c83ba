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


# --- in the reader's language ------------------------------------------------------------------
def _in(client: Any, language: str) -> Any:
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "“路灯”状态变为：初审"),
        ("zh-hant", "“路灯”狀態變為：初審"),
        ("en", "is now: Initial review"),
    ],
)
def test_the_inbox_shows_each_notification_in_the_readers_language(
    alice: Any, client_for: Any, language: str, expected: str
) -> None:
    notify(
        recipients=[alice.pk], kind="project.state", params={"title": "路灯", "state": "screening"}
    )
    html = _in(client_for(alice), language).get(reverse("notification-list")).content.decode()
    assert expected in html


def test_choosing_a_language_while_logged_in_is_remembered(alice: Any, client_for: Any) -> None:
    from notifications.models import LanguagePreference

    response = client_for(alice).post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert LanguagePreference.objects.get(user=alice).language == "en"
    client_for(alice).post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    assert LanguagePreference.objects.get(user=alice).language == "zh-hant"


def test_a_language_chosen_before_logging_in_is_kept(alice: Any, client: Any) -> None:
    from notifications.models import LanguagePreference

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert not LanguagePreference.objects.exists()  # nobody to remember it for yet
    client.post(reverse("login"), {"username": "alice", "password": "yishi-test-pw"})
    assert LanguagePreference.objects.get(user=alice).language == "en"


# --- the timeline and the ledger in the reader's language --------------------------------------
def test_timeline_notes_are_shown_in_the_readers_language(
    evaluating_project: Any, client: Any
) -> None:
    url = reverse("project-detail", args=[evaluating_project.pk])
    english = _in(client, "en").get(url).content.decode()
    assert "Co-signatures reached the threshold" in english
    assert "present 3/3, for 3, against 0" in english
    assert "附议人数达到门槛" not in english
    traditional = _in(client, "zh-hant").get(url).content.decode()
    assert "表決結果：出席 3/3" in traditional


def test_ledger_memos_are_shown_in_the_readers_language(evaluating_project: Any) -> None:
    from django.utils import translation

    from projects.models import LedgerEntry
    from projects.texts import memo_text

    entries = LedgerEntry.objects.filter(project=evaluating_project).order_by("pk")
    assert [e.memo for e in entries] == ["项目批准", "开工拨付预付款"]  # the site's language
    with translation.override("en"):
        assert [e.memo_text for e in entries] == [
            "Project allocation",
            "Advance released at the start of work",
        ]
        # an entry written before memos had a code: a fixed memo is still translated,
        # a person's words stay as written
        assert (
            memo_text("", None, "评议通过拨付尾款") == "Holdback released after a passed evaluation"
        )
        assert memo_text("", None, "王师傅的材料费") == "王师傅的材料费"


# --- 关注 -----------------------------------------------------------------------------------------
def test_follow_and_unfollow_a_project(
    evaluating_project: Any, make_resident: Any, client_for: Any
) -> None:
    from projects.models import ProjectFollower

    neighbour = make_resident("neighbour")
    client = client_for(neighbour)
    url = reverse("project-detail", args=[evaluating_project.pk])
    assert "关注后，项目有进展时会通知您" in client.get(url).content.decode()
    response = client.post(reverse("project-follow", args=[evaluating_project.pk]), follow=True)
    assert "取消关注" in response.content.decode()
    assert ProjectFollower.objects.filter(project=evaluating_project, user=neighbour).exists()
    client.post(reverse("project-unfollow", args=[evaluating_project.pk]))
    assert not ProjectFollower.objects.filter(project=evaluating_project, user=neighbour).exists()


def test_the_proposer_is_told_they_hear_every_step(
    evaluating_project: Any, cast: dict[str, Any], client_for: Any
) -> None:
    url = reverse("project-detail", args=[evaluating_project.pk])
    html = client_for(cast["resident"]).get(url).content.decode()
    assert "您是提议人" in html
    assert reverse("project-follow", args=[evaluating_project.pk]) not in html


def test_follow_needs_login_and_post(evaluating_project: Any, client: Any) -> None:
    url = reverse("project-follow", args=[evaluating_project.pk])
    assert client.post(url).status_code == 302  # to the login page
    assert reverse("login") in client.post(url)["Location"]


# --- a resident's 待办: the votes waiting for them -----------------------------------------------
def test_a_residents_inbox_lists_the_votes_waiting_for_them(
    evaluating_project: Any,
    make_resident: Any,
    other_community: Any,
    client_for: Any,
) -> None:
    from django.utils import timezone

    from deliberation import services
    from deliberation.models import EvaluationRoll

    rnd = evaluating_project.evaluation_rounds.get()
    voter = EvaluationRoll.objects.filter(round=rnd).order_by("pk").first().user  # type: ignore[union-attr]
    newcomer = make_resident("newcomer")  # registered after the roll was frozen
    elsewhere = make_resident("elsewhere", where=other_community)
    html = client_for(voter).get(reverse("inbox")).content.decode()
    assert "等您投票" in html
    assert evaluating_project.title in html
    assert timezone.localtime(rnd.closes_at).strftime("%Y-%m-%d %H:%M") in html
    for outsider in (newcomer, elsewhere):
        assert "等您投票" not in client_for(outsider).get(reverse("inbox")).content.decode()
    services.evaluation_vote(project=evaluating_project, by=voter, choice="satisfied")
    assert "等您投票" not in client_for(voter).get(reverse("inbox")).content.decode()
