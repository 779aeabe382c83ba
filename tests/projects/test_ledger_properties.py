"""Property-based: random sequences of money and lifecycle operations, spread over the months of a
year, with the ledger's invariants checked after every step.

- available ≥ 0 and spent ≤ released ≤ allocated, for the fund and for every project;
- every balance equals the sum of its entries (SQL aggregate vs. Python over the rows), and the
  fund's balances equal an independent running model kept by the test;
- a closed project has allocated = released (unspent advance returned, holdback paid), a failed
  one allocated = released = spent; one without an allocation standing has nothing allocated;
- each month's CSV statement sums: opening + entries = month total + opening = closing, equal to
  the statement's (the page's) figures, and each month opens where the last one closed;
- a refused operation writes nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from notifications.texts import Text
from projects import ledger
from projects import services as ps
from projects.errors import Conflict, Invalid
from projects.models import (
    Community,
    EntryKind,
    LedgerEntry,
    Membership,
    Project,
    Role,
    State,
    Street,
)
from tests.projects.money_helpers import pdf_upload, png_upload, walk_to

pytestmark = pytest.mark.django_db

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("60000.00"), places=2)
SMALL = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9000.00"), places=2)
BAD_AMOUNTS = st.sampled_from(["0", "-1.00", "0.001", "12.345", "abc", "", "-0.01", "1e-3"])
PICK = st.integers(min_value=0, max_value=10_000)
_counter = itertools.count()
SEEN: Counter[str] = Counter()


def event(name: str) -> None:
    SEEN[name] += 1


CSV_BALANCES = [
    "appropriated",
    "allocated",
    "released",
    "spent",
    "available",
    "cofunded",
    "pledged",
]


def parse_csv(text: str) -> dict[str, Any]:
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    first = header.index("经费总额")
    cols = range(first, first + len(CSV_BALANCES))

    def figures(row: list[str]) -> dict[str, Decimal]:
        return {name: Decimal(row[c]) for name, c in zip(CSV_BALANCES, cols, strict=True)}

    return {
        "opening": figures(body[0]),
        "entries": [figures(r) for r in body[1:-2]],
        "ids": [int(r[2]) for r in body[1:-2]],
        "total": figures(body[-2]),
        "closing": figures(body[-1]),
        "labels": (body[0][0], body[-2][0], body[-1][0]),
    }


def _has(*states: str) -> Any:
    """Precondition: some project is in one of ``states`` (any project, if none given)."""
    return lambda machine: bool(machine._in(*states))


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.year = timezone.localdate().year
        self.clock = timezone.make_aware(datetime(self.year, 1, 5, 9, 0))
        self._patch = mock.patch("django.utils.timezone.now", side_effect=lambda: self.clock)
        self._patch.start()
        n = next(_counter)
        user = get_user_model()
        street = Street.objects.create(name=f"街道{n}")
        self.community = Community.objects.create(
            street=street,
            name=f"社区{n}",
            slug=f"c{n}",
            cosign_threshold=1,
            max_rectification_rounds=1,
        )
        self.cast = {
            r: user.objects.create_user(username=f"{r}{n}")
            for r in ("resident", "clerk", "council", "committee", "supervisor")
        }
        for r in ("resident", "clerk", "council", "committee"):
            Membership.objects.create(user=self.cast[r], role=r, community=self.community)
        Membership.objects.create(user=self.cast["supervisor"], role=Role.SUPERVISOR, street=street)
        self.fund = ledger.fund_create(
            community=self.community, year=self.year, by=self.cast["supervisor"], amount="100000.00"
        )
        self.states: dict[int, str] = {}  # project id → state, refreshed after each operation
        # an independent running model of the fund's balances
        self.model = {
            "appropriated": Decimal("100000.00"),
            "spent": Decimal("0"),
            "cofunded": Decimal("0"),
            "pledged": Decimal("0"),
        }

    def teardown(self) -> None:
        self._patch.stop()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers --------------------------------------------------------------------------
    def _in(self, *states: str) -> list[int]:
        return [pk for pk, st_ in self.states.items() if not states or st_ in states]

    def _project(self, pick: int, *states: str) -> Project | None:
        pks = sorted(self._in(*states))
        return (
            Project.objects.select_related("community").get(pk=pks[pick % len(pks)])
            if pks
            else None
        )

    def _track(self, p: Project) -> None:
        self.states[p.pk] = Project.objects.values_list("state", flat=True).get(pk=p.pk)

    def _refused(self, exc_type: type[Exception], call: Any) -> Exception:
        before = LedgerEntry.objects.count()
        with pytest.raises(exc_type) as info:
            call()
        assert LedgerEntry.objects.count() == before, "a refused operation wrote an entry"
        return info.value

    def _available(self) -> Decimal:
        return ledger.fund_balances(self.fund).available

    # --- rules ----------------------------------------------------------------------------
    @rule(days=st.integers(min_value=0, max_value=45))
    def time_passes(self, days: int) -> None:
        later = self.clock + timedelta(days=days, minutes=7)
        if later.year == self.year and later.month < 12:
            self.clock = later

    @rule(amount=AMOUNTS)
    def appropriate(self, amount: Decimal) -> None:
        ledger.appropriate(fund=self.fund, amount=amount, by=self.cast["supervisor"])
        self.model["appropriated"] += amount

    @rule(amount=AMOUNTS, start=st.booleans())
    def propose_and_approve(self, amount: Decimal, start: bool) -> None:
        p = ps.project_create(
            by=self.cast["resident"],
            community=self.community,
            title="公益项目测试",
            summary="一个用于性质测试的公益项目。",
        )
        p = walk_to(p, State.DECIDING, self.cast, amount=amount)
        p = self._approve(p, amount)
        if start and p.state == State.PUBLICIZING:
            self._track(walk_to(p, State.EXECUTING, self.cast))

    @precondition(_has(State.DECIDING))
    @rule(pick=PICK, amount=AMOUNTS)
    def approve_again(self, pick: int, amount: Decimal) -> None:
        p = self._project(pick, State.DECIDING)
        assert p is not None
        self._approve(p, amount)

    def _approve(self, p: Project, amount: Decimal) -> Project:
        if amount > self._available():
            self._refused(
                Invalid,
                lambda: ps.project_approve(project=p, by=self.cast["committee"], amount=amount),
            )
            p.refresh_from_db()
            assert p.state == State.DECIDING
            event("approval refused: fund exhausted")
        else:
            p = ps.project_approve(project=p, by=self.cast["committee"], amount=amount)
            assert ledger.project_balances(p).allocated == amount
        self._track(p)
        return p

    @precondition(_has(State.PUBLICIZING))
    @rule(pick=PICK)
    def start_execution(self, pick: int) -> None:
        p = self._project(pick, State.PUBLICIZING)
        assert p is not None
        self._track(walk_to(p, State.EXECUTING, self.cast))

    @precondition(_has(State.PUBLICIZING))
    @rule(pick=PICK)
    def objection_upheld(self, pick: int) -> None:
        p = self._project(pick, State.PUBLICIZING)
        assert p is not None
        Project.objects.filter(pk=p.pk).update(has_pending_objection=True)
        p = ps.project_uphold_objection(project=p, by=self.cast["committee"], reason="异议成立")
        # the hearing an upheld objection calls for, held before the committee decides again
        self._track(
            ps.project_hearing_held(
                project=p,
                by=self.cast["clerk"],
                note=Text("hearing.held", {"meeting": "听证会", "speakers": 0}),
            )
        )

    @precondition(_has(*ledger.EXPENDITURE_STATES))
    @rule(pick=PICK, amount=SMALL, pdf=st.booleans())
    def spend(self, pick: int, amount: Decimal, pdf: bool) -> None:
        self._spend(self._project(pick, *ledger.EXPENDITURE_STATES), amount, pdf)

    @precondition(_has())
    @rule(pick=PICK, amount=SMALL)
    def spend_on_any_project(self, pick: int, amount: Decimal) -> None:
        self._spend(self._project(pick), amount, False)

    def _spend(self, p: Project | None, amount: Decimal, pdf: bool) -> None:
        assert p is not None
        unspent = ledger.project_balances(p).unspent

        def call() -> Any:
            return ledger.expenditure_record(
                project=p,
                by=self.cast["clerk"],
                amount=amount,
                payee="施工单位",
                paid_on=timezone.localdate(),
                receipt=pdf_upload() if pdf else png_upload(),
            )

        if p.state not in ledger.EXPENDITURE_STATES:
            exc = self._refused(Conflict, call)
            assert isinstance(exc, Conflict) and exc.state == p.state
            event("expenditure refused: state")
        elif amount > unspent:
            self._refused(Invalid, call)
            event("expenditure refused: beyond release")
        else:
            call()
            self.model["spent"] += amount
            event("expenditure recorded")

    @rule(pick=PICK, bad=BAD_AMOUNTS)
    def bad_input_writes_nothing(self, pick: int, bad: str) -> None:
        p = self._project(pick, *ledger.SPENDING_STATES)
        if p is not None:
            self._refused(
                Invalid,
                lambda: ledger.expenditure_record(
                    project=p,
                    by=self.cast["clerk"],
                    amount=bad,
                    payee="x",
                    paid_on=timezone.localdate(),
                    receipt=png_upload(),
                ),
            )
        self._refused(
            Invalid,
            lambda: ledger.appropriate(fund=self.fund, amount=bad, by=self.cast["supervisor"]),
        )

    @precondition(_has(State.EXECUTING, State.RECTIFYING))
    @rule(pick=PICK)
    def deliver(self, pick: int) -> None:
        p = self._project(pick, State.EXECUTING, State.RECTIFYING)
        assert p is not None
        self._track(
            walk_to(p, State.EVALUATING, self.cast)
            if p.state == State.EXECUTING
            else ps.project_finish_rectification(project=p, by=self.cast["clerk"], report="已整改")
        )

    @precondition(_has(State.EVALUATING))
    @rule(pick=PICK, passed=st.booleans())
    def evaluate(self, pick: int, passed: bool) -> None:
        p = self._project(pick, State.EVALUATING)
        assert p is not None
        if passed:
            p = ps.project_pass_evaluation(project=p, by=self.cast["clerk"], reason="满意")
        elif p.rectification_count < self.community.max_rectification_rounds:
            p = ps.project_fail_evaluation(project=p, by=self.cast["clerk"], reason="不满意")
        else:
            p = ps.project_fail_final(project=p, by=self.cast["clerk"], reason="仍不满意")
        self._track(p)
        event(f"evaluation → {p.state}")

    @precondition(_has())
    @rule(
        pick=PICK,
        amount=SMALL,
        receipt=st.booleans(),
        in_kind=st.booleans(),
        who=st.sampled_from(["unit", "company", "resident"]),
    )
    def cofund(self, pick: int, amount: Decimal, receipt: bool, in_kind: bool, who: str) -> None:
        p = self._project(pick)
        assert p is not None
        kw = {
            "project": p,
            "by": self.cast["clerk"],
            "amount": amount,
            "contributor": "共建方",
            "contributor_kind": who,
            "in_kind": in_kind,
            "in_kind_description": "物资" if in_kind else "",
        }
        if p.state in ledger.NO_COFUNDING_STATES:
            self._refused(Conflict, lambda: ledger.cofund_pledge(**kw))
            event("co-funding refused: state")
            return
        if receipt:
            ledger.cofund_receive(**kw)
            self.model["cofunded"] += amount
        else:
            ledger.cofund_pledge(**kw)
            self.model["pledged"] += amount

    @rule(pick=PICK)
    def reverse(self, pick: int) -> None:
        kinds = list(ledger.REVERSIBLE_BY)
        pks = sorted(
            LedgerEntry.objects.filter(fund=self.fund, kind__in=kinds).values_list("pk", flat=True)
        )
        e = LedgerEntry.objects.select_related("fund__community", "project").get(
            pk=pks[pick % len(pks)]
        )
        who = self.cast["supervisor"] if e.kind == EntryKind.APPROPRIATION else self.cast["clerk"]
        if ledger.is_reversed(e) or (
            e.kind == EntryKind.APPROPRIATION and e.amount > self._available()
        ):
            self._refused(Conflict, lambda: ledger.entry_reverse(entry=e, by=who, reason="更正"))
            event("reversal refused")
            return
        ledger.entry_reverse(entry=e, by=who, reason="更正")
        event(f"reversed {e.kind}" + (f" of a {e.project.state} project" if e.project else ""))
        field_ = {
            EntryKind.APPROPRIATION: "appropriated",
            EntryKind.EXPENDITURE: "spent",
            EntryKind.COFUND_RECEIPT: "cofunded",
            EntryKind.COFUND_PLEDGE: "pledged",
        }[EntryKind(e.kind)]
        self.model[field_] -= e.amount

    @rule(pick=PICK)
    def statement_page_matches_csv(self, pick: int) -> None:
        from django.test import Client

        months = ledger.statement_months(self.community)
        month = months[pick % len(months)]
        event(f"statement page checked, {len(months)} month(s) of entries")
        client = Client()
        url = f"/communities/{self.community.slug}/statements/{month:%Y-%m}/"
        page = client.get(url)
        assert page.status_code == 200
        got = parse_csv(client.get(url, {"format": "csv"}).content.decode("utf-8-sig"))
        html = page.content.decode()
        for when in ("opening", "closing"):
            for name in CSV_BALANCES:
                assert f'data-figure="{when}-{name}" data-value="{got[when][name]}"' in html, (
                    when,
                    name,
                )

    # --- invariants -----------------------------------------------------------------------
    @invariant()
    def fund_invariants(self) -> None:
        b = ledger.fund_balances(self.fund)
        assert b.available >= 0
        assert ledger.ZERO <= b.spent <= b.released <= b.allocated
        rows = list(LedgerEntry.objects.filter(fund=self.fund).select_related("reverses"))
        assert ledger.sum_effects(rows) == b
        assert (b.appropriated, b.spent, b.cofunded, b.pledged) == (
            self.model["appropriated"],
            self.model["spent"],
            self.model["cofunded"],
            self.model["pledged"],
        )

    @invariant()
    def project_invariants(self) -> None:
        by_project = ledger.balances_by(
            LedgerEntry.objects.filter(project_id__in=list(self.states)), "project_id"
        )
        states = dict(Project.objects.filter(pk__in=list(self.states)).values_list("pk", "state"))
        assert states == self.states
        for pk, state in states.items():
            b = by_project.get(pk, ledger.Balances())
            assert ledger.ZERO <= b.spent <= b.released <= b.allocated, (state, b)
            if state == State.CLOSED:  # unspent advance returned, holdback paid
                assert b.allocated == b.released, (state, b)
            if state == State.FAILED:  # the unreleased holdback and the unspent advance returned
                assert b.allocated == b.released == b.spent, (state, b)
            if state in (State.DECIDING, State.DELIBERATING, State.DRAFT):
                assert b.allocated == 0, (state, b)
            if state in ledger.SPENDING_STATES or state == State.PUBLICIZING:
                assert b.allocated > 0, (state, b)

    @invariant()
    def statement_sums(self) -> None:
        month = date(self.clock.year, self.clock.month, 1)
        s = ledger.statement_build(community=self.community, month=month)
        got = parse_csv(ledger.statement_csv(s))
        assert got["labels"] == ("期初", "本月合计", "期末")
        assert got["ids"] == [ln.entry.pk for ln in s.lines]
        for name in CSV_BALANCES:
            total = sum((row[name] for row in got["entries"]), Decimal("0"))
            assert total == got["total"][name], name
            assert got["opening"][name] + total == got["closing"][name], name
            assert got["opening"][name] == getattr(s.opening, name)
            assert got["closing"][name] == getattr(s.closing, name)
        # this month's closing is where the ledger stands now; it opened where last month closed
        assert s.closing == ledger.fund_balances(self.fund)
        before = ledger.statement_build(
            community=self.community, month=ledger.previous_month(month)
        )
        assert before.closing == s.opening


def test_ledger_invariants_hold_under_random_operations(money_urls: None) -> None:
    SEEN.clear()
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=40,
            deadline=None,
            # The same sequences on every run: a random draw that never reached an evaluation
            # once failed CI's coverage check below for no fault of the code.
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # the random sequences reached money being spent and evaluations deciding the holdback
    assert SEEN["expenditure recorded"] > 0, SEEN
    assert sum(n for k, n in SEEN.items() if k.startswith("evaluation →")) > 0, SEEN
