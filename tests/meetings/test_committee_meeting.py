"""The committee's decision hosted in a committee meeting: the agenda item on a project in 党委决策
puts the project to the roll-call (one count: ``decision_tally``), members present vote on their
phones or by the secretary's show of hands (marked), the meeting's attendance is who is present,
and closing the item closes the roll-call, which fires the motion as a roll-call does."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from deliberation import services as decisions
from deliberation.models import Decision, DecisionVote
from meetings import services
from meetings.models import AgendaItem, Body, Meeting
from projects.errors import Conflict, Forbidden
from projects.models import Community, Project, ProjectEvent, State

pytestmark = pytest.mark.django_db
COMMITTEE = ("committee", "committee2", "committee3")


def committee_meeting(community: Community, cast: dict[str, Any], project: Project) -> AgendaItem:
    now = timezone.now()
    m = services.meeting_create(
        community=community,
        by=cast["committee"],
        body=Body.COMMITTEE,
        title="社区党委会会议",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        place="党群服务中心",
        items=[services.ItemSpec("是否批准实施", project)],
    )
    services.meeting_open(meeting=m, by=cast["committee"])
    return m.items.get()


def sign(item: AgendaItem, cast: dict[str, Any], *names: str) -> None:
    for name in names:
        services.attendance_sign(meeting=item.meeting, by=cast[name])


def put(item: AgendaItem, cast: dict[str, Any], amount: str = "10000.00") -> AgendaItem:
    return services.item_open_rollcall(
        item=item, by=cast["committee"], motion="approve", amount=amount, reason="群众呼声高"
    )


def test_members_present_decide_by_the_roll_call_and_closing_the_item_approves(
    community: Community, cast: dict[str, Any], project_in: Any
) -> None:
    p = project_in("deciding")
    item = committee_meeting(community, cast, p)
    sign(item, cast, *COMMITTEE)
    with pytest.raises(Conflict):  # no vote before the project is put to the roll-call
        services.item_vote(item=item, by=cast["committee2"], choice="yes")
    item = put(item, cast)
    d = item.decision
    assert d is not None and d.in_meeting and d.project_id == p.pk and d.motion == "approve"
    services.item_vote(item=item, by=cast["committee"], choice="yes")
    services.item_enter_hands(
        item=item, by=cast["committee"], choices={cast["committee2"].pk: "yes"}
    )
    services.item_vote(item=item, by=cast["committee3"], choice="no")
    hands = DecisionVote.objects.get(decision=d, member=cast["committee2"])
    assert hands.entered_by == cast["committee"]  # marked as the secretary's show of hands
    assert not AgendaItem.objects.get(pk=item.pk).votes.exists()  # one set of votes: the roll's
    tally = services.item_tally(AgendaItem.objects.get(pk=item.pk))
    assert (tally.present, tally.yes, tally.no) == (3, 2, 1) and tally.carried

    item = services.item_close(item=item, by=cast["committee"])
    assert item.outcome == AgendaItem.Outcome.CARRIED
    d.refresh_from_db()
    assert (d.result, d.present, d.yes, d.no) == (Decision.Result.CARRIED, 3, 2, 1)
    p.refresh_from_db()
    assert p.state == State.PUBLICIZING and p.approved_amount == Decimal("10000.00")
    actions = list(ProjectEvent.objects.filter(project=p).values_list("action", flat=True))
    assert "meeting_rollcall" in actions and actions.count("meeting_vote") == 3
    assert "approve" in actions


def test_quorum_is_the_meetings_attendance_and_an_absent_member_cannot_vote(
    community: Community, cast: dict[str, Any], project_in: Any
) -> None:
    p = project_in("deciding")
    item = put(committee_meeting(community, cast, p), cast)
    sign(item, cast, "committee")  # one of three signed in: below the two-thirds quorum
    with pytest.raises(Forbidden):
        services.item_vote(item=item, by=cast["committee2"], choice="yes")
    services.item_vote(item=item, by=cast["committee"], choice="yes")
    tally = services.item_tally(AgendaItem.objects.get(pk=item.pk))
    assert (tally.present, tally.quorum_needed, tally.has_quorum) == (1, 2, False)
    item = services.item_close(item=item, by=cast["committee"])
    assert item.outcome == AgendaItem.Outcome.NO_QUORUM
    p.refresh_from_db()
    assert p.state == State.DECIDING  # nothing fired; a new item or meeting may decide


def test_a_member_present_who_does_not_vote_counts_as_present(
    community: Community, cast: dict[str, Any], project_in: Any
) -> None:
    """The roll-call's rule, with presence from the meeting: 1 yes of 3 present does not carry."""
    p = project_in("deciding")
    item = put(committee_meeting(community, cast, p), cast)
    sign(item, cast, *COMMITTEE)
    services.item_vote(item=item, by=cast["committee"], choice="yes")
    item = services.item_close(item=item, by=cast["committee"])
    assert item.outcome == AgendaItem.Outcome.NOT_CARRIED
    assert Project.objects.get(pk=p.pk).state == State.DECIDING


def test_a_hosted_roll_call_is_voted_and_closed_only_from_the_meeting(
    community: Community, cast: dict[str, Any], project_in: Any
) -> None:
    p = project_in("deciding")
    item = put(committee_meeting(community, cast, p), cast)
    assert item.decision is not None
    with pytest.raises(Conflict):
        decisions.decision_vote(decision=item.decision, by=cast["committee2"], choice="yes")
    with pytest.raises(Conflict):
        decisions.decision_close(decision=item.decision, by=cast["committee"])
    with pytest.raises(Conflict):  # the meeting cannot end with the roll-call still open
        services.meeting_close(meeting=item.meeting, by=cast["committee"])
    services.item_close(item=item, by=cast["committee"])
    services.meeting_close(meeting=item.meeting, by=cast["committee"])
    assert Meeting.objects.get(pk=item.meeting_id).status == Meeting.Status.CLOSED


