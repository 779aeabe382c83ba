"""Moving out ends eligibility but keeps counted votes; households vote once; resident units sit
in the committee and co-fund; the street grants and ends staff roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation import services as ds
from deliberation.models import EvaluationParticipation
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Membership, Role
from projects.selectors import eligible_residents, user_has_role
from residents import services
from residents.models import Organisation, ResidencyEvent
from tests.conftest import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vote_urls")]


def _membership(user: Any, community: Any) -> Membership:
    return Membership.objects.residents().get(user=user, community=community)


# --- moving out --------------------------------------------------------------------------------
def test_moving_out_ends_eligibility_but_keeps_counted_votes(
    project_in: Any, community: Any, make_resident: Any, client_for: Any
) -> None:
    community.tally_step = 2
    community.save()
    stayer, leaver, late = make_resident(), make_resident(), make_resident()
    p = project_in("evaluating")
    ds.evaluation_open_round(project=p)
    ds.evaluation_vote(project=p, by=leaver, choice="satisfied")
    ds.evaluation_vote(project=p, by=stayer, choice="dissatisfied")
    r = client_for(leaver).post(reverse("residents:end", args=[_membership(leaver, community).pk]))
    assert r.status_code == 302
    # no longer eligible anywhere eligibility is read
    assert not user_has_role(leaver, community, Role.RESIDENT)
    assert leaver.pk not in set(eligible_residents(community).values_list("user_id", flat=True))
    ended = Membership.objects.get(user=leaver, community=community)
    assert ended.ended_at is not None  # kept, with its history
    assert ended.history.count() == 2
    assert ResidencyEvent.objects.filter(kind="moved_out", subject=leaver).exists()
    # the ballot already cast still counts
    tally = ds.evaluation_tally(p.evaluation_rounds.get())
    assert (tally.votes, tally.satisfied, tally.dissatisfied) == (2, 1, 1)
    # someone on the round's roll who moved out before voting cannot vote any more
    services.membership_end(membership=_membership(late, community), by=late)
    with pytest.raises(Forbidden, match="迁出"):
        ds.evaluation_vote(project=p, by=late, choice="satisfied")
    assert EvaluationParticipation.objects.filter(voter=late).count() == 0


def test_moved_out_resident_cannot_propose_or_cosign(
    community: Any, cast: Any, project_in: Any
) -> None:
    p = project_in("collecting")
    mover = cast["resident"]
    other = make_user("other")
    Membership.objects.create(user=other, role=Role.RESIDENT, community=community, household="X")
    services.membership_end(membership=_membership(other, community), by=other)
    with pytest.raises(Forbidden):
        ds.cosign_add(project=p, by=other)
    assert user_has_role(mover, community, Role.RESIDENT)


def test_clerk_ends_residency_with_reason_and_moving_in_starts_anew(
    community: Any, cast: Any
) -> None:
    resident = cast["resident"]
    m = _membership(resident, community)
    with pytest.raises(Invalid):
        services.membership_end(membership=m, by=cast["clerk"], reason="")
    with pytest.raises(Forbidden):
        services.membership_end(membership=m, by=cast["committee"], reason="搬走了")
    services.membership_end(membership=m, by=cast["clerk"], reason="房屋已出售")
    assert not user_has_role(resident, community, Role.RESIDENT)
    with pytest.raises(Conflict):
        services.membership_end(membership=m, by=cast["clerk"], reason="again")
    # moving back: a new declaration, approved: a new membership, the old one kept
    from residents.models import Declaration

    d = services.declaration_create(
        by=resident, community=community, grid=None, building="8", room="202"
    )
    services.declaration_approve(declaration=d, by=cast["clerk"])
    rows = Membership.objects.filter(user=resident, community=community, role=Role.RESIDENT)
    assert rows.count() == 2 and rows.current().count() == 1
    assert Declaration.objects.get(pk=d.pk).membership == rows.current().get()


# --- households --------------------------------------------------------------------------------
def test_household_first_ballot_counts_and_the_others_are_told(
    project_in: Any, community: Any, make_resident: Any, client_for: Any
) -> None:
    community.evaluation_per_household = True
    community.tally_step = 2
    community.save()
    first, same_home = make_resident(household="5-1-301"), make_resident(household="5-1-301")
    p = project_in("evaluating")
    ds.evaluation_open_round(project=p)
    page = client_for(same_home).get(reverse("project-detail", args=[p.pk])).content.decode()
    assert 'id="household-voted"' not in page and 'value="satisfied"' in page
    client_for(first).post(reverse("project-evaluate", args=[p.pk]), {"choice": "satisfied"})
    page = client_for(same_home).get(reverse("project-detail", args=[p.pk])).content.decode()
    assert 'id="household-voted"' in page
    assert "按户一票" in page and 'value="satisfied"' not in page
    r = client_for(same_home).post(
        reverse("project-evaluate", args=[p.pk]), {"choice": "dissatisfied"}
    )
    assert r.status_code == 400
    assert EvaluationParticipation.objects.filter(round__project=p).count() == 1


# --- resident units ----------------------------------------------------------------------------
@pytest.fixture
def school(community: Any, cast: Any) -> Organisation:
    unit = services.unit_create(
        by=cast["clerk"], community=community, name="实验小学", kind="school"
    )
    return unit


def test_unit_representative_votes_in_a_roll_call_for_the_unit(
    community: Any, cast: Any, school: Organisation, project_in: Any, client_for: Any
) -> None:
    rep = make_user("principal", first_name="王校长")
    with pytest.raises(Invalid):  # not a representative yet
        services.unit_seat_grant(by=cast["supervisor"], unit=school, representative=rep)
    services.unit_representative_add(by=cast["clerk"], unit=school, user=rep)
    with pytest.raises(Forbidden):
        services.unit_seat_grant(by=cast["clerk"], unit=school, representative=rep)
    seat = services.unit_seat_grant(by=cast["supervisor"], unit=school, representative=rep)
    assert seat.membership.role == Role.COMMITTEE
    p = project_in("deciding")
    d = ds.decision_open(project=p, by=cast["committee"], motion="approve", amount="10000.00")
    assert d.members_total == 4  # three members and the unit's seat
    ds.decision_vote(decision=d, by=rep, choice="yes")
    page = client_for(cast["resident"]).get(reverse("decision-detail", args=[d.pk]))
    html = page.content.decode()
    assert "王校长" in html and "实验小学" in html
    panel = client_for(rep).get(reverse("project-detail", args=[p.pk])).content.decode()
    assert "实验小学" in panel


def test_unit_contribution_on_the_public_statement(
    community: Any, cast: Any, school: Organisation, project_in: Any, client: Any
) -> None:
    p = project_in("executing")
    entry = services.unit_contribution_record(
        by=cast["clerk"], unit=school, project=p, amount="3000.00", memo="捐赠体育器材款"
    )
    assert entry.contributor == "实验小学" and entry.contributor_kind == "unit"
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(reverse("money-statement", args=[community.slug, month])).content.decode()
    assert "实验小学" in page and "3,000.00" in page


def test_units_page(community: Any, cast: Any, school: Organisation, client_for: Any) -> None:
    url = reverse("residents:units", args=[community.slug])
    assert client_for(cast["resident"]).get(url).status_code == 403
    html = client_for(cast["clerk"]).get(url).content.decode()
    assert "实验小学" in html and "学校" in html
    r = client_for(cast["clerk"]).post(
        url, {"action": "create", "name": "社区医院", "kind": "hospital"}
    )
    assert r.status_code == 302
    assert Organisation.objects.filter(community=community, name="社区医院").exists()


# --- staff roles -------------------------------------------------------------------------------
def test_supervisor_grants_and_ends_staff_roles_on_the_record(
    community: Any, cast: Any, client_for: Any
) -> None:
    newbie = make_user("newclerk")
    sup = client_for(cast["supervisor"])
    url = reverse("residents:staff")
    assert client_for(cast["clerk"]).get(url).status_code == 403
    r = sup.post(url, {"user": newbie.pk, "role": "clerk", "community": community.slug})
    assert r.status_code == 302
    assert user_has_role(newbie, community, Role.CLERK)
    r = sup.post(url, {"user": newbie.pk, "role": "supervisor", "community": community.slug})
    assert r.status_code == 400  # only staff roles
    m = Membership.objects.current().get(user=newbie, role=Role.CLERK)
    r = sup.post(url, {"action": "end", "membership": m.pk, "reason": ""})
    assert r.status_code == 400
    r = sup.post(url, {"action": "end", "membership": m.pk, "reason": "调岗"})
    assert r.status_code == 302
    assert not user_has_role(newbie, community, Role.CLERK)
    m.refresh_from_db()
    assert m.ended_reason == "调岗"
    assert [h.history_user for h in m.history.order_by("history_date")] == [cast["supervisor"]] * 2
    html = sup.get(url).content.decode()
    assert "调岗" in html and "newclerk" in html
