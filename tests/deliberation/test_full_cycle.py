"""One proposal carried from draft to closed over HTTP, as the different users; and another
through a failed evaluation, rectification and a passing re-evaluation. Both check the audit trail."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from deliberation.models import EvaluationRound
from projects.models import Project, ProjectEvent
from tests.projects.money_helpers import assert_money


def api(user: Any) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def post(
    user: Any, url: str, data: dict[str, Any] | None = None, status: int = 200
) -> dict[str, Any]:
    r = api(user).post(url, data or {}, format="json")
    assert r.status_code == status, (url, r.status_code, r.content.decode())
    return r.json()


def t(pk: int, name: str) -> str:
    return f"/api/v1/projects/{pk}/transitions/{name}/"


def end_publicity(pk: int) -> None:
    Project.objects.filter(pk=pk).update(publicity_ends_at=timezone.now() - timedelta(seconds=1))


def close_evaluation(user: Any, pk: int) -> str:
    """The round's outcome comes from the count, never from a transition asked for by hand."""
    from deliberation.services import evaluation_close

    for name in ("pass_evaluation", "fail_evaluation", "fail_final"):
        assert api(user).post(t(pk, name), {}, format="json").status_code == 409
    return evaluation_close(project=Project.objects.get(pk=pk), by=user).state


def vote_evaluation(pk: int, voters: list[Any], choices: list[str]) -> None:
    for voter, choice in zip(voters, choices, strict=True):
        post(voter, f"/api/v1/projects/{pk}/evaluation/", {"choice": choice}, status=201)


def carry_to_executing(cast: dict[str, Any], residents: list[Any], amount: str) -> int:
    body = post(
        cast["resident"],
        "/api/v1/projects/",
        {
            "community": "xingfu",
            "title": "小区路灯改造",
            "summary": "东门到 5 号楼一段没有路灯，夜里很黑。",
        },
        status=201,
    )
    pk = body["id"]
    assert body["state"] == "draft"
    assert [a["name"] for a in body["allowed_transitions"]] == ["submit", "withdraw"]
    assert post(cast["resident"], t(pk, "submit"))["state"] == "collecting"
    for r in residents[:3]:
        body = post(r, f"/api/v1/projects/{pk}/cosign/", status=201)
    assert body["state"] == "screening"
    assert post(cast["clerk"], t(pk, "accept"))["state"] == "assessing"
    body = post(
        cast["clerk"],
        t(pk, "assess"),
        {"assessed_cost": amount, "plan": "安装 12 盏太阳能路灯", "duration_days": 20},
    )
    assert body["state"] == "deliberating" and body["assessed_cost"] == amount
    # nobody recommends by hand: the council meets, signs in and votes on the project
    assert api(cast["council"]).post(t(pk, "recommend"), {}, format="json").status_code == 409
    now = timezone.now()
    meeting = post(
        cast["council"],
        "/api/v1/meetings/",
        {
            "community": "xingfu",
            "body": "council",
            "title": "居民议事会会议",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "place": "议事厅",
            "items": [{"matter": "是否建议党委批准实施", "project": pk}],
        },
        status=201,
    )
    post(cast["council"], f"/api/v1/meetings/{meeting['id']}/open/")
    post(cast["council"], f"/api/v1/meetings/{meeting['id']}/signin/", {"how": "phone"})
    item = meeting["items"][0]["id"]
    post(cast["council"], f"/api/v1/meeting-items/{item}/votes/", {"choice": "yes"}, status=201)
    body = post(cast["council"], f"/api/v1/meeting-items/{item}/close/")
    assert body["items"][0]["outcome"] == "carried"
    assert api(cast["resident"]).get(f"/api/v1/projects/{pk}/").json()["state"] == "deciding"
    decision = post(
        cast["committee"],
        f"/api/v1/projects/{pk}/decisions/",
        {"motion": "approve", "amount": amount},
        status=201,
    )
    for key in ("committee", "committee2", "committee3"):
        post(cast[key], f"/api/v1/decisions/{decision['id']}/votes/", {"choice": "yes"}, status=201)
    post(cast["committee"], f"/api/v1/decisions/{decision['id']}/close/", {"minutes": "一致同意"})
    body = api(cast["resident"]).get(f"/api/v1/projects/{pk}/").json()
    assert body["state"] == "publicizing" and body["approved_amount"] == amount
    fund_total = Decimal("1000000.00")
    project = Project.objects.get(pk=pk)
    assert_money(
        project, allocated=amount, released=0, spent=0, available=fund_total - Decimal(amount)
    )
    # 公示 must run its course before work starts.
    r = api(cast["clerk"]).post(t(pk, "start_execution"), {}, format="json")
    assert r.status_code == 409
    end_publicity(pk)
    assert post(cast["clerk"], t(pk, "start_execution"))["state"] == "executing"
    advance = (Decimal(amount) * Decimal("0.7")).quantize(Decimal("0.01"))
    assert_money(project, allocated=amount, released=advance, spent=0)
    # The service center spends part of the advance, with a receipt; never more than released.
    spend(cast["clerk"], pk, str(advance + 1), status=400)
    spend(cast["clerk"], pk, str(advance - 1000))
    assert_money(project, allocated=amount, released=advance, spent=advance - 1000)
    assert (
        post(cast["clerk"], t(pk, "deliver"), {"report": "12 盏灯已安装，申请验收"})["state"]
        == "accepting"
    )
    # 验收: the council's inspector signs on the phone; the count opens the evaluation.
    r = api(cast["council"]).post(
        f"/api/v1/projects/{pk}/acceptance/sign/", {"passed": True}, format="json"
    )
    assert r.status_code == 201, r.content
    assert api(cast["resident"]).get(f"/api/v1/projects/{pk}/").json()["state"] == "evaluating"
    return pk