def test_an_open_roll_call_without_votes_is_taken_up_by_the_meeting(
    community: Community, cast: dict[str, Any], project_in: Any
) -> None:
    p = project_in("deciding")
    d = decisions.decision_open(project=p, by=cast["committee2"], motion="decline", reason="重复")
    item = put(committee_meeting(community, cast, p), cast)
    assert item.decision_id == d.pk
    d.refresh_from_db()
    assert d.in_meeting and d.motion == "decline"
    assert Decision.objects.filter(project=p).count() == 1


def test_only_the_secretary_of_a_committee_meeting_puts_a_deciding_project(
    community: Community, cast: dict[str, Any], project_in: Any
) -> None:
    p = project_in("deciding")
    item = committee_meeting(community, cast, p)
    with pytest.raises(Forbidden):
        services.item_open_rollcall(item=item, by=cast["committee2"], motion="approve", amount="1")
    with pytest.raises(Conflict):  # a project not in 党委决策
        other = committee_meeting(community, cast, project_in("deliberating", title="单元门禁维修"))
        services.item_open_rollcall(item=other, by=cast["committee"], motion="approve", amount="1")
    assert not Decision.objects.filter(project=p).exists()


def test_a_roll_call_outside_a_meeting_still_works(
    community: Community, cast: dict[str, Any], project_in: Any
) -> None:
    p = project_in("deciding")
    d = decisions.decision_open(
        project=p, by=cast["committee"], motion="approve", amount=Decimal("10000.00")
    )
    for name in ("committee", "committee2"):
        decisions.decision_vote(decision=d, by=cast[name], choice="yes")
    d = decisions.decision_close(decision=d, by=cast["committee"])
    assert d.result == Decision.Result.CARRIED and not d.in_meeting


# --- pages and API ----------------------------------------------------------------------------
def test_the_committee_decides_on_the_meeting_page(
    community: Community, cast: dict[str, Any], project_in: Any, client_for: Any
) -> None:
    p = project_in("deciding")
    item = committee_meeting(community, cast, p)
    sign(item, cast, *COMMITTEE)
    page = f"/meetings/{item.meeting_id}/"
    secretary, member = client_for(cast["committee"]), client_for(cast["committee2"])
    assert f"/meetings/items/{item.pk}/rollcall/" in secretary.get(page).content.decode()
    html = member.get(page).content.decode()
    assert f"/meetings/items/{item.pk}/vote/" not in html and "请等待秘书发起党委决策表决" in html
    assert (
        member.post(f"/meetings/items/{item.pk}/rollcall/", {"motion": "approve"}).status_code
        == 403
    )
    r = secretary.post(
        f"/meetings/items/{item.pk}/rollcall/", {"motion": "approve", "amount": "10000.00"}
    )
    assert r.status_code == 302
    html = member.get(page).content.decode()
    assert "党委决策表决" in html and f"/meetings/items/{item.pk}/vote/" in html
    d = Decision.objects.get(project=p)
    project_page = member.get(f"/projects/{p.pk}/").content.decode()
    assert f"/decisions/{d.pk}/vote/" not in project_page  # voted in the meeting only
    assert f"/meetings/{item.meeting_id}/#item-{item.pk}" in project_page
    for who in (member, secretary):
        assert who.post(f"/meetings/items/{item.pk}/vote/", {"choice": "yes"}).status_code == 302
    assert secretary.post(f"/meetings/items/{item.pk}/close/").status_code == 302
    assert Project.objects.get(pk=p.pk).state == State.PUBLICIZING


def test_the_committee_decides_through_the_api(
    community: Community, cast: dict[str, Any], project_in: Any
) -> None:
    from rest_framework.test import APIClient

    def api(user: Any) -> APIClient:
        c = APIClient()
        c.force_authenticate(user)
        return c

    p = project_in("deciding")
    item = committee_meeting(community, cast, p)
    sign(item, cast, "committee", "committee2")
    url = f"/api/v1/meeting-items/{item.pk}/"
    r = api(cast["committee2"]).post(url + "rollcall/", {"motion": "approve"}, format="json")
    assert r.status_code == 403
    r = api(cast["committee"]).post(url + "rollcall/", {"motion": "approve"}, format="json")
    assert r.status_code == 400  # approving needs an amount
    r = api(cast["committee"]).post(
        url + "rollcall/", {"motion": "approve", "amount": "9000.00"}, format="json"
    )
    assert r.status_code == 200, r.json()
    rollcall = r.json()["items"][0]["rollcall"]
    assert rollcall["motion"] == "approve" and rollcall["result"] == "open"
    for name in ("committee", "committee2"):
        r = api(cast[name]).post(url + "votes/", {"choice": "yes"}, format="json")
        assert r.status_code == 201
    assert [v["choice"] for v in r.json()["items"][0]["votes"]] == ["yes", "yes"]
    r = api(cast["committee3"]).post(url + "votes/", {"choice": "yes"}, format="json")
    assert r.status_code == 403  # not signed in
    r = api(cast["committee"]).post(url + "close/", format="json")
    assert r.status_code == 200 and r.json()["items"][0]["rollcall"]["result"] == "carried"
    assert Project.objects.get(pk=p.pk).approved_amount == Decimal("9000.00")
    schema = APIClient().get("/api/schema/?format=json").json()
    assert "/api/v1/meeting-items/{id}/rollcall/" in schema["paths"]
