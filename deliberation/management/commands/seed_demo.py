"""Build the demo street: two communities, grids, the named users, a fund each, projects
standing in every state, a budget round open for voting and one already counted, a project one
co-sign short of its threshold and a few tasks past their due date — all made through the
services, so each has its real audit trail. Where the story needs days to pass (a counted round,
an overdue task), time is moved with time-machine while seeding, never by editing rows.

Idempotent: a second run changes nothing. Refuses to run with DEBUG off unless ``--force``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts import demo as accounts_demo
from deliberation import actions, ballots, demo_execution, demo_lifecycle
from deliberation.demo_data import PROJECTS, ROUND_PROJECTS
from meetings import demo as meetings_demo
from projects import ledger
from projects.models import Community, Fund, Grid, Membership, Project, Role, State, Street
from projects.models.places import Place, PlaceKind
from residents import demo as residents_demo

PASSWORD = "yishi-demo"  # noqa: S105 - published demo password
STREET = "幸福街道"

HEARING = Decimal("200000.00")
# Targets seeded that many days ago, so their task is past its due date (5 days) today and shows
# on the supervisors' overdue list.
OVERDUE_DAYS = 9
OVERDUE_TARGETS = (State.SCREENING, State.DECIDING)
ORDER = [
    State.DRAFT,
    State.COLLECTING,
    State.SCREENING,
    State.ASSESSING,
    State.DELIBERATING,
    State.DECIDING,
    State.PUBLICIZING,
    State.EXECUTING,
    State.EVALUATING,
    State.CLOSED,
]


class Command(BaseCommand):
    help = "Load the demo street, communities, users (password yishi-demo) and projects in every state."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG is off: refusing to load demo data (use --force).")
        if Street.objects.filter(name=STREET).exists():
            self.stdout.write("Demo data already loaded; nothing to do.")
            return
        with transaction.atomic():
            self._seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded. Users: resident1-40, council1-5, committee1-7, clerk1-3, supervisor1; password {PASSWORD}"
            )
        )

    # --- people and places ----------------------------------------------------------------
    def _user(self, username: str, name: str) -> Any:
        user = get_user_model().objects.create_user(
            username=username, password=PASSWORD, first_name=name
        )
        return user

    def _seed(self) -> None:
        """The whole demo in order: places, people, funds, projects, rounds, each app's own."""
        street, a, b = self._places()
        self._residents(a, b)
        self._staff(a, b)
        supervisor = self._user("supervisor1", "街道监督员")
        Membership.objects.create(user=supervisor, role=Role.SUPERVISOR, place=street)
        self._funds(supervisor, a, b)
        self._projects(a, b)
        self._closed_round(b)
        self._open_round(a)
        accounts_demo.seed(self.stdout)
        meetings_demo.seed(self.stdout)
        demo_execution.seed(self.stdout)
        residents_demo.seed(self.stdout)

    def _places(self) -> tuple[Street, Community, Community]:
        """The city, district and street, and the street's two communities."""
        city = Place.objects.create(kind=PlaceKind.CITY, name="示范市")
        district = Place.objects.create(kind=PlaceKind.DISTRICT, name="示范区", parent=city)
        street = Street.objects.create(name=STREET, parent=district)
        # Projects over 200,000 yuan need a hearing (听证会) before the committee decides.
        a = Community.objects.create_under(
            street, name="幸福里社区", slug="xingfuli", cosign_threshold=10, hearing_amount=HEARING
        )
        b = Community.objects.create_under(
            street, name="和平社区", slug="heping", cosign_threshold=8, hearing_amount=HEARING
        )
        return street, a, b

    def _residents(self, a: Community, b: Community) -> None:
        """Three grids a community; residents 1-28 in ``a``, 29-40 in ``b``, two a household."""
        grids = {
            c.pk: [Grid.objects.create(community=c, name=f"第{i}网格") for i in (1, 2, 3)]
            for c in (a, b)
        }
        surnames = (
            "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
        )
        self.residents: dict[int, list[Any]] = {a.pk: [], b.pk: []}
        for i in range(1, 41):
            c = a if i <= 28 else b
            user = self._user(f"resident{i}", f"{surnames[i - 1]}居民")
            Membership.objects.create(
                user=user,
                role=Role.RESIDENT,
                community=c,
                grid=grids[c.pk][i % 3],
                household=f"{(i + 1) // 2}号户",
            )
            self.residents[c.pk].append(user)

    def _staff(self, a: Community, b: Community) -> None:
        """The council members, committee members and clerks of the two communities."""
        staff: dict[str, list[tuple[Community, str]]] = {}
        for i in range(1, 6):
            staff.setdefault("council", []).append((a if i <= 3 else b, f"council{i}"))
        for i in range(1, 8):
            staff.setdefault("committee", []).append((a if i <= 4 else b, f"committee{i}"))
        for i in range(1, 4):
            staff.setdefault("clerk", []).append((a if i <= 2 else b, f"clerk{i}"))
        names = {"council": "议事会成员", "committee": "党委委员", "clerk": "服务中心"}
        self.staff: dict[tuple[int, str], list[Any]] = {}
        for role, rows in staff.items():
            for c, username in rows:
                user = self._user(username, f"{names[role]}{username[-1]}")
                Membership.objects.create(user=user, role=role, community=c)
                self.staff.setdefault((c.pk, role), []).append(user)

    def _funds(self, supervisor: Any, a: Community, b: Community) -> None:
        """This year's fund of each community, appropriated by the street."""
        year = timezone.localdate().year
        for c, amount in ((a, "1200000.00"), (b, "1000000.00")):
            fund = Fund.objects.create(community=c, year=year, name=f"{c.name}{year}年公益事业经费")
            ledger.appropriate(
                fund=fund, amount=Decimal(amount), by=supervisor, memo="街道下达年度经费"
            )

    def _projects(self, a: Community, b: Community) -> None:
        """The projects of ``PROJECTS`` (the first three in ``b`` too), overdue ones back-dated."""
        for index, (title, summary, category, location, cost, target) in enumerate(PROJECTS):
            community = a if index < 12 or target == State.WITHDRAWN else b
            # The clerk's 初审 and the committee's decision in 幸福里社区 have waited too long.
            days = OVERDUE_DAYS if community == a and target in OVERDUE_TARGETS else 0
            with _days_ago(days):
                self._project(
                    community, index, title, summary, category, location, Decimal(cost), target
                )
        # A few in the second community too, so the street view has something to compare.
        for index, (title, summary, category, location, cost, target) in enumerate(PROJECTS[:3]):
            self._project(b, index + 3, title, summary, category, location, Decimal(cost), target)

    # --- budget rounds --------------------------------------------------------------------
    def _round_projects(
        self, c: Community, rows: list[tuple[str, str, str, str, str]]
    ) -> list[Project]:
        return [
            self._project(
                c, 20 + i, title, summary, category, location, Decimal(cost), State.DELIBERATING
            )
            for i, (title, summary, category, location, cost) in enumerate(rows)
        ]

    def _closed_round(self, c: Community) -> None:
        """和平社区 voted two weeks ago; the committee counted the round when it closed, so its
        results page explains each project and the winners went on to the committee's decision."""
        committee = self.staff[(c.pk, Role.COMMITTEE)][0]
        start = timezone.now() - timedelta(days=14)
        with time_travel(start):
            entries = self._round_projects(c, ROUND_PROJECTS[4:])
            rnd = ballots.round_create(
                community=c,
                by=committee,
                title=f"{c.name}{start.year}年度微实事预算投票",
                description="议事会推荐的四个项目，预算 20 万元，每户选出您支持的项目。",
                rule="greedy",
                budget="200000.00",
                closes_at=start + timedelta(days=7),
                project_ids=[p.pk for p in entries],
            )
            rnd = ballots.round_open(round=rnd, by=committee)
            # Each resident approves the projects they support (by position in ``entries``).
            picks = [(0, 1), (0, 2), (0,), (1, 3), (0, 1, 3), (2,), (0, 3), (1,), (0, 1), (2, 3)]
            for voter, pick in zip(self.residents[c.pk], picks, strict=False):
                ballots.ballot_cast(
                    round=rnd, by=voter, project_ids=[str(entries[i].pk) for i in pick]
                )
        with time_travel(start + timedelta(days=7, hours=1)):
            ballots.round_close(round=rnd, by=committee)

    def _open_round(self, c: Community) -> None:
        """幸福里社区's round is open for a few more days; some neighbours have voted already."""
        committee = self.staff[(c.pk, Role.COMMITTEE)][0]
        now = timezone.now()
        with time_travel(now - timedelta(days=2)):
            entries = self._round_projects(c, ROUND_PROJECTS[:4])
            rnd = ballots.round_create(
                community=c,
                by=committee,
                title=f"{c.name}{now.year}年度微实事预算投票",
                description="议事会推荐的四个项目，预算 25 万元，选出您支持的项目（可多选）。",
                rule="greedy",
                budget="250000.00",
                closes_at=now + timedelta(days=4),
                project_ids=[p.pk for p in entries],
            )
            rnd = ballots.round_open(round=rnd, by=committee)
            # resident1 has not voted yet: the demo's first resident can cast the ballot.
            picks = [(0, 1), (1, 2), (0, 3), (2,), (0, 1, 2)]
            for voter, pick in zip(self.residents[c.pk][1:], picks, strict=False):
                ballots.ballot_cast(
                    round=rnd, by=voter, project_ids=[str(entries[i].pk) for i in pick]
                )

    # --- projects -------------------------------------------------------------------------
    def _project(
        self,
        c: Community,
        index: int,
        title: str,
        summary: str,
        category: str,
        location: str,
        cost: Decimal,
        target: str,
    ) -> Project:
        """Create one project and take it through the services (and meetings) to ``target``."""
        cast = self._cast(c, index)
        proposal = demo_lifecycle.Proposal(title, summary, category, location, cost)
        p = demo_lifecycle.propose(cast, index, proposal, target)
        if target in demo_lifecycle.PROPOSAL_TARGETS:
            return p
        p = self._decide(cast, index, p, proposal, target)
        if target in (State.DECIDING, State.PUBLICIZING):
            return p
        return demo_lifecycle.complete(cast, p, target)

    def _cast(self, c: Community, index: int) -> demo_lifecycle.Cast:
        """The people of ``c`` in the project's life; its proposer chosen by ``index``."""
        residents = self.residents[c.pk]
        return demo_lifecycle.Cast(
            community=c,
            residents=residents,
            proposer=residents[index % len(residents)],
            clerk=self.staff[(c.pk, Role.CLERK)][0],
            council=self.staff[(c.pk, Role.COUNCIL)],
            committee=self.staff[(c.pk, Role.COMMITTEE)],
        )

    def _decide(
        self,
        cast: demo_lifecycle.Cast,
        index: int,
        p: Project,
        proposal: demo_lifecycle.Proposal,
        target: str,
    ) -> Project:
        """The council's meeting, a hearing if required, and (past DECIDING) the committee's."""
        title, members, committee = proposal.title, cast.council, cast.committee
        meetings_demo.council_meeting(
            project=p,
            secretary=cast.clerk,
            members=members,
            choices=["yes"] * (len(members) - 1) + ["abstain"],
            title=f"居民议事会会议：{title}",
            minutes=f"议事会成员 {len(members)} 人出席，达到法定人数。经讨论，建议党委批准实施。",
        )
        p.refresh_from_db()
        if actions.hearing_required(p):
            self._hearing(cast, index, p, title)
            p.refresh_from_db()
        if target == State.DECIDING:
            return p
        meetings_demo.committee_meeting(
            project=p,
            secretary=committee[0],
            members=committee,
            amount=proposal.cost,
            reason="按评估金额批准",
            title=f"社区党委会会议：{title}",
            minutes=f"党委委员 {len(committee)} 人出席，记名表决，全体赞成，按评估金额批准。",
        )
        p.refresh_from_db()
        return p

    def _hearing(self, cast: demo_lifecycle.Cast, index: int, p: Project, title: str) -> None:
        """The hearing (听证会): two residents speak, the clerk answers."""
        residents = cast.residents
        speakers = [
            (
                residents[(index + 3) % len(residents)],
                "施工期间的出行",
                "施工期间车辆和行人怎么走？老人出门不方便。",
                "分段施工，每段不超过两周，保留一侧通道，并在楼下张贴告示。",
            ),
            (
                residents[(index + 5) % len(residents)],
                "费用是否合理",
                "二十多万是不是太贵了，有没有比价？",
                "服务中心询价三家，评估成本取最低的合格报价，明细在项目页公示。",
            ),
        ]
        meetings_demo.hearing(
            project=p,
            secretary=cast.clerk,
            speakers=speakers,
            title=f"听证会：{title}",
            minutes=f"听证会就“{title}”听取居民意见，2 位居民发言，服务中心逐一答复。",
        )


def time_travel(when: datetime) -> Any:
    """Move the clock to ``when`` (ticking on) for the ``with`` block, with time-machine (a dev
    dependency, installed by ``make install``)."""
    try:
        import time_machine
    except ImportError as exc:  # pragma: no cover - the demo runs from the dev install
        raise CommandError("seed_demo needs time-machine: run `make install`.") from exc
    return time_machine.travel(when, tick=True)


@contextmanager
def _days_ago(days: int) -> Iterator[None]:
    if not days:
        yield
        return
    with time_travel(timezone.now() - timedelta(days=days)):
        yield
