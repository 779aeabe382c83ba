"""听证会 before the committee's decision: required above the community's amount or after an
upheld objection; residents sign up to speak; the secretary records what was said and answered;
published minutes let the committee decide. The rule is the transition's own condition."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from deliberation import actions
from deliberation import services as ds
from deliberation.models import Decision
from meetings import services
from meetings.models import Body, HearingSpeaker, Meeting
from projects import services as ps
from projects.errors import Conflict, Forbidden
from projects.models import Community, Project, ProjectEvent, State
from tests.conftest import new_project
from tests.projects.money_helpers import walk_to

pytestmark = pytest.mark.django_db


def hearing(community: Community, by: Any, project: Project) -> Meeting:
    now = timezone.now()
    return services.meeting_create(
        community=community,
        by=by,
        body=Body.HEARING,
        title="照明改造听证会",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        place="议事厅",
        items=[services.ItemSpec("听取居民意见", project)],
    )


def hold(community: Community, cast: dict[str, Any], project: Project, speaker: Any) -> Meeting:
    """Convene, sign up, open, record the speech, close, write and publish the minutes."""
    m = hearing(community, cast["clerk"], project)
    sp = services.hearing_signup(meeting=m, by=speaker, topic="灯太亮")
    services.meeting_open(meeting=m, by=cast["clerk"])
    services.hearing_record(
        speaker=sp, by=cast["clerk"], summary="担心灯光照进卧室", answer="选用遮光灯罩"
    )
    services.meeting_close(meeting=m, by=cast["clerk"])
    mn = services.minutes_write(meeting=m, by=cast["clerk"], body="听证 1 人发言", objection_days=0)
    services.minutes_publish(minutes=mn, by=cast["clerk"])
    return m


@pytest.fixture
def deciding(community: Community, cast: dict[str, Any], fund: Any) -> Project:
    community.hearing_amount = Decimal("5000.00")
    community.save()
    return walk_to(new_project(community, cast["resident"]), State.DECIDING, cast)  # 10,000 元


def test_over_the_amount_approve_and_decline_wait_for_a_hearing(
    community: Community, cast: dict[str, Any], deciding: Project
) -> None:
    for motion in ("approve", "decline"):
        with pytest.raises(Conflict) as err:
            ds.decision_open(
                project=deciding,
                by=cast["committee"],
                motion=motion,
                amount=Decimal("10000"),
                reason="理由",
            )
        assert err.value.status == 409
        assert "需先召开听证会" in err.value.message and "5,000.00" in err.value.message
    # the same answer from the transition table (hand-firing the committee's row)
    with pytest.raises(Conflict, match="需先召开听证会"):
        actions.check(project=deciding, name="approve", by=cast["committee"])
    # deferring back to the council is not a decision on the merits: allowed
    d = ds.decision_open(project=deciding, by=cast["committee"], motion="defer")
    assert d.result == Decision.Result.OPEN
    Decision.objects.filter(pk=d.pk).update(result=Decision.Result.FAILED)

    hold(community, cast, deciding, cast["resident"])
    deciding.refresh_from_db()
    assert deciding.hearing_held_at is not None
    assert actions.hearing_required(deciding) == []
    ds.decision_open(
        project=deciding, by=cast["committee"], motion="approve", amount=Decimal("10000")
    )
    # the audit trail: sign-up, the speech with what was answered, the minutes, the hearing
    rows = {e.action: e for e in ProjectEvent.objects.filter(project=deciding)}
    assert rows["hearing_signup"].actor == cast["resident"]
    assert "担心灯光照进卧室" in rows["hearing_speech"].note
    assert "选用遮光灯罩" in rows["hearing_speech"].note
    assert rows["hearing_speech"].actor == cast["clerk"]
    assert "发言 1 人" in rows["hearing_held"].note
    assert "minutes_published" in rows


def test_blank_amount_never_requires_a_hearing(
    community: Community, cast: dict[str, Any], fund: Any
) -> None:
    assert community.hearing_amount is None
    p = walk_to(new_project(community, cast["resident"]), State.DECIDING, cast, amount="900000")
    assert actions.hearing_required(p) == []
    ds.decision_open(project=p, by=cast["committee"], motion="approve", amount=Decimal("900000"))


def test_an_upheld_objection_needs_a_hearing_held_after_it(
    community: Community, cast: dict[str, Any], fund: Any, make_resident: Any
) -> None:
    p = walk_to(new_project(community, cast["resident"]), State.PUBLICIZING, cast)
    objection = ds.objection_file(project=p, by=make_resident("neighbour"), body="施工影响休息")
    ds.objection_resolve(objection=objection, by=cast["committee"], uphold=True, resolution="成立")
    p.refresh_from_db()
    assert p.state == State.DECIDING
    assert actions.hearing_required(p) == ["公示异议成立"]
    with pytest.raises(Conflict, match="公示异议成立"):
        ds.decision_open(project=p, by=cast["committee"], motion="approve", amount=Decimal("1"))
    # a hearing held before the objection was upheld does not count
    Project.objects.filter(pk=p.pk).update(
        hearing_held_at=p.objection_upheld_at - timedelta(days=1)
    )
    p.refresh_from_db()
    assert actions.hearing_required(p) == ["公示异议成立"]
    hold(community, cast, p, cast["resident"])
    p.refresh_from_db()
    assert actions.hearing_required(p) == []
    ps.project_approve(project=p, by=cast["committee"], amount="10000")


def test_who_may_sign_up_and_record(
    community: Community, cast: dict[str, Any], deciding: Project, make_resident: Any
) -> None:
    m = hearing(community, cast["clerk"], deciding)
    with pytest.raises(Forbidden):
        services.hearing_signup(meeting=m, by=cast["outsider"])
    sp = services.hearing_signup(meeting=m, by=cast["resident"])
    with pytest.raises(Conflict, match="已报名"):
        services.hearing_signup(meeting=m, by=cast["resident"])
    with pytest.raises(Conflict, match="开始后"):
        services.hearing_record(speaker=sp, by=cast["clerk"], summary="说", answer="答")
    services.meeting_open(meeting=m, by=cast["clerk"])
    with pytest.raises(Forbidden):
        services.hearing_record(speaker=sp, by=cast["resident"], summary="说", answer="答")
    services.hearing_record(speaker=sp, by=cast["clerk"], summary="说", answer="答")
    services.hearing_record(speaker=sp, by=cast["clerk"], summary="说得更清楚", answer="答")
    last = ProjectEvent.objects.filter(project=deciding, action="hearing_speech").last()
    assert last is not None and last.params["before"]["summary"] == "说"
    services.meeting_close(meeting=m, by=cast["clerk"])
    with pytest.raises(Conflict, match="已结束"):
        services.hearing_signup(meeting=m, by=make_resident("late"))
    council = services.meeting_create(
        community=community,
        by=cast["clerk"],
        body=Body.COUNCIL,
        title="议事会",
        starts_at=timezone.now() + timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=2),
        place="厅",
        items=[services.ItemSpec("议题")],
    )
    with pytest.raises(Conflict, match="只有听证会"):
        services.hearing_signup(meeting=council, by=cast["resident"])


# --- pages and API ---------------------------------------------------------------------------
# New strings reach zh-Hant / English when the lead regenerates the catalogues: until then the
# page still answers in that language's layout with the card (and its figures) on it.
LANGS = (("zh-hans", "需先召开听证会"), ("zh-hant", 'lang="zh-hant"'), ("en", 'lang="en"'))


def test_project_page_says_a_hearing_is_needed_and_links_the_clerk_to_convene(
    cast: dict[str, Any], deciding: Project, client_for: Any
) -> None:
    clerk, resident = client_for(cast["clerk"]), client_for(cast["resident"])
    for lang, words in LANGS:
        page = clerk.get(f"/projects/{deciding.pk}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert 'id="hearing"' in page and "10,000.00" in page and "5,000.00" in page
        if words:
            assert words in page, lang
        assert f"?project={deciding.pk}&amp;body=hearing" in page
    page = resident.get(f"/projects/{deciding.pk}/").content.decode()
    assert "需先召开听证会" in page and "body=hearing" not in page
    # the convene form comes prefilled as a hearing with the project on the agenda
    form = clerk.get(f"/meetings/new/?project={deciding.pk}&body=hearing").content.decode()
    assert 'value="hearing" selected' in form
    # the roll-call offers only 暂缓, and opening an approval is a 409 page saying why
    committee = client_for(cast["committee"])
    page = committee.get(f"/projects/{deciding.pk}/").content.decode()
    assert 'value="approve"' not in page and 'value="defer"' in page
    r = committee.post(
        f"/projects/{deciding.pk}/decisions/open/", {"motion": "approve", "amount": "10000"}
    )
    assert r.status_code == 409 and "需先召开听证会" in r.content.decode()


def test_residents_sign_up_on_the_meeting_page_and_the_secretary_records(
    community: Community, cast: dict[str, Any], deciding: Project, client_for: Any
) -> None:
    m = hearing(community, cast["clerk"], deciding)
    resident = client_for(cast["resident"])
    for lang in ("zh-hans", "zh-hant", "en"):
        page = resident.get(f"/meetings/{m.pk}/", HTTP_ACCEPT_LANGUAGE=lang)
        assert page.status_code == 200 and 'id="hearing-signup"' in page.content.decode()
    r = resident.post(f"/meetings/{m.pk}/hearing/signup/", {"topic": "灯太亮"})
    assert r.status_code == 302
    again = resident.post(f"/meetings/{m.pk}/hearing/signup/", {"topic": "再报"})
    assert again.status_code == 409
    assert client_for(cast["outsider"]).post(f"/meetings/{m.pk}/hearing/signup/").status_code == 403
    sp = HearingSpeaker.objects.get(meeting=m)
    clerk = client_for(cast["clerk"])
    services.meeting_open(meeting=m, by=cast["clerk"])
    assert (
        resident.post(
            f"/meetings/speakers/{sp.pk}/record/", {"summary": "s", "answer": "a"}
        ).status_code
        == 403
    )
    r = clerk.post(
        f"/meetings/speakers/{sp.pk}/record/", {"summary": "担心噪音", "answer": "夜间不施工"}
    )
    assert r.status_code == 302
    page = Client().get(f"/meetings/{m.pk}/").content.decode()
    assert "担心噪音" in page and "夜间不施工" in page


def test_api_exposes_speakers_and_signs_up(
    community: Community, cast: dict[str, Any], deciding: Project
) -> None:
    m = hearing(community, cast["clerk"], deciding)
    c = APIClient()
    c.force_authenticate(cast["resident"])
    r = c.post(f"/api/v1/meetings/{m.pk}/hearing/signup/", {"topic": "灯"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["speakers"][0]["topic"] == "灯"
    assert c.post(f"/api/v1/meetings/{m.pk}/hearing/signup/", {}, format="json").status_code == 409


def test_a_hearing_invites_the_proposer_and_followers_not_every_resident(
    deciding: Project, community: Community, cast: dict[str, Any], make_resident: Any
) -> None:
    follower = make_resident("follower")
    ps.project_follow(project=deciding, user=follower)
    bystanders = [make_resident(f"bystander{i}") for i in range(3)]
    m = hearing(community, cast["clerk"], deciding)
    invited = set(m.invitations.values_list("member_id", flat=True))
    assert invited >= {deciding.proposer_id, follower.pk}
    assert not invited & {b.pk for b in bystanders}
    # still open to every resident: a bystander signs up to speak and signs in
    services.hearing_signup(meeting=m, by=bystanders[0], topic="噪音")
    services.meeting_open(meeting=m, by=cast["clerk"])
    services.attendance_sign(meeting=m, by=bystanders[0])
    page = Client().get(f"/meetings/{m.pk}/").content.decode()
    assert "已签到 1 人" in page and "法定人数" not in page.split('id="agenda"')[0]


def test_a_member_who_left_the_council_is_not_invited(
    community: Community, cast: dict[str, Any], project_in: Any
) -> None:
    from projects.models import Membership, Role
    from tests.conftest import add_role, make_user

    former = make_user("former_council")
    add_role(former, community, Role.COUNCIL)
    Membership.objects.filter(user=former).update(ended_at=timezone.now())
    now = timezone.now()
    m = services.meeting_create(
        community=community,
        by=cast["clerk"],
        body=Body.COUNCIL,
        title="议事会会议",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        place="议事厅",
        items=[services.ItemSpec("讨论", project_in(State.DELIBERATING))],
    )
    invited = set(m.invitations.values_list("member_id", flat=True))
    assert cast["council"].pk in invited and former.pk not in invited


def test_the_hall_screen_counts_who_signed_in_to_a_hearing_without_a_quorum(
    community: Community, cast: dict[str, Any], deciding: Project
) -> None:
    m = hearing(community, cast["clerk"], deciding)
    services.meeting_open(meeting=m, by=cast["clerk"])
    services.hearing_signup(meeting=m, by=cast["resident"], topic="灯太亮")
    services.attendance_sign(meeting=m, by=cast["resident"])
    page = Client().get(f"/screen/{community.slug}/meeting/").content.decode()
    assert "照明改造听证会" in page
    assert "已签到 1 人" in page
    # residents are not members: no "present / total" and no quorum to reach
    assert "法定人数" not in page.split('data-field="quorum"')[1].split("</p>")[0]
    english = (
        Client()
        .get(f"/screen/{community.slug}/meeting/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "1 signed in" in english
