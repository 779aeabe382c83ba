"""The demo street (``manage.py seed_demo``): what a visitor finds when they log in.

Every state of the lifecycle, a budget round open for voting and one counted with its results
explained, a project one co-sign short, overdue tasks for the supervisor, a handful of
notifications for resident1; idempotent, and refused with DEBUG off unless ``--force``."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from deliberation.ballot_models import Ballot, BudgetRound
from deliberation.models import CoSign
from notifications.models import Notification
from projects.models import LedgerEntry, Project, ProjectEvent, State

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "projects": Project.objects.count(),
        "events": ProjectEvent.objects.count(),
        "cosigns": CoSign.objects.count(),
        "ledger": LedgerEntry.objects.count(),
        "rounds": BudgetRound.objects.count(),
        "ballots": Ballot.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _login(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def demo(settings: Any) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_refuses_with_debug_off_unless_forced(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert Project.objects.count() == 0


def test_every_state_and_a_second_run_changes_nothing(demo: None, settings: Any) -> None:
    states = set(Project.objects.values_list("state", flat=True))
    assert states == set(State.values)
    before = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == before
    settings.DEBUG = False
    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == before


def test_what_the_demo_people_find(demo: None) -> None:
    resident = _login("resident1")
    # An open budget round resident1 may vote in, with a few ballots already cast.
    open_round = BudgetRound.objects.get(status=BudgetRound.Status.OPEN)
    assert open_round.community.slug == "xingfuli"
    assert 0 < Ballot.objects.filter(round=open_round).count() < open_round.eligible
    page = resident.get(f"/rounds/{open_round.pk}/").content.decode()
    assert f'action="/rounds/{open_round.pk}/vote/"' in page and "楼道扶手加装" in page
    # A counted round whose results page says, in words, why each project won or not.
    closed = BudgetRound.objects.get(status=BudgetRound.Status.CLOSED)
    results = resident.get(f"/rounds/{closed.pk}/results/").content.decode()
    assert "入选" in results and "跳过" in results
    assert closed.entries.filter(selected=True).count() == 3
    # A project one co-sign short of its threshold, which resident1 can complete.
    short = Project.objects.get(state=State.COLLECTING)
    assert short.cosigns.count() == short.community.cosign_threshold - 1
    from deliberation import services

    services.cosign_add(project=short, by=get_user_model().objects.get(username="resident1"))
    short.refresh_from_db()
    assert short.state == State.SCREENING
    # A handful of unread notifications, each about something resident1 takes part in.
    unread = Notification.objects.filter(recipient__username="resident1", read_at__isnull=True)
    assert 3 <= unread.count() <= 15
    assert unread.filter(kind="ballot.opened").exists()
    # The supervisor's overdue list shows the tasks that waited too long.
    overdue = _login("supervisor1").get("/supervision/overdue/").content.decode()
    for title in ("非机动车充电棚", "5号楼雨水管网改造", "小区监控补盲"):
        assert title in overdue
    # The meetings of the cycle: past council and committee meetings with published minutes, a
    # hearing held before the committee decides a project over the hearing amount, and upcoming
    # council and committee meetings with their agendas.
    from meetings.models import Body, Meeting

    deciding = Project.objects.get(title="5号楼雨水管网改造", community__slug="xingfuli")
    assert deciding.state == State.DECIDING and deciding.hearing_held_at is not None
    hearing = Meeting.objects.get(body=Body.HEARING, items__project=deciding)
    assert hearing.speakers.filter(recorded_at__isnull=False).count() == 2
    page = resident.get(f"/meetings/{hearing.pk}/").content.decode()
    assert "费用是否合理" in page and "询价三家" in page
    for body in (Body.COUNCIL, Body.COMMITTEE):
        past = Meeting.objects.filter(body=body, status=Meeting.Status.CLOSED)
        assert past.filter(minutes__published_at__isnull=False).exists()
        assert Meeting.objects.filter(body=body, status=Meeting.Status.PLANNED).exists()
    decided = Project.objects.get(title="中心花园健身角", community__slug="xingfuli")
    roll = decided.decisions.get()
    assert roll.in_meeting and roll.result == "carried"
    upcoming = Meeting.objects.get(
        body=Body.COMMITTEE, status=Meeting.Status.PLANNED, community__slug="xingfuli"
    )
    assert upcoming.items.filter(project=deciding).exists()
