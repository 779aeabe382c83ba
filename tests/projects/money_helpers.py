"""Helpers for money tests (the full-cycle test uses ``assert_money``).

``assert_money(project, allocated=..., released=..., spent=..., available=...)`` checks the
project's derived balances (and its fund's ``available``) against the figures a person would
expect at that step, and on every call also checks the ledger's invariants: available ≥ 0,
0 ≤ spent ≤ released ≤ allocated, and every balance equal to the sum of its entries computed
independently in Python.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from projects import ledger
from projects import services as ps
from projects.models import Fund, LedgerEntry, Project, State

Amount = Decimal | str | int | None


def _d(value: Amount) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def check_invariants(project: Project | None = None, fund: Fund | None = None) -> None:
    """The ledger's invariants for ``project`` and/or ``fund``."""
    if project is not None:
        b = ledger.project_balances(project)
        assert ledger.ZERO <= b.spent <= b.released <= b.allocated, b
        entries = list(LedgerEntry.objects.filter(project=project).select_related("reverses"))
        assert ledger.sum_effects(entries) == b, (ledger.sum_effects(entries), b)
        fund = fund or ledger.current_fund(project)
    if fund is not None:
        fb = ledger.fund_balances(fund)
        assert fb.available >= 0, fb
        assert ledger.ZERO <= fb.spent <= fb.released <= fb.allocated, fb
        entries = list(LedgerEntry.objects.filter(fund=fund).select_related("reverses"))
        assert ledger.sum_effects(entries) == fb, (ledger.sum_effects(entries), fb)


def assert_money(
    project: Project,
    *,
    allocated: Amount = None,
    released: Amount = None,
    spent: Amount = None,
    available: Amount = None,
    cofunded: Amount = None,
    pledged: Amount = None,
) -> None:
    """Assert the given figures (``None`` = not checked) and the ledger's invariants."""
    b = ledger.project_balances(project)
    expected = {
        "allocated": _d(allocated),
        "released": _d(released),
        "spent": _d(spent),
        "cofunded": _d(cofunded),
        "pledged": _d(pledged),
    }
    actual = {k: getattr(b, k) for k, v in expected.items() if v is not None}
    assert actual == {k: v for k, v in expected.items() if v is not None}, actual
    fund = ledger.current_fund(project)
    if available is not None:
        assert fund is not None, "the project has no fund"
        assert ledger.fund_balances(fund).available == _d(available)
    check_invariants(project, fund)


# --- uploads ------------------------------------------------------------------------------
def png_upload(name: str = "receipt.png", size: tuple[int, int] = (8, 8)) -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def pdf_upload(name: str = "receipt.pdf") -> SimpleUploadedFile:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


# --- walking a project through its lifecycle with the real services ----------------------
FORWARD = [
    State.DRAFT,
    State.COLLECTING,
    State.SCREENING,
    State.ASSESSING,
    State.DELIBERATING,
    State.DECIDING,
    State.PUBLICIZING,
    State.EXECUTING,
    State.ACCEPTING,
    State.EVALUATING,
]


def step(project: Project, cast: dict[str, Any], *, amount: Amount = "10000.00") -> Project:
    """Move ``project`` one state forward along the happy path, as the right person."""
    s = project.state
    if s == State.DRAFT:
        return ps.project_submit(project=project, by=project.proposer)
    if s == State.COLLECTING:
        Project.objects.filter(pk=project.pk).update(
            cosign_count=project.community.cosign_threshold
        )
        return ps.project_reach_threshold(project=project)
    if s == State.SCREENING:
        return ps.project_accept(project=project, by=cast["clerk"])
    if s == State.ASSESSING:
        return ps.project_assess(
            project=project,
            by=cast["clerk"],
            assessed_cost=str(_d(amount)),
            plan="更换 24 盏 LED 灯",
            duration_days=10,
        )
    if s == State.DELIBERATING:
        from meetings.texts import item_result

        vote = item_result(
            body="council", meeting="议事会会议", matter="建议实施", outcome="carried",
            present=1, total=1, quorum=1, yes=1, no=0, abstain=0, recused=0,
        )  # fmt: skip
        return ps.project_recommend(project=project, by=cast["council"], note=vote)
    if s == State.DECIDING:
        return ps.project_approve(project=project, by=cast["committee"], amount=str(_d(amount)))
    if s == State.PUBLICIZING:
        Project.objects.filter(pk=project.pk).update(
            publicity_ends_at=timezone.now() - timedelta(seconds=1)
        )
        return ps.project_start_execution(project=project, by=cast["clerk"])
    if s in (State.EXECUTING,):
        return ps.project_deliver(project=project, by=cast["clerk"], report="已完工")
    if s == State.ACCEPTING:  # the inspectors' count, as its service fires it (no workflow)
        return ps.project_accepted(project=project)
    if s == State.RECTIFYING:
        return ps.project_finish_rectification(project=project, by=cast["clerk"], report="已整改")
    raise AssertionError(f"no step forward from {s}")


def walk_to(
    project: Project, state: str, cast: dict[str, Any], *, amount: Amount = "10000.00"
) -> Project:
    """Walk ``project`` forward with the real services until it is in ``state`` (one of the
    happy path's states, or ``closed`` / ``rectifying`` / ``failed`` / ``rejected``)."""
    if state == State.REJECTED:
        project = walk_to(project, State.SCREENING, cast)
        return ps.project_reject(project=project, by=cast["clerk"], reason="不属于公益事项")
    if state in (State.CLOSED, State.RECTIFYING, State.FAILED):
        project = walk_to(project, State.EVALUATING, cast, amount=amount)
        if state == State.CLOSED:
            return ps.project_pass_evaluation(
                project=project, by=cast["clerk"], reason="满意率 90%"
            )
        if state == State.RECTIFYING:
            return ps.project_fail_evaluation(
                project=project, by=cast["clerk"], reason="满意率 50%"
            )
        limit = project.community.max_rectification_rounds
        Project.objects.filter(pk=project.pk).update(rectification_count=limit)
        project.refresh_from_db()
        return ps.project_fail_final(project=project, by=cast["clerk"], reason="满意率 40%")
    target = FORWARD.index(State(state))
    while FORWARD.index(State(project.state)) < target:
        project = step(project, cast, amount=amount)
    assert project.state == state, project.state
    return project


def at(moment: datetime) -> Any:
    """Patch the clock (``timezone.now`` and so ``localdate``) to ``moment`` (naive = local)."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return mock.patch("django.utils.timezone.now", return_value=moment)