def receipt() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG")
    return SimpleUploadedFile("receipt.png", buf.getvalue(), content_type="image/png")


def spend(user: Any, pk: int, amount: str, status: int = 201) -> None:
    r = api(user).post(
        f"/api/v1/projects/{pk}/expenditures/",
        {
            "amount": amount,
            "payee": "某某照明工程公司",
            "paid_on": timezone.localdate().isoformat(),
            "receipt": receipt(),
        },
        format="multipart",
    )
    assert r.status_code == status, r.content


def audit(pk: int) -> list[tuple[str, str, str, str | None]]:
    rows = api(None).get(f"/api/v1/projects/{pk}/audit/").json()
    return [(r["action"], r["source"], r["target"], r["actor"]) for r in rows]


@pytest.mark.django_db
def test_proposal_walks_from_draft_to_closed_over_http(
    cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    residents = [make_resident() for _ in range(5)]
    pk = carry_to_executing(cast, residents, "36000.00")
    vote_evaluation(
        pk,
        [*residents[:4], cast["resident"]],
        ["satisfied", "satisfied", "basically_satisfied", "satisfied", "dissatisfied"],
    )
    # The outcome is never asked for by hand.
    assert api(cast["clerk"]).post(t(pk, "pass_evaluation"), {}, format="json").status_code == 409
    EvaluationRound.objects.filter(project_id=pk).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    project = Project.objects.get(pk=pk)
    spend(cast["clerk"], pk, "500.00")  # more work paid from the advance before closing
    assert_money(project, allocated="36000.00", released="25200.00", spent="24700.00")
    assert close_evaluation(cast["clerk"], pk) == "closed"
    # The unspent advance (500.00) went back; the vote paid the holdback (10,800.00).
    assert_money(
        project, allocated="35500.00", released="35500.00", spent="24700.00", available="964500.00"
    )
    # The service center pays the holdback on to the contractor (the final invoice, 尾款): no
    # more than it holds; then the project's account is square.
    spend(cast["clerk"], pk, "10800.01", status=400)
    spend(cast["clerk"], pk, "10800.00")
    assert_money(
        project, allocated="35500.00", released="35500.00", spent="35500.00", available="964500.00"
    )
    spend(cast["clerk"], pk, "0.01", status=400)

    assert audit(pk) == [
        ("create", "", "draft", "resident"),
        ("submit", "draft", "collecting", "resident"),
        ("reach_threshold", "collecting", "screening", None),
        ("accept", "screening", "assessing", "clerk"),
        ("assess", "assessing", "deliberating", "clerk"),
        ("meeting_vote", "", "", "council"),
        ("recommend", "deliberating", "deciding", "council"),
        ("approve", "deciding", "publicizing", "committee"),
        ("start_execution", "publicizing", "executing", "clerk"),
        ("deliver", "executing", "accepting", "clerk"),
        ("acceptance_sign", "", "", "council"),
        ("accepted", "accepting", "evaluating", None),
        ("pass_evaluation", "evaluating", "closed", "clerk"),
    ]
    events = ProjectEvent.objects.filter(project_id=pk)
    assert "满意 3" in events.get(action="pass_evaluation").note


@pytest.mark.django_db
def test_failed_evaluation_rectifies_then_passes(
    cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    residents = [make_resident() for _ in range(5)]
    pk = carry_to_executing(cast, residents, "20000.00")
    vote_evaluation(pk, residents[:3], ["dissatisfied", "dissatisfied", "satisfied"])
    EvaluationRound.objects.filter(project_id=pk).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    assert close_evaluation(cast["clerk"], pk) == "rectifying"
    project = Project.objects.get(pk=pk)
    # A failed evaluation keeps the holdback (30 %) held through rectification.
    assert_money(project, allocated="20000.00", released="14000.00", spent="13000.00")
    body = post(cast["clerk"], t(pk, "finish_rectification"), {"report": "更换了 3 盏亮度不足的灯"})
    assert body["state"] == "evaluating" and body["evaluation"]["round"] == 2
    # A second round: everyone may vote again, once.
    vote_evaluation(pk, residents[:5], ["satisfied"] * 4 + ["basically_satisfied"])
    r = api(residents[0]).post(
        f"/api/v1/projects/{pk}/evaluation/", {"choice": "satisfied"}, format="json"
    )
    assert r.status_code == 400
    EvaluationRound.objects.filter(project_id=pk, number=2).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    assert close_evaluation(cast["clerk"], pk) == "closed"
    # 1,000.00 of the advance unspent went back; the holdback (6,000.00) was paid.
    assert_money(
        project, allocated="19000.00", released="19000.00", spent="13000.00", available="981000.00"
    )

    actions = [a for a, *_ in audit(pk)]
    assert actions[-4:] == [
        "accepted",
        "fail_evaluation",
        "finish_rectification",
        "pass_evaluation",
    ]
    assert Project.objects.get(pk=pk).rectification_count == 1


@pytest.mark.django_db
def test_final_fail_returns_the_holdback_to_the_fund(
    cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    residents = [make_resident() for _ in range(5)]
    pk = carry_to_executing(cast, residents, "10000.00")
    project = Project.objects.get(pk=pk)
    # carry_to_executing spent 6,000.00 of the 7,000.00 advance
    for round_no in range(1, 4):
        vote_evaluation(pk, residents[:3], ["dissatisfied"] * 3)
        EvaluationRound.objects.filter(project_id=pk, number=round_no).update(
            closes_at=timezone.now() - timedelta(seconds=1)
        )
        if round_no < 3:
            assert close_evaluation(cast["clerk"], pk) == "rectifying"
            assert_money(project, allocated="10000.00", released="7000.00", spent="6000.00")
            post(cast["clerk"], t(pk, "finish_rectification"), {"report": f"第 {round_no} 次整改"})
    assert close_evaluation(cast["clerk"], pk) == "failed"
    # The holdback (3,000.00) never paid and the unspent advance (1,000.00) both go back.
    assert_money(
        project, allocated="6000.00", released="6000.00", spent="6000.00", available="994000.00"
    )
