"""notify(): who gets what, preferences, events and email — all only after commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from deliberation import services, workflow
from notifications import services as notification_services
from notifications.models import Notification
from notifications.services import notification_preference_set, notify
from notifications.tasks import send_notification_emails
from projects.models import Membership, Role, State
from tests.conftest import make_user, new_project


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """What the services hand to the channel layer (the consumer tests cover delivery)."""
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(notification_services, "publish_many", lambda msgs: sent.extend(msgs))
    return sent


def kinds_for(user: Any) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


# --- storing ---------------------------------------------------------------------------------
def test_each_recipient_is_notified_once_and_the_actor_not_at_all(db: None) -> None:
    alice, bob, actor = make_user("alice"), make_user("bob"), make_user("actor")
    created = notify(
        recipients=[alice.pk, bob.pk, bob.pk, actor.pk, None],
        kind="project.state",
        verb="“楼道照明改造”状态变为：初审",
        actor=actor,
        project_id=7,
        project_title="楼道照明改造",
        url="/projects/7/",
    )
    assert sorted(n.recipient_id for n in created) == sorted([alice.pk, bob.pk])
    n = Notification.objects.get(recipient=alice)
    assert (n.kind, n.actor_id, n.project_id, n.project_title, n.url, n.read_at) == (
        "project.state",
        actor.pk,
        7,
        "楼道照明改造",
        "/projects/7/",
        None,
    )
    assert not Notification.objects.filter(recipient=actor).exists()


def test_inactive_accounts_are_not_notified(db: None) -> None:
    gone = make_user("gone", is_active=False)
    assert notify(recipients=[gone.pk], kind="project.state", verb="x") == []
    assert not Notification.objects.exists()


def test_a_kind_switched_off_is_not_stored(db: None) -> None:
    quiet, keen = make_user("quiet"), make_user("keen")
    notification_preference_set(user=quiet, kind="evaluation.opened", in_app=False, email=True)
    notify(recipients=[quiet.pk, keen.pk], kind="evaluation.opened", verb="请参加评议")
    assert kinds_for(quiet) == []
    assert kinds_for(keen) == ["evaluation.opened"]


def test_duty_kinds_cannot_be_switched_off(db: None) -> None:
    clerk = make_user("clerk-x")
    pref = notification_preference_set(user=clerk, kind="task.new", in_app=False, email=False)
    assert pref.in_app is True
    notify(recipients=[clerk.pk], kind="task.new", verb="新待办：初审提议")
    assert kinds_for(clerk) == ["task.new"]


def test_unknown_kind_cannot_be_given_a_preference(db: None) -> None:
    with pytest.raises(ValueError, match="unknown"):
        notification_preference_set(
            user=make_user("u"), kind="no.such.kind", in_app=True, email=True
        )


# --- after commit only -----------------------------------------------------------------------
def test_event_and_email_go_out_only_after_commit(
    db: None, django_capture_on_commit_callbacks: Any, published: list[Any]
) -> None:
    clerk = make_user("clerk-m", email="clerk@example.org")  # reminders are emailed by default
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(
            recipients=[clerk.pk],
            kind="task.reminder",
            verb="待办已到期：初审提议",
            url="/projects/3/",
        )
        assert published == [] and mail.outbox == []
    assert published == [] and mail.outbox == []  # not committed yet
    for callback in callbacks:
        callback()
    [(group, event)] = published
    assert group == f"user.{clerk.pk}"
    assert event["kind"] == "notification"
    assert event["unread"] == 1
    assert event["notification"]["verb"] == "待办已到期：初审提议"
    [message] = mail.outbox
    assert message.to == ["clerk@example.org"]
    assert "待办已到期：初审提议" in message.subject
    assert "http://127.0.0.1:8000/projects/3/" in message.body
    assert Notification.objects.get(recipient=clerk).emailed_at is not None


def test_rollback_stores_publishes_and_mails_nothing(
    db: None, django_capture_on_commit_callbacks: Any, published: list[Any]
) -> None:
    clerk = make_user("clerk-r", email="clerk@example.org")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(recipients=[clerk.pk], kind="task.reminder", verb="待办已到期")
        raise RuntimeError("the write that caused it failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert published == [] and mail.outbox == []


def test_unread_count_in_each_event_is_the_recipients_own(
    db: None, django_capture_on_commit_callbacks: Any, published: list[Any]
) -> None:
    a, b = make_user("a"), make_user("b")
    notify(recipients=[a.pk], kind="project.state", verb="earlier")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[a.pk, b.pk], kind="project.state", verb="now")
    assert {group: event["unread"] for group, event in published} == {
        f"user.{a.pk}": 2,
        f"user.{b.pk}": 1,
    }


# --- email -----------------------------------------------------------------------------------
def test_email_only_to_those_who_asked_and_have_an_address(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    wants = make_user("wants", email="wants@example.org")
    default = make_user(
        "default", email="default@example.org"
    )  # project.state: no email by default
    no_address = make_user("no-address")
    for user in (wants, no_address):
        notification_preference_set(user=user, kind="project.state", in_app=True, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[wants.pk, default.pk, no_address.pk],
            kind="project.state",
            verb="状态变为：初审",
        )
    assert [m.to for m in mail.outbox] == [["wants@example.org"]]
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 1


def test_each_email_goes_out_once_even_if_the_task_runs_twice(db: None) -> None:
    clerk = make_user("clerk-t", email="clerk@example.org")
    [n] = notify(recipients=[clerk.pk], kind="task.reminder", verb="待办已到期")
    assert send_notification_emails.call(notification_ids=[n.pk]) == 1
    assert send_notification_emails.call(notification_ids=[n.pk]) == 0
    assert len(mail.outbox) == 1


def test_email_turned_off_before_the_worker_runs_is_not_sent(db: None) -> None:
    clerk = make_user("clerk-o", email="clerk@example.org")
    [n] = notify(recipients=[clerk.pk], kind="task.reminder", verb="待办已到期")
    notification_preference_set(user=clerk, kind="task.reminder", in_app=True, email=False)
    assert send_notification_emails.call(notification_ids=[n.pk]) == 0
    assert mail.outbox == []


def test_a_failed_send_gives_the_claim_back(db: None, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.failing_mail.Backend"
    clerk = make_user("clerk-f", email="clerk@example.org")
    [n] = notify(recipients=[clerk.pk], kind="task.reminder", verb="待办已到期")
    with pytest.raises(ConnectionRefusedError):
        send_notification_emails.call(notification_ids=[n.pk])
    n.refresh_from_db()
    assert n.emailed_at is None  # a retry will send it


# --- who hears what (through the real services) ---------------------------------------------
def test_state_change_reaches_proposer_and_every_cosigner(
    cast: dict[str, Any], community: Any, make_resident: Any
) -> None:
    project = new_project(community, cast["resident"], submit=True)
    cosigners = [make_resident() for _ in range(community.cosign_threshold)]
    for person in cosigners:
        services.cosign_add(project=project, by=person)
    project.refresh_from_db()
    assert project.state == State.SCREENING
    told = set(
        Notification.objects.filter(kind="project.state", project_id=project.pk).values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {cast["resident"].pk, *(p.pk for p in cosigners)}
    assert cast["outsider"].pk not in told


def test_a_new_task_reaches_the_role_holders(
    cast: dict[str, Any], community: Any, make_resident: Any
) -> None:
    project = new_project(community, cast["resident"], submit=True)
    for _ in range(community.cosign_threshold):
        services.cosign_add(project=project, by=make_resident())
    assert kinds_for(cast["clerk"]) == ["task.new"]
    assert "task.new" not in kinds_for(cast["council"])
    assert "task.new" not in kinds_for(cast["committee"])


def test_committee_is_told_when_a_decision_is_due(
    cast: dict[str, Any], community: Any, make_resident: Any, fund: Any
) -> None:
    from deliberation import actions

    project = new_project(community, cast["resident"], submit=True)
    for _ in range(community.cosign_threshold):
        services.cosign_add(project=project, by=make_resident())
    project = actions.act(project=project, name="accept", by=cast["clerk"])
    project = actions.act(
        project=project,
        name="assess",
        by=cast["clerk"],
        params={"assessed_cost": "800.00", "plan": "更换灯具", "duration_days": 3},
    )
    from meetings.demo import council_meeting

    council_meeting(project=project, secretary=cast["clerk"], members=[cast["council"]])
    for key in ("committee", "committee2", "committee3"):
        assert Notification.objects.filter(
            recipient=cast[key], kind="task.new", project_id=project.pk
        ).exists(), key


def test_evaluation_opening_reaches_every_resident_of_the_community(
    evaluating_project: Any, community: Any, other_community: Any, make_resident: Any
) -> None:
    elsewhere = make_resident(where=other_community)
    residents = set(
        Membership.objects.filter(community=community, role=Role.RESIDENT).values_list(
            "user_id", flat=True
        )
    )
    told = set(
        Notification.objects.filter(
            kind="evaluation.opened", project_id=evaluating_project.pk
        ).values_list("recipient_id", flat=True)
    )
    assert told == residents
    assert elsewhere.pk not in told


def test_escalation_is_emailed_to_the_street_supervisor(
    cast: dict[str, Any],
    community: Any,
    make_resident: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cast["supervisor"].email = "supervisor@example.org"
    cast["supervisor"].save()
    project = new_project(community, cast["resident"], submit=True)
    for _ in range(community.cosign_threshold):
        services.cosign_add(project=project, by=make_resident())
    item = workflow.project_tasks(project)[0]
    past = timezone.now() - timedelta(minutes=1)
    Task.objects.filter(previous=item.task, flow_task_type="TIMER").update(scheduled=past)
    with django_capture_on_commit_callbacks(execute=True):
        assert fire_due_timers() == 1  # the reminder
    Task.objects.filter(flow_task_type="TIMER", status="SCHEDULED").update(scheduled=past)
    with django_capture_on_commit_callbacks(execute=True):
        assert fire_due_timers() == 1  # a day later: the escalation
    escalations = [m for m in mail.outbox if m.to == ["supervisor@example.org"]]
    assert len(escalations) == 1
    assert project.title in escalations[0].subject


# --- what happened, told in the reader's language --------------------------------------------
def test_a_notification_is_stored_as_its_kind_and_parameters(db: None) -> None:
    alice = make_user("alice-p")
    [n] = notify(
        recipients=[alice.pk],
        kind="project.state",
        params={"title": "楼道照明改造", "state": "screening"},
        project_id=7,
    )
    n.refresh_from_db()
    assert n.params == {"title": "楼道照明改造", "state": "screening"}
    assert n.verb == "“楼道照明改造”状态变为：初审"  # the site's language, for the admin
    assert "is now: Initial review" in n.text_in("en")
    assert n.text_in("zh-hant") == "“楼道照明改造”狀態變為：初審"


def test_rows_written_before_parameters_keep_their_text(db: None) -> None:
    alice = make_user("alice-old")
    n = Notification.objects.create(recipient=alice, kind="project.state", verb="旧的通知文字")
    assert n.text_in("en") == "旧的通知文字"


def test_live_push_is_in_each_recipients_language(
    db: None, django_capture_on_commit_callbacks: Any, published: list[Any]
) -> None:
    from notifications.services import language_preference_set

    reads_english, reads_chinese = make_user("en-reader"), make_user("zh-reader")
    language_preference_set(user=reads_english, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[reads_english.pk, reads_chinese.pk],
            kind="task.new",
            params={"title": "screening", "project": "路灯"},
        )
    verbs = {group: event["notification"]["verb"] for group, event in published}
    assert "New task: Screen the proposal" in verbs[f"user.{reads_english.pk}"]
    assert verbs[f"user.{reads_chinese.pk}"] == "新待办：初审提议 —— “路灯”"


def test_email_is_written_in_the_recipients_language(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    from notifications.services import language_preference_set

    clerk = make_user("clerk-en", email="clerk@example.org")  # reminders are emailed by default
    language_preference_set(user=clerk, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[clerk.pk],
            kind="task.reminder",
            params={"title": "assessing", "project": "路灯"},
            project_title="路灯",
        )
    [message] = mail.outbox
    assert "Task due: Feasibility assessment" in message.subject
    assert "Task due: Feasibility assessment" in message.body


def test_an_unknown_language_falls_back_to_the_sites(db: None) -> None:
    from notifications.services import language_preference_set

    assert language_preference_set(user=make_user("x"), language="fr") is None


# --- quiet: a step that is over no longer counts as unread -----------------------------------
def test_a_state_change_retires_what_was_said_about_the_previous_step(db: None) -> None:
    clerk, resident, follower = make_user("clerk-s"), make_user("res-s"), make_user("fol-s")
    [task] = notify(
        recipients=[clerk.pk],
        kind="task.new",
        params={"title": "screening", "project": "灯"},
        project_id=5,
    )
    [invite] = notify(
        recipients=[resident.pk],
        kind="evaluation.opened",
        params={"title": "灯", "n": 1},
        project_id=5,
    )
    [earlier] = notify(
        recipients=[follower.pk],
        kind="project.state",
        params={"title": "灯", "state": "screening"},
        project_id=5,
    )
    [elsewhere] = notify(
        recipients=[clerk.pk],
        kind="task.new",
        params={"title": "screening", "project": "门"},
        project_id=6,
    )
    [now] = notify(
        recipients=[follower.pk],
        kind="project.state",
        params={"title": "灯", "state": "closed"},
        project_id=5,
    )
    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("pk", flat=True))
    assert unread == {elsewhere.pk, now.pk}
    assert Notification.objects.filter(pk__in=[task.pk, invite.pk, earlier.pk]).count() == 3


def _walk_to_assessing(
    project: Any, community: Any, cast: dict[str, Any], cosigners: list[Any]
) -> Any:
    from deliberation import actions

    for person in cosigners:
        services.cosign_add(project=project, by=person)
    return actions.act(project=project, name="accept", by=cast["clerk"])


def test_followers_hear_milestones_and_the_proposer_every_step(
    cast: dict[str, Any], community: Any, make_resident: Any
) -> None:
    project = new_project(community, cast["resident"], submit=True)
    cosigners = [make_resident() for _ in range(community.cosign_threshold)]
    project = _walk_to_assessing(project, community, cast, cosigners)
    assert project.state == State.ASSESSING

    def states_told(user: Any) -> list[str]:
        return [
            (n.params or {}).get("state", "")
            for n in Notification.objects.filter(
                recipient=user, kind="project.state", project_id=project.pk
            ).order_by("pk")
        ]

    assert states_told(cast["resident"]) == ["screening", "assessing"]
    assert states_told(cosigners[0]) == ["screening"]  # the clerk's own step is not news to them
    assert states_told(cast["outsider"]) == []


def test_whoever_unfollows_no_longer_hears(
    cast: dict[str, Any], community: Any, make_resident: Any
) -> None:
    from projects.services import project_unfollow

    project = new_project(community, cast["resident"], submit=True)
    cosigners = [make_resident() for _ in range(community.cosign_threshold)]
    for person in cosigners[:-1]:
        services.cosign_add(project=project, by=person)
    project_unfollow(project=project, user=cosigners[0])
    services.cosign_add(project=project, by=cosigners[-1])  # meets the threshold: screening
    told = set(
        Notification.objects.filter(kind="project.state", project_id=project.pk).values_list(
            "recipient_id", flat=True
        )
    )
    assert cosigners[0].pk not in told
    assert cosigners[1].pk in told
