"""The city's shape (districts, titles, the path of each state, who acts, sizes at a scale) and
the context of one run of ``seed``."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from projects.models import (
    Community,
    Fund,
    Project,
    Role,
    State,
)
from projects.models.money import ContributorKind

TZ = ZoneInfo("Asia/Shanghai")
CITY = "筑城市"
DISTRICTS = [
    "云岩区",
    "南明区",
    "花溪区",
    "乌当区",
    "白云区",
    "观山湖区",
    "清镇区",
    "修文区",
    "开阳区",
    "息烽区",
]
CATEGORIES = [c for c, _label in Project.Category.choices]
TITLES = {
    "lighting": "楼道声控灯更换",
    "roads": "小区道路修补",
    "elderly": "老年食堂助餐",
    "fitness": "健身器材更新",
    "drainage": "雨污管网疏通",
    "greening": "楼间绿地改造",
    "safety": "消防通道整治",
    "children": "儿童活动室",
    "other": "公共空间改造",
}
# Where a project ends (past years) and where it may stand (the current year), with weights.
FINAL: list[tuple[str, int]] = [
    (State.CLOSED, 70),
    (State.FAILED, 3),
    (State.REJECTED, 10),
    (State.LAPSED, 10),
    (State.WITHDRAWN, 7),
]
ANY: list[tuple[str, int]] = [
    *FINAL,
    *[(s, 6) for s in State.values if s not in {f for f, _w in FINAL}],
]
# The happy path: (action, source, target), up to evaluation (after acceptance).
PATH = [
    ("create", "", State.DRAFT),
    ("submit", State.DRAFT, State.COLLECTING),
    ("reach_threshold", State.COLLECTING, State.SCREENING),
    ("accept", State.SCREENING, State.ASSESSING),
    ("assess", State.ASSESSING, State.DELIBERATING),
    ("recommend", State.DELIBERATING, State.DECIDING),
    ("approve", State.DECIDING, State.PUBLICIZING),
    ("start_execution", State.PUBLICIZING, State.EXECUTING),
    ("deliver", State.EXECUTING, State.ACCEPTING),
    ("accepted", State.ACCEPTING, State.EVALUATING),
]
ORDER = [target for _a, _s, target in PATH]
ACTOR = {
    "create": Role.RESIDENT,
    "submit": Role.RESIDENT,
    "withdraw": Role.RESIDENT,
    "reach_threshold": None,
    "expire": None,
    "accept": Role.CLERK,
    "reject": Role.CLERK,
    "assess": Role.CLERK,
    "recommend": Role.COUNCIL,
    "approve": Role.COMMITTEE,
    "start_execution": Role.CLERK,
    "deliver": Role.CLERK,
    "accepted": None,
    "pass_evaluation": None,
    "fail_evaluation": None,
    "fail_final": None,
    "finish_rectification": Role.CLERK,
}
STAFF: dict[str, int] = {Role.COUNCIL: 5, Role.COMMITTEE: 7, Role.CLERK: 2}
PAYEES = [
    "筑城建设工程有限公司",
    "黔中市政维修队",
    "安居物业服务中心",
    "绿源园林公司",
    "康乐养老服务社",
]
UNITS = [
    ("驻区单位：市第二人民医院", ContributorKind.UNIT),
    ("黔南电力公司", ContributorKind.COMPANY),
]
UNUSABLE = "!"  # no password: seeded people cannot log in
CHOICES = ["satisfied", "basically_satisfied", "dissatisfied"]
# The city's communities ask 10 % of their residents to evaluate (the default is 20 %): with
# ~3,200 residents a community, a round needs ~330 ballots, and the ~2,900 closed rounds of
# three years hold about a million ballots (at 20 % they held 1.95 M).
MIN_TURNOUT = Decimal("0.100")


@dataclass
class Sizes:
    communities: int
    districts: int
    projects_per_year: int
    residents: int
    ledger_per_year: int
    ballots: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        return cls(
            communities=max(4, round(93 * scale)),
            districts=max(2, round(10 * scale)),
            projects_per_year=max(2 * len(State.values), round(1241 * scale)),
            residents=max(200, round(300_000 * scale)),
            ledger_per_year=max(200, round(100_000 * scale)),
            ballots=max(500, round(1_000_000 * scale)),
        )


@dataclass
class Report:
    phases: list[tuple[str, float, int]] = field(default_factory=list)

    def timed(self, name: str, fn: Callable[[], int], out: Callable[[str], None]) -> None:
        started = time.perf_counter()
        n = fn()
        elapsed = time.perf_counter() - started
        self.phases.append((name, elapsed, n))
        out(f"{name:<24} {n:>10,} rows {elapsed:7.1f} s")


# --- the city --------------------------------------------------------------------------------
@dataclass
class Ctx:
    sizes: Sizes
    rng: random.Random
    now: datetime
    years: list[int]
    communities: list[Community] = field(default_factory=list)
    residents: dict[int, list[int]] = field(default_factory=dict)  # community -> user ids
    staff: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    funds: dict[tuple[int, int], Fund] = field(default_factory=dict)
    projects: list[Project] = field(default_factory=list)
    stories: dict[int, list[tuple[str, str, str, datetime]]] = field(default_factory=dict)


def _actor(ctx: Ctx, project: Project, action: str) -> int | None:
    role = ACTOR[action]
    if role is None:
        return None
    if role == Role.RESIDENT:
        return project.proposer_id
    return ctx.rng.choice(ctx.staff[(project.community_id, role)])
