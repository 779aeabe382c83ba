"""Budget ballot rounds: the committee opens a round over shortlisted projects with the fund as
the budget; residents cast approval ballots; closing computes the winners by the declared rule,
moves them on to ``deciding`` with their amount, and publishes the reasons."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from deliberation import ballots
from deliberation.ballot_models import BudgetRound, RoundProject, RoundResult
from projects import ledger
from projects.errors import Conflict, Forbidden, Invalid
from projects.models import Membership, ProjectEvent, Role, State
from tests.conftest import add_role, make_user
from tests.deliberation.votes_support import ballot_rows, end_window, vote

pytestmark = pytest.mark.usefixtures("vote_urls")


def winners(rnd: BudgetRound) -> set[int]:
    return set(
        RoundProject.objects.filter(round=rnd, selected=True).values_list("project_id", flat=True)
    )


# --- opening a round ---------------------------------------------------------------------------
def test_budget_defaults_to_the_funds_available_amount(
    project_in: Any, make_round: Any, fund: Any
) -> None:
    p = project_in("deliberating")
    rnd = make_round([p], open=False)
    assert rnd.budget == ledger.fund_balances(fund).available == Decimal("1000000.00")
    assert rnd.status == BudgetRound.Status.DRAFT


def test_budget_cannot_exceed_what_the_fund_holds(project_in: Any, make_round: Any) -> None:
    with pytest.raises(Invalid, match="超出经费可用余额"):
        make_round([project_in("deliberating")], budget="1000000.01")
    assert not BudgetRound.objects.exists()


def test_only_the_committee_opens_a_round(
    project_in: Any, cast: dict[str, Any], community: Any
) -> None:
    p = project_in("deliberating")
    for who in ("resident", "council", "clerk", "outsider"):
        with pytest.raises(Forbidden):
            ballots.round_create(
                community=community,
                by=cast[who],
                title="t",
                rule="greedy",
                closes_at=timezone.now() + timedelta(days=1),
                project_ids=[p.pk],
            )
    rnd = ballots.round_create(
        community=community,
        by=cast["committee"],
        title="t",
        rule="greedy",
        closes_at=timezone.now() + timedelta(days=1),
        project_ids=[p.pk],
    )
    with pytest.raises(Forbidden):
        ballots.round_open(round=rnd, by=cast["resident"])
    assert ballots.round_open(round=rnd, by=cast["committee2"]).status == BudgetRound.Status.OPEN


def test_shortlist_only_assessed_projects_in_deliberating_or_deciding(
    project_in: Any, make_round: Any, other_community: Any, cast: dict[str, Any], make_resident: Any
) -> None:
    screening = project_in("screening")
    with pytest.raises(Invalid, match="议事会协商"):
        make_round([project_in("deliberating"), screening])
    elsewhere = make_resident(where=other_community)
    from tests.conftest import new_project

    foreign = new_project(other_community, elsewhere)
    with pytest.raises(Invalid):
        make_round([foreign])
    assert not BudgetRound.objects.exists()


def test_a_project_is_in_one_uncounted_round_at_a_time(project_in: Any, make_round: Any) -> None:
    p = project_in("deliberating")
    make_round([p])
    with pytest.raises(Conflict, match="另一轮"):
        make_round([p, project_in("deciding")])


def test_threshold_rule_needs_a_minimum(project_in: Any, make_round: Any) -> None:
    with pytest.raises(Invalid, match="最低票数"):
        make_round([project_in("deliberating")], rule="greedy-threshold", min_votes=0)


def test_opening_counts_the_eligible_and_tells_them(
    project_in: Any, make_round: Any, make_resident: Any
) -> None:
    from notifications.models import Notification

    make_resident()
    rnd = make_round([project_in("deliberating")])
    eligible = Membership.objects.filter(community=rnd.community, role=Role.RESIDENT).count()
    assert rnd.eligible == eligible
    assert Notification.objects.filter(kind="ballot.opened").count() == eligible


# --- ballots ---------------------------------------------------------------------------------
def test_one_ballot_per_resident_per_round(project_in: Any, make_round: Any, cast: Any) -> None:
    a, b = project_in("deliberating"), project_in("deliberating")
    rnd = make_round([a, b])
    vote(rnd, cast["resident"], a)
    before = ballot_rows()
    with pytest.raises(Invalid, match="投过票"):
        vote(rnd, cast["resident"], b)
    assert ballot_rows() == before == (1, 1, 1)


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("outside", Invalid, "不在本轮投票中"),
        ("too_many", Invalid, "最多选 2 个项目"),
        ("over_budget", Invalid, "超过预算"),
        ("closed", Conflict, "已结束"),
        ("draft", Conflict, "未开放"),
        ("late", Conflict, "已截止"),
        ("early", Conflict, "尚未开始"),
        ("outsider", Forbidden, "登记居民"),
        ("other_community", Forbidden, "登记居民"),
        ("empty", Invalid, "至少选择一个"),
        ("repeated", Invalid, "只能选一次"),
        ("not_a_list", Invalid, "选择要支持的项目"),
    ],
)
def test_bad_ballots_are_refused_and_nothing_is_written(
    case: str,
    error: type[Exception],
    message: str,
    project_in: Any,
    make_round: Any,
    cast: dict[str, Any],
    make_resident: Any,
    other_community: Any,
) -> None:
    a = project_in("deliberating", cost="600000.00")
    b = project_in("deliberating", cost="300000.00")
    c = project_in("deliberating", cost="200000.00")
    other = project_in("deliberating")
    rnd = make_round([a, b, c], max_projects=2, cost_limited=True, budget="800000.00")
    voter = cast["resident"]
    choice: Any = [str(a.pk)]
    if case == "outside":
        choice = [str(a.pk), str(other.pk)]
    elif case == "too_many":
        choice = [str(p.pk) for p in (a, b, c)]
    elif case == "over_budget":
        choice = [str(a.pk), str(b.pk)]
    elif case == "closed":
        ballots.round_close(round=end_window(rnd), by=cast["committee"])
        BudgetRound.objects.filter(pk=rnd.pk).update(closes_at=timezone.now() + timedelta(days=1))
    elif case == "draft":
        rnd = make_round([other], open=False)
        choice = [str(other.pk)]
    elif case == "late":
        end_window(rnd)
    elif case == "early":
        BudgetRound.objects.filter(pk=rnd.pk).update(opens_at=timezone.now() + timedelta(hours=1))
    elif case == "outsider":
        voter = cast["outsider"]
    elif case == "other_community":
        voter = make_resident(where=other_community)
    elif case == "empty":
        choice = []
    elif case == "repeated":
        choice = [str(a.pk), str(a.pk)]
    elif case == "not_a_list":
        choice = str(a.pk)
    before = ballot_rows()
    with pytest.raises(error, match=message):
        ballots.ballot_cast(round=rnd, by=voter, project_ids=choice)
    assert ballot_rows() == before


def test_a_ballot_within_the_limits_is_accepted(
    project_in: Any, make_round: Any, cast: Any
) -> None:
    a = project_in("deliberating", cost="600000.00")
    b = project_in("deliberating", cost="200000.00")
    rnd = make_round([a, b], max_projects=2, cost_limited=True, budget="800000.00")
    receipt = vote(rnd, cast["resident"], a, b)  # exactly the budget
    assert receipt.voters == 1
    assert {r["external_id"]: r["votes"] for r in receipt.standings} == {str(a.pk): 1, str(b.pk): 1}


def test_standings_are_totals_per_project_most_votes_first(
    project_in: Any,
    make_round: Any,
    make_resident: Any,
    roll_voter: Any,
) -> None:
    a, b = project_in("deliberating", cost="1000.00"), project_in("deciding", cost="2000.00")
    rnd = make_round([a, b])
    vote(rnd, roll_voter(), b)
    vote(rnd, roll_voter(), a, b)
    rows = ballots.standings(rnd)
    assert rows == [
        {
            "project_id": b.pk,
            "external_id": str(b.pk),
            "name": b.title,
            "cost": "2000.00",
            "votes": 2,
        },
        {
            "project_id": a.pk,
            "external_id": str(a.pk),
            "name": a.title,
            "cost": "1000.00",
            "votes": 1,
        },
    ]


def test_standings_are_published_per_sealed_batch_after_commit(
    project_in: Any, make_round: Any, make_resident: Any, django_capture_on_commit_callbacks: Any
) -> None:
    a = project_in("deliberating")
    first, second = make_resident(), make_resident()
    rnd = make_round([a])
    BudgetRound.objects.filter(pk=rnd.pk).update(tally_step=2)
    rnd.refresh_from_db()
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("screen.xingfu", channel)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(Invalid):
        ballots.ballot_cast(round=rnd, by=first, project_ids=["999999"])
    assert callbacks == []  # a refused ballot announces nothing
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        receipt = vote(rnd, first, a)
    assert callbacks == [] and receipt.standings[0]["votes"] == 0  # alone in the pool: unpublished
    with django_capture_on_commit_callbacks(execute=True):
        receipt = vote(rnd, second, a)
    message = async_to_sync(layer.receive)(channel)
    event = json.loads(message["text"])
    assert (event["kind"], event["round_id"]) == ("ballot.tally", rnd.pk)
    assert receipt.standings == ballots.standings(rnd) and receipt.standings[0]["votes"] == 2
    async_to_sync(layer.group_discard)("screen.xingfu", channel)


# --- closing ---------------------------------------------------------------------------------
def test_cannot_close_before_the_window_ends_unless_everyone_voted(
    project_in: Any, make_round: Any, cast: Any
) -> None:
    a = project_in("deliberating")
    rnd = make_round([a], spares=0)
    with pytest.raises(Conflict, match="截止"):
        ballots.round_close(round=rnd, by=cast["committee"])
    vote(rnd, cast["resident"], a)  # the only eligible resident
    result = ballots.round_close(round=rnd, by=cast["committee"])
    assert result.voters == 1


def test_only_the_committee_closes(project_in: Any, make_round: Any, cast: Any) -> None:
    rnd = end_window(make_round([project_in("deliberating")]))
    for who in ("resident", "clerk", "council"):
        with pytest.raises(Forbidden):
            ballots.round_close(round=rnd, by=cast[who])
    ballots.round_close(round=rnd, by=cast["committee"])
    with pytest.raises(Conflict, match="已计票"):
        ballots.round_close(round=rnd, by=cast["committee"])


def test_winners_move_to_deciding_with_their_amount_losers_stay(
    project_in: Any,
    make_round: Any,
    cast: Any,
    make_resident: Any,
    roll_voter: Any,
) -> None:
    a = project_in("deliberating", cost="600000.00")
    b = project_in("deliberating", cost="500000.00")
    c = project_in("deciding", cost="300000.00")
    rnd = make_round([a, b, c], budget="1000000.00")
    for _ in range(3):
        vote(rnd, roll_voter(), a, c)
    vote(rnd, roll_voter(), b)
    vote(rnd, roll_voter(), b)
    result = ballots.round_close(round=end_window(rnd), by=cast["committee"])
    # greedy: a (3 votes, 600k) then c (3 votes, 300k; ties by id) — b (2) no longer fits
    assert winners(rnd) == {a.pk, c.pk}
    assert result.total_cost == Decimal("900000.00")
    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    assert (a.state, b.state, c.state) == (State.DECIDING, State.DELIBERATING, State.DECIDING)
    entries = {e.project_id: e for e in RoundProject.objects.filter(round=rnd)}
    assert entries[a.pk].awarded_amount == Decimal("600000.00")
    assert entries[c.pk].awarded_amount == Decimal("300000.00")
    assert entries[b.pk].awarded_amount is None and entries[b.pk].selected is False
    event = ProjectEvent.objects.get(project=a, action="recommend")
    assert event.actor == cast["committee"] and "预算投票" in event.note
    assert event.amount == Decimal("600000.00")
    # c was already in ``deciding`` (the council recommended it): no second transition
    assert list(
        ProjectEvent.objects.filter(project=c, action="recommend").values_list("actor", flat=True)
    ) == [cast["council"].pk]


def test_result_is_reproducible_rule_tie_break_and_inputs_hash_published(
    project_in: Any,
    make_round: Any,
    cast: Any,
    make_resident: Any,
    roll_voter: Any,
) -> None:
    a, b = project_in("deliberating", cost="1000.00"), project_in("deliberating", cost="2000.00")
    rnd = make_round([a, b], rule="mes")
    vote(rnd, roll_voter(), a)
    vote(rnd, roll_voter(), a, b)
    result = ballots.round_close(round=end_window(rnd), by=cast["committee"])
    assert result.rule == "mes"
    assert "pabutools" in result.tie_break
    entries, approvals = ballots._profile(rnd)
    canonical = ballots.inputs_canonical(rnd, entries, approvals)
    assert result.inputs_sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert '"rule":"mes"' in canonical and '"budget":"1000000.00"' in canonical
    assert sorted([[str(a.pk)], sorted([str(a.pk), str(b.pk)])]) == json.loads(canonical)["ballots"]
    published = ballots.round_results(rnd)
    assert published["result"]["inputs_sha256"] == result.inputs_sha256
    assert published["tie_break"]


def test_nobody_voted_no_winners(project_in: Any, make_round: Any, cast: Any) -> None:
    a = project_in("deliberating")
    rnd = make_round([a])
    result = ballots.round_close(round=end_window(rnd), by=cast["committee"])
    assert result.voters == 0 and result.total_cost == 0
    assert winners(rnd) == set()
    a.refresh_from_db()
    assert a.state == State.DELIBERATING


def test_system_closes_rounds_whose_window_is_over(
    project_in: Any, make_round: Any, cast: Any
) -> None:
    a = project_in("deliberating")
    over = make_round([a])
    vote(over, cast["resident"], a)
    running = make_round([project_in("deliberating")])
    end_window(over)
    assert ballots.rounds_close_due() == 1
    over.refresh_from_db(), running.refresh_from_db()
    assert over.status == BudgetRound.Status.CLOSED and over.closed_by is None
    assert running.status == BudgetRound.Status.OPEN
    a.refresh_from_db()
    assert a.state == State.DECIDING
    assert ProjectEvent.objects.get(project=a, action="recommend").actor is None


# --- the rules, on small profiles worked out by hand -------------------------------------------
@pytest.fixture
def abc(project_in: Any, make_resident: Any) -> tuple[Any, Any, Any, Any]:
    """A 60, B 40, C 40; five voters {A} {A} {A,B} {B,C} {C}; budget 100."""
    a = project_in("deliberating", cost="60.00")
    b = project_in("deliberating", cost="40.00")
    c = project_in("deliberating", cost="40.00")
    voters = [make_resident() for _ in range(5)]
    profile = [(a,), (a,), (a, b), (b, c), (c,)]
    return a, b, c, list(zip(voters, profile, strict=True))


def _run(make_round: Any, abc: Any, cast: Any, **kw: Any) -> set[int]:
    a, b, c, profile = abc
    rnd = make_round([a, b, c], budget="100.00", **kw)
    for voter, choice in profile:
        vote(rnd, voter, *choice)
    ballots.round_close(round=end_window(rnd), by=cast["committee"])
    return winners(rnd)


def test_greedy_takes_most_votes_first_and_skips_what_does_not_fit(
    make_round: Any, abc: Any, cast: Any
) -> None:
    a, b, c, _ = abc
    # A 3 votes (60, 40 left); B and C tie at 2: the smaller id as a string goes first and fits
    first = min((b, c), key=lambda p: str(p.pk))
    assert _run(make_round, abc, cast, rule="greedy") == {a.pk, first.pk}


def test_greedy_no_skip_stops_at_the_first_project_that_does_not_fit(
    project_in: Any,
    make_round: Any,
    cast: Any,
    make_resident: Any,
    roll_voter: Any,
) -> None:
    big = project_in("deliberating", cost="70.00")
    mid = project_in("deliberating", cost="50.00")
    small = project_in("deliberating", cost="20.00")
    for rule, expected in (("greedy", {big.pk, small.pk}), ("greedy-no-skip", {big.pk})):
        rnd = make_round([big, mid, small], budget="100.00", rule=rule)
        for choice in ((big, mid, small), (big, mid), (big,)):
            vote(rnd, roll_voter(), *choice)
        ballots.round_close(round=end_window(rnd), by=cast["committee"])
        assert winners(rnd) == expected, rule


def test_greedy_threshold_leaves_out_projects_below_the_minimum(
    make_round: Any, abc: Any, cast: Any
) -> None:
    a, _b, _c, _ = abc
    assert _run(make_round, abc, cast, rule="greedy-threshold", min_votes=3) == {a.pk}


def test_mes_shares_the_budget_equally_among_voters(make_round: Any, abc: Any, cast: Any) -> None:
    a, _b, c, _ = abc
    # 20 each; A (3 supporters, 20 each) first; then B's supporters hold 20 < 40; C's hold 40
    assert _run(make_round, abc, cast, rule="mes") == {a.pk, c.pk}


def test_mes_add1_completes_what_plain_mes_leaves_unspent(
    project_in: Any,
    make_round: Any,
    cast: Any,
    make_resident: Any,
    roll_voter: Any,
) -> None:
    a = project_in("deliberating", cost="60.00")
    b = project_in("deliberating", cost="40.00")
    results = {}
    for rule in ("mes", "mes-add1"):
        rnd = make_round([a, b], budget="100.00", rule=rule)
        vote(rnd, roll_voter(), a)
        vote(rnd, roll_voter(), b)
        ballots.round_close(round=end_window(rnd), by=cast["committee"])
        results[rule] = winners(rnd)
    # 50 each: A (60) unaffordable, B taken; raising each share to 60 affords both
    assert results == {"mes": {b.pk}, "mes-add1": {a.pk, b.pk}}


def test_results_explain_each_project_round_by_round(make_round: Any, abc: Any, cast: Any) -> None:
    a, b, c, _ = abc
    _run(make_round, abc, cast, rule="mes")
    rnd = BudgetRound.objects.get()
    published = ballots.round_results(rnd)
    rows = published["projects"]
    assert [r["external_id"] for r in rows] == [str(a.pk), str(c.pk), str(b.pk)]
    assert [r["selected"] for r in rows] == [True, True, False]
    assert rows[0]["why"].startswith("第 1 轮入选") and "3 位支持者" in rows[0]["why"]
    assert rows[1]["why"].startswith("第 2 轮入选")
    assert "不够支付成本 40.00 元" in rows[2]["why"]
    assert "未入选，项目保持" in rows[2]["after"]
    assert "党委" in rows[0]["after"]
    assert published["result"]["mes"]["voter_money"] == "20.00"


# --- pages -----------------------------------------------------------------------------------
def test_resident_ticks_projects_on_the_round_page_and_sees_the_running_total(
    project_in: Any, make_round: Any, cast: Any, client_for: Any
) -> None:
    a, b = (
        project_in("deliberating", cost="600000.00"),
        project_in("deliberating", cost="300000.00"),
    )
    rnd = make_round([a, b], cost_limited=True, budget="800000.00")
    c = client_for(cast["resident"])
    page = c.get(f"/rounds/{rnd.pk}/").content.decode()
    assert f'name="projects" value="{a.pk}"' in page and 'data-limit="1"' in page
    assert 'data-budget="800000.00"' in page and 'data-cost="600000.00"' in page
    r = c.post(f"/rounds/{rnd.pk}/vote/", {"projects": [str(a.pk), str(b.pk)]})
    assert r.status_code == 400 and "超过预算" in r.content.decode()
    r = c.post(f"/rounds/{rnd.pk}/vote/", {"projects": [str(a.pk)]})
    assert r.status_code == 302
    page = c.get(f"/rounds/{rnd.pk}/").content.decode()
    assert "您已在本轮投票" in page and 'name="projects"' not in page


def test_committee_creates_opens_and_closes_through_the_pages(
    project_in: Any, cast: dict[str, Any], client_for: Any, community: Any
) -> None:
    a = project_in("deliberating", cost="5000.00")
    c = client_for(cast["committee"])
    form = c.get(f"/rounds/new/?community={community.slug}")
    assert form.status_code == 200 and "1000000.00" in form.content.decode()
    closes = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    r = c.post(
        f"/rounds/new/?community={community.slug}",
        {
            "title": "幸福社区 2025 预算投票",
            "rule": "mes-add1",
            "budget": "8000.00",
            "closes_at": closes,
            "projects": [str(a.pk)],
            "open_now": "1",
        },
    )
    assert r.status_code == 302
    rnd = BudgetRound.objects.get()
    assert rnd.status == BudgetRound.Status.OPEN and rnd.rule == "mes-add1"
    assert (
        client_for(cast["resident"]).get(f"/rounds/new/?community={community.slug}").status_code
        == 403
    )
    client_for(cast["resident"]).post(f"/rounds/{rnd.pk}/vote/", {"projects": [str(a.pk)]})
    r = c.post(f"/rounds/{rnd.pk}/close/")
    assert r.status_code == 302 and r["Location"] == f"/rounds/{rnd.pk}/results/"
    results = c.get(r["Location"]).content.decode()
    assert "第 1 轮入选" in results and RoundResult.objects.get().inputs_sha256 in results
    assert f"/rounds/{rnd.pk}/export.pb" in results


def test_bad_round_form_is_shown_again_with_the_error(
    project_in: Any, cast: dict[str, Any], client_for: Any, community: Any
) -> None:
    a = project_in("deliberating")
    r = client_for(cast["committee"]).post(
        f"/rounds/new/?community={community.slug}",
        {
            "title": "超预算",
            "rule": "greedy",
            "budget": "2000000.00",
            "closes_at": "2099-01-01T10:00",
            "projects": [str(a.pk)],
        },
    )
    assert r.status_code == 400 and "超出经费可用余额" in r.content.decode()
    assert not BudgetRound.objects.exists()


def test_round_list_is_public_but_drafts_only_for_the_committee(
    project_in: Any, make_round: Any, client_for: Any, cast: Any, client: Any
) -> None:
    opened = make_round([project_in("deliberating")], title="公开的一轮")
    make_round([project_in("deliberating")], title="草稿的一轮", open=False)
    public = client.get("/rounds/").content.decode()
    assert "公开的一轮" in public and "草稿的一轮" not in public
    assert "草稿的一轮" in client_for(cast["committee"]).get("/rounds/").content.decode()
    assert client.get(f"/rounds/{opened.pk}/").status_code == 200


def test_winner_panel_offers_the_ballot_amount_to_the_committee(
    project_in: Any, make_round: Any, cast: Any, client_for: Any
) -> None:
    a = project_in("deliberating", cost="7000.00")
    rnd = make_round([a], title="第一轮", spares=0)
    vote(rnd, cast["resident"], a)
    ballots.round_close(round=rnd, by=cast["committee"])
    page = client_for(cast["committee"]).get(f"/projects/{a.pk}/").content.decode()
    assert "预算投票“第一轮”入选，金额 7,000.00 元" in page
    assert 'name="amount" id="id_amount" value="7000.00"' in page


def test_committee_member_in_a_second_community_cannot_act_here(
    project_in: Any, make_round: Any, other_community: Any
) -> None:
    rnd = make_round([project_in("deliberating")])
    stranger = make_user("committee_heping")
    add_role(stranger, other_community, Role.COMMITTEE)
    with pytest.raises(Forbidden):
        ballots.round_close(round=end_window(rnd), by=stranger)
