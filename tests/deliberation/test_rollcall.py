"""Committee decisions are a roll-call: quorum of members present (recused members aside), carried
by a majority of those present, a recusal needs a declared conflict, each member's vote is
public, and the result is computed from the votes, never typed in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from deliberation import services
from deliberation.models import Decision, DecisionVote
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Project, Role, State
from tests.conftest import add_role, make_user

pytestmark = pytest.mark.usefixtures("vote_urls")


def motion(project: Project, cast: dict[str, Any], kind: str = "approve", **kw: Any) -> Decision:
    if kind == "approve":
        kw.setdefault("amount", "10000.00")
    if kind == "decline":
        kw.setdefault("reason", "不属于公益事项")
    return services.decision_open(project=project, by=cast["committee"], motion=kind, **kw)


def votes(decision: Decision, cast: dict[str, Any], *choices: str) -> None:
    for who, choice in zip(("committee", "committee2", "committee3"), choices, strict=False):
        conflict = "其配偶承包该工程" if choice == "recuse" else ""
        services.decision_vote(decision=decision, by=cast[who], choice=choice, conflict=conflict)


def close(decision: Decision, cast: dict[str, Any], minutes: str = "") -> Decision:
    return services.decision_close(decision=decision, by=cast["committee"], minutes=minutes)


def test_carried_approval_moves_the_project_on_with_the_amount(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in("deciding")
    d = motion(p, cast, amount="12000.00")
    votes(d, cast, "yes", "yes", "no")
    d = close(d, cast, minutes="出席 3 人，赞成 2 票")
    assert d.result == Decision.Result.CARRIED
    assert (d.present, d.yes, d.no, d.abstain, d.recused) == (3, 2, 1, 0, 0)
    p.refresh_from_db()
    assert p.state == State.PUBLICIZING and p.approved_amount == Decimal("12000.00")


def test_without_quorum_nothing_happens(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in("deciding")
    d = motion(p, cast)
    votes(d, cast, "yes")
    d = close(d, cast)
    assert d.result == Decision.Result.NO_QUORUM
    p.refresh_from_db()
    assert p.state == State.DECIDING and p.approved_amount is None


def test_two_of_three_members_make_a_two_thirds_quorum(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in("deciding")
    d = motion(p, cast)
    votes(d, cast, "yes", "yes")
    assert services.decision_tally(d).quorum_needed == 2
    assert close(d, cast).result == Decision.Result.CARRIED


def test_majority_of_those_present_abstaining_counts_against(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in("deciding")
    d = motion(p, cast)
    votes(d, cast, "yes", "abstain", "abstain")
    d = close(d, cast)
    assert d.result == Decision.Result.FAILED
    p.refresh_from_db()
    assert p.state == State.DECIDING


def test_recusal_needs_a_declared_conflict(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in("deciding")
    d = motion(p, cast)
    with pytest.raises(Invalid, match="利益冲突"):
        services.decision_vote(decision=d, by=cast["committee3"], choice="recuse", conflict="  ")
    assert not DecisionVote.objects.exists()
    services.decision_vote(
        decision=d, by=cast["committee3"], choice="recuse", conflict="施工方是其亲属"
    )
    assert DecisionVote.objects.get().conflict == "施工方是其亲属"


def test_recused_member_is_not_present_and_lowers_the_quorum(
    project_in: Any, cast: dict[str, Any]
) -> None:
    p = project_in("deciding")
    d = motion(p, cast)
    votes(d, cast, "yes", "yes", "recuse")
    tally = services.decision_tally(d)
    assert (tally.present, tally.recused, tally.quorum_needed) == (2, 1, 2)
    d = close(d, cast)
    assert d.result == Decision.Result.CARRIED
    assert (d.present, d.recused) == (2, 1)


def test_decline_and_defer_take_effect_when_carried(project_in: Any, cast: dict[str, Any]) -> None:
    p = project_in("deciding")
    d = motion(p, cast, "defer")
    votes(d, cast, "yes", "yes", "yes")
    close(d, cast)
    p.refresh_from_db()
    assert p.state == State.DELIBERATING
    q = project_in("deciding")
    d = motion(q, cast, "decline")
    votes(d, cast, "yes", "yes", "yes")
    close(d, cast)
    q.refresh_from_db()
    assert q.state == State.REJECTED and q.outcome_reason.startswith("不属于公益事项")


def test_a_member_votes_once(project_in: Any, cast: dict[str, Any]) -> None:
    d = motion(project_in("deciding"), cast)
    services.decision_vote(decision=d, by=cast["committee"], choice="yes")
    with pytest.raises(Invalid, match="已经表决"):
        services.decision_vote(decision=d, by=cast["committee"], choice="no")
    assert list(d.votes.values_list("choice", flat=True)) == ["yes"]


def test_only_committee_members_of_the_community_open_vote_and_close(
    project_in: Any, cast: dict[str, Any], other_community: Any
) -> None:
    p = project_in("deciding")
    stranger = make_user("committee_elsewhere")
    add_role(stranger, other_community, Role.COMMITTEE)
    for who in (cast["resident"], cast["council"], cast["clerk"], stranger):
        with pytest.raises(Forbidden):
            services.decision_open(project=p, by=who, motion="approve", amount="1.00")
    d = motion(p, cast)
    for who in (cast["resident"], stranger):
        with pytest.raises(Forbidden):
            services.decision_vote(decision=d, by=who, choice="yes")
        with pytest.raises(Forbidden):
            services.decision_close(decision=d, by=who)


def test_motion_only_in_deciding_and_one_open_at_a_time(
    project_in: Any, cast: dict[str, Any]
) -> None:
    with pytest.raises(Conflict):
        motion(project_in("deliberating"), cast)
    p = project_in("deciding")
    motion(p, cast)
    with pytest.raises(Conflict, match="正在表决"):
        motion(p, cast, "defer")


def test_closed_roll_call_takes_no_more_votes(project_in: Any, cast: dict[str, Any]) -> None:
    d = motion(project_in("deciding"), cast)
    votes(d, cast, "yes")
    close(d, cast)
    with pytest.raises(Conflict, match="已结束"):
        services.decision_vote(decision=d, by=cast["committee2"], choice="yes")
    with pytest.raises(Conflict):
        close(d, cast)


# --- pages -----------------------------------------------------------------------------------
def test_project_page_shows_the_motion_form_to_the_committee_only(
    project_in: Any, cast: dict[str, Any], client_for: Any, client: Any
) -> None:
    p = project_in("deciding", cost="8800.00")
    committee_page = client_for(cast["committee"]).get(f"/projects/{p.pk}/").content.decode()
    assert 'id="motion-form"' in committee_page and 'value="8800.00"' in committee_page
    resident_page = client_for(cast["resident"]).get(f"/projects/{p.pk}/").content.decode()
    assert "党委记名表决" in resident_page and 'id="motion-form"' not in resident_page


def test_roll_call_through_the_pages_is_public_vote_by_vote(
    project_in: Any, cast: dict[str, Any], client_for: Any, client: Any
) -> None:
    p = project_in("deciding")
    c1, c2 = client_for(cast["committee"]), client_for(cast["committee2"])
    r = c1.post(f"/projects/{p.pk}/decisions/open/", {"motion": "approve", "amount": "9000.00"})
    assert r.status_code == 302
    d = Decision.objects.get()
    assert c1.post(f"/decisions/{d.pk}/vote/", {"choice": "yes"}).status_code == 302
    r = c2.post(f"/decisions/{d.pk}/vote/", {"choice": "recuse"})
    assert r.status_code == 400 and "利益冲突" in r.content.decode()
    c2.post(f"/decisions/{d.pk}/vote/", {"choice": "recuse", "conflict": "本人是项目施工方股东"})
    client_for(cast["committee3"]).post(f"/decisions/{d.pk}/vote/", {"choice": "yes"})
    page = c1.get(f"/projects/{p.pk}/").content.decode()
    assert 'class="my-vote"' in page  # the voter's own vote is marked; the buttons are hidden by it
    r = c1.post(f"/decisions/{d.pk}/close/", {"minutes": "2025 年第 3 次党委会，应到 3 人"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.state == State.PUBLICIZING
    public = client.get(f"/decisions/{d.pk}/").content.decode()
    for text in ("committee2", "回避", "本人是项目施工方股东", "2025 年第 3 次党委会", "通过"):
        assert text in public
    panel = client.get(f"/projects/{p.pk}/").content.decode()
    assert "本人是项目施工方股东" in panel and "出席 2/3" in panel


def test_page_errors_keep_their_status(
    project_in: Any, cast: dict[str, Any], client_for: Any
) -> None:
    p = project_in("deciding")
    r = client_for(cast["resident"]).post(
        f"/projects/{p.pk}/decisions/open/", {"motion": "approve", "amount": "1.00"}
    )
    assert r.status_code == 403
    r = client_for(cast["committee"]).post(
        f"/projects/{p.pk}/decisions/open/", {"motion": "approve", "amount": "abc"}
    )
    assert r.status_code == 400
    assert not Decision.objects.exists()
