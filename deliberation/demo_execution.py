"""Demo content for execution and acceptance (called once from ``seed_demo``): in 幸福里社区 the
project in execution gets its milestones (one of them late, the clerk warned by the clock) and
progress posts with photos; in 和平社区 the project in execution asks for acceptance and waits
for its second inspector's signature."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from deliberation import actions, execution
from projects.models import Membership, Milestone, Project, Role, State


def _photo(colour: str) -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(buf, "JPEG")
    return SimpleUploadedFile("photo.jpg", buf.getvalue(), content_type="image/jpeg")


def _late_milestone(late: Project) -> None:
    """Milestones for ``late`` (one past its date), two progress posts, the clerk's warning."""
    clerk = Membership.objects.filter(community=late.community, role=Role.CLERK).first()
    assert clerk is not None
    today = timezone.localdate()
    # Planned at assessment (before the work started); written here as the plan was.
    plan = [
        ("场地改造", today - timedelta(days=10), "30", today - timedelta(days=11)),
        ("厨房设备采购安装", today - timedelta(days=3), "40", None),
        ("试运营", today + timedelta(days=12), "30", None),
    ]
    stones = [
        Milestone.objects.create(
            project=late,
            position=i,
            name=name,
            planned_date=when,
            budget_share=Decimal(share),
            done_on=done,
        )
        for i, (name, when, share, done) in enumerate(plan)
    ]
    execution.progress_post(
        project=late,
        by=clerk.user,
        percent=35,
        body="活动中心一楼场地改造完成，水电已通。",
        contractor="幸福装饰工程有限公司",
        milestone=stones[0].pk,
        photos=[
            execution.PhotoInput(_photo("#8a8a8a"), "before"),
            execution.PhotoInput(_photo("#c9b18a"), "after"),
        ],
    )
    execution.progress_post(
        project=late,
        by=clerk.user,
        percent=45,
        body="厨房设备到货延迟，供应商承诺下周安装。",
        contractor="东方厨具供应公司",
        photos=[execution.PhotoInput(_photo("#a0522d"), "during")],
    )
    execution.execution_late_due()  # the clerk is warned of the late milestone


def _awaiting_acceptance(waiting: Project) -> None:
    """``waiting`` is finished, delivered, and signed by its first inspector only."""
    clerk = Membership.objects.filter(community=waiting.community, role=Role.CLERK).first()
    council = list(
        Membership.objects.filter(community=waiting.community, role=Role.COUNCIL).order_by("pk")
    )
    assert clerk is not None and council
    execution.progress_post(
        project=waiting, by=clerk.user, percent=100, body="助餐点已完工，设备调试完毕。"
    )
    p = actions.act(
        project=waiting,
        name="deliver",
        by=clerk.user,
        params={"report": "助餐点已完工，申请验收。"},
    )
    execution.acceptance_sign(project=p, by=council[0].user, passed=True)


def seed(stdout: Any) -> None:
    """A late milestone in 幸福里社区 and a project awaiting acceptance in 和平社区."""
    running = Project.objects.filter(state=State.EXECUTING).select_related("community")
    late = running.filter(community__slug="xingfuli").order_by("pk").first()
    waiting = running.filter(community__slug="heping").order_by("pk").first()
    if late is not None:
        _late_milestone(late)
    if waiting is not None:
        _awaiting_acceptance(waiting)
    stdout.write("execution demo: a late milestone, a project awaiting acceptance")
