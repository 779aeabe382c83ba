"""Meeting services: convening and invitations, attendance and quorum, votes with recusal and the
secretary's show of hands, closing an item (the council's recommendation comes from it), and the
minutes' objection window."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from meetings import ics, services
from meetings.demo import council_meeting
from meetings.models import AgendaItem, Body, ItemVote, Meeting
from notifications.models import Notification
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Community, Project, ProjectEvent, State

pytestmark = pytest.mark.django_db


def convene(
    community: Community, by: Any, project: Project | None = None, body: str = Body.COUNCIL
) -> Meeting:
    now = timezone.now()
    return services.meeting_create(
        community=community,
        by=by,
        body=body,
        title="居民议事会会议",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        place="议事厅",
        items=[services.ItemSpec("是否建议党委批准实施", project)],
    )


def opened(
    community: Community, by: Any, project: Project | None = None, **kw: Any
) -> tuple[Meeting, AgendaItem]:
    m = convene(community, by, project, **kw)
    services.meeting_open(meeting=m, by=by)
    return m, m.items.get()


def test_convening_invites_every_council_member_with_the_agenda(
    community: Community, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    m = convene(community, cast["clerk"], deliberating)
    assert set(m.invitations.values_list("member_id", flat=True)) == {u.pk for u in council}
    notes = Notification.objects.filter(kind="meeting.invited")
    assert {n.recipient_id for n in notes} == {u.pk for u in council}
    text = notes.first().text  # type: ignore[union-attr]
    assert "居民议事会会议" in text and "是否建议党委批准实施" in text


def test_resident_cannot_convene(community: Community, cast: dict[str, Any]) -> None:
    with pytest.raises(Forbidden):
        convene(community, cast["resident"])


def test_meeting_needs_end_after_start_and_a_place(
    community: Community, cast: dict[str, Any]
) -> None:
    now = timezone.now()
    with pytest.raises(Invalid):
        services.meeting_create(
            community=community,
            by=cast["clerk"],
            body=Body.COUNCIL,
            title="会议",
            starts_at=now,
            ends_at=now - timedelta(hours=1),
            place="议事厅",
            items=[services.ItemSpec("议题")],
        )
    with pytest.raises(Invalid):
        services.meeting_create(
            community=community,
            by=cast["clerk"],
            body=Body.COUNCIL,
            title="会议",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            items=[services.ItemSpec("议题")],
        )
    assert not Meeting.objects.exists()


def test_council_quorum_is_a_simple_majority(community: Community) -> None:
    assert [services.quorum_of(community, Body.COUNCIL, n) for n in (1, 2, 3, 4, 5)] == [
        1,
        2,
        2,
        3,
        3,
    ]


def test_committee_quorum_follows_the_community_fraction(community: Community) -> None:
    community.committee_quorum_numerator, community.committee_quorum_denominator = 2, 3
    assert community.committee_quorum == Fraction(2, 3)
    assert [services.quorum_of(community, Body.COMMITTEE, n) for n in (3, 4, 7)] == [2, 3, 5]


def test_sign_in_only_while_open_and_only_once(
    community: Community, cast: dict[str, Any], council: list[Any]
) -> None:
    m = convene(community, cast["clerk"])
    with pytest.raises(Conflict):
        services.attendance_sign(meeting=m, by=council[0])
    services.meeting_open(meeting=m, by=cast["clerk"])
    services.attendance_sign(meeting=m, by=council[0])
    with pytest.raises(Invalid):
        services.attendance_sign(meeting=m, by=council[0])
    with pytest.raises(Forbidden):
        services.attendance_sign(meeting=m, by=cast["resident"])
    q = services.meeting_quorum(m)
    assert (q.present, q.members_total, q.needed, q.reached) == (1, 3, 2, False)
    services.attendance_sign(meeting=m, by=council[1], how="qr")
    assert services.meeting_quorum(m).reached


def test_only_members_present_vote(
    community: Community, cast: dict[str, Any], council: list[Any]
) -> None:
    m, item = opened(community, cast["clerk"])
    with pytest.raises(Forbidden):
        services.item_vote(item=item, by=council[0], choice="yes")  # not signed in
    services.attendance_sign(meeting=m, by=council[0])
    services.item_vote(item=item, by=council[0], choice="yes")
    with pytest.raises(Invalid):
        services.item_vote(item=item, by=council[0], choice="no")  # one vote per member
    with pytest.raises(Forbidden):
        services.item_vote(item=item, by=cast["clerk"], choice="yes")  # not a council member


def test_carried_vote_recommends_the_project_with_the_vote_as_note(
    community: Community, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    m, item = opened(community, cast["clerk"], deliberating)
    for member, choice in zip(council, ["yes", "yes", "no"], strict=True):
        services.attendance_sign(meeting=m, by=member)
        services.item_vote(item=item, by=member, choice=choice)
    item = services.item_close(item=item, by=cast["clerk"])
    assert item.outcome == AgendaItem.Outcome.CARRIED
    assert (item.present, item.yes, item.no) == (3, 2, 1)
    deliberating.refresh_from_db()
    assert deliberating.state == State.DECIDING
    event = ProjectEvent.objects.get(project=deliberating, action="recommend")
    assert event.actor == cast["clerk"]
    assert event.kind == "meeting.item"
    assert "赞成 2" in event.note and "反对 1" in event.note
    # every vote is on the project's record, with who
    votes = ProjectEvent.objects.filter(project=deliberating, action="meeting_vote")
    assert votes.count() == 3
    assert {e.actor_id for e in votes} == {u.pk for u in council}


def test_vote_that_does_not_carry_leaves_the_project_deliberating(
    community: Community, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    m, item = opened(community, cast["clerk"], deliberating)
    for member, choice in zip(council, ["yes", "no", "abstain"], strict=True):
        services.attendance_sign(meeting=m, by=member)
        services.item_vote(item=item, by=member, choice=choice)
    item = services.item_close(item=item, by=cast["clerk"])
    assert item.outcome == AgendaItem.Outcome.NOT_CARRIED  # 1 赞成 is not more than 1 反对
    deliberating.refresh_from_db()
    assert deliberating.state == State.DELIBERATING
    assert ProjectEvent.objects.filter(project=deliberating, action="meeting_item").count() == 1
    assert not ProjectEvent.objects.filter(project=deliberating, action="recommend").exists()


def test_without_quorum_nothing_carries(
    community: Community, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    m, item = opened(community, cast["clerk"], deliberating)
    services.attendance_sign(meeting=m, by=council[0])
    services.item_vote(item=item, by=council[0], choice="yes")
    item = services.item_close(item=item, by=cast["clerk"])
    assert item.outcome == AgendaItem.Outcome.NO_QUORUM
    deliberating.refresh_from_db()
    assert deliberating.state == State.DELIBERATING


def test_recused_members_present_do_not_count(
    community: Community, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    m, item = opened(community, cast["clerk"], deliberating)
    for member in council:
        services.attendance_sign(meeting=m, by=member)
    with pytest.raises(Invalid):
        services.item_vote(item=item, by=council[0], choice="recuse")  # a reason is needed
    services.item_vote(item=item, by=council[0], choice="recuse", conflict="提议人是我家人")
    services.item_vote(item=item, by=council[1], choice="yes")
    tally = services.item_tally(item)
    # 3 present, 1 recused: 2 count; quorum of the 2 not recused is 2
    assert (tally.present, tally.recused, tally.quorum_needed, tally.has_quorum) == (2, 1, 2, True)
    services.item_vote(item=item, by=council[2], choice="abstain")
    item = services.item_close(item=item, by=cast["clerk"])
    assert (item.outcome, item.yes, item.recused) == (AgendaItem.Outcome.CARRIED, 1, 1)


def test_show_of_hands_is_marked_as_entered_by_the_secretary(
    community: Community, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    m, item = opened(community, cast["clerk"], deliberating)
    for member in council:
        services.attendance_sign(meeting=m, by=member)
    services.item_vote(item=item, by=council[0], choice="no")
    with pytest.raises(Forbidden):  # only the secretary enters a show of hands
        services.item_enter_hands(item=item, by=council[0], choices={council[1].pk: "yes"})
    with pytest.raises(Invalid):  # a member who voted is not entered again
        services.item_enter_hands(item=item, by=cast["clerk"], choices={council[0].pk: "yes"})
    services.item_enter_hands(
        item=item, by=cast["clerk"], choices={council[1].pk: "yes", council[2].pk: "yes"}
    )
    marked = ItemVote.objects.filter(item=item, entered_by=cast["clerk"])
    assert {v.member_id for v in marked} == {council[1].pk, council[2].pk}
    assert ItemVote.objects.get(item=item, member=council[0]).entered_by is None
    notes = [
        e.note for e in ProjectEvent.objects.filter(project=deliberating, action="meeting_vote")
    ]
    assert sum("秘书按举手录入" in n for n in notes) == 2
    assert services.item_close(item=item, by=cast["clerk"]).outcome == AgendaItem.Outcome.CARRIED


def test_only_the_secretary_closes_an_item(
    community: Community, cast: dict[str, Any], council: list[Any]
) -> None:
    _m, item = opened(community, cast["clerk"])
    with pytest.raises(Forbidden):
        services.item_close(item=item, by=council[0])
    services.item_close(item=item, by=cast["clerk"])
    with pytest.raises(Conflict):
        services.item_close(item=item, by=cast["clerk"])


def test_committee_meeting_does_not_fire_the_council_step(
    community: Community, cast: dict[str, Any], deliberating: Project
) -> None:
    m, item = opened(community, cast["committee"], deliberating, body=Body.COMMITTEE)
    for key in ("committee", "committee2", "committee3"):
        services.attendance_sign(meeting=m, by=cast[key])
        services.item_vote(item=item, by=cast[key], choice="yes")
    assert (
        services.item_close(item=item, by=cast["committee"]).outcome == AgendaItem.Outcome.CARRIED
    )
    deliberating.refresh_from_db()
    assert deliberating.state == State.DELIBERATING


def test_minutes_objection_window_then_publish_on_the_timeline(
    community: Community, cast: dict[str, Any], council: list[Any], deliberating: Project
) -> None:
    item = council_meeting(project=deliberating, secretary=cast["clerk"], members=council)
    m = item.meeting
    with pytest.raises(Forbidden):
        services.minutes_write(meeting=m, by=council[0], body="纪要", objection_days=2)
    mn = services.minutes_write(
        meeting=m, by=cast["clerk"], body="出席 3 人，一致赞成。", objection_days=2
    )
    assert Notification.objects.filter(kind="meeting.minutes", recipient=council[0]).exists()
    with pytest.raises(Forbidden):
        services.minutes_object(minutes=mn, by=cast["resident"], body="不对")
    services.minutes_object(minutes=mn, by=council[1], body="我的发言没有记录")
    with pytest.raises(Conflict):  # the window is still open
        services.minutes_publish(minutes=mn, by=cast["clerk"])
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        with pytest.raises(Conflict):  # the window is over
            services.minutes_object(minutes=mn, by=council[2], body="晚了")
        mn = services.minutes_publish(minutes=mn, by=cast["clerk"])
    assert mn.published_at is not None
    event = ProjectEvent.objects.get(project=deliberating, action="minutes_published")
    assert event.actor == cast["clerk"] and "异议 1 条" in event.note
    assert event.words == "出席 3 人，一致赞成。"
    with pytest.raises(Conflict):
        services.minutes_write(meeting=m, by=cast["clerk"], body="改", objection_days=0)


def test_person_cannot_recommend_by_hand(
    community: Community, cast: dict[str, Any], deliberating: Project
) -> None:
    from deliberation import actions

    with pytest.raises(Conflict):
        actions.act(project=deliberating, name="recommend", by=cast["council"], params={})
    assert "recommend" not in [a.name for a in actions.allowed(deliberating, cast["council"])]


def test_ics_file_is_rfc5545() -> None:
    start = timezone.now().replace(microsecond=0)
    text = ics.calendar(
        uid="meeting-1@example",
        summary="会议; 议事, 一\n二",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        location="议事厅",
        description="1. " + "长" * 60,
    )
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "SUMMARY:会议\\; 议事\\, 一\\n二\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\r\n " in text  # the long description is folded
    assert f"DTSTART:{start.astimezone(__import__('datetime').UTC):%Y%m%dT%H%M%SZ}" in text
    assert "UID:meeting-1@example" in text and "DTSTAMP:" in text
