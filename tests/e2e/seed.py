"""Seed a live server's database through the services: a community with a project in its first
evaluation round and ``--voters`` residents with API tokens. Prints one JSON line.

    python -m tests.e2e.seed --slug screen1 --voters 5
"""

from __future__ import annotations

import argparse
import json
import os

PASSWORD = "e2e-pw"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slug", required=True)
    parser.add_argument("--voters", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from deliberation.actions import create as project_create
    from projects import ledger
    from projects.models import Community, Fund, Membership, Role, Street
    from tests.notifications.walk import to_evaluation

    users = get_user_model().objects
    slug = args.slug

    def person(name: str, role: str, community: Community, household: str = "") -> object:
        user = users.create_user(username=f"{slug}-{name}", password=PASSWORD)
        Membership.objects.create(user=user, role=role, community=community, household=household)
        return user

    with transaction.atomic():
        street = Street.objects.create(name=f"{slug} 街道")
        community = Community.objects.create(
            parent=street,
            name=f"{slug} 社区",
            slug=slug,
            cosign_threshold=1,
            tally_step=2,  # the live tests see ballots sealed and published two at a time
        )
        residents = [
            person(f"r{i}", Role.RESIDENT, community, household=f"H{i}") for i in range(args.voters)
        ]
        clerk = person("clerk", Role.CLERK, community)
        council = person("council", Role.COUNCIL, community)
        committee = [person(f"committee{i}", Role.COMMITTEE, community) for i in range(3)]
        supervisor = users.create_user(username=f"{slug}-supervisor")
        Membership.objects.create(user=supervisor, role=Role.SUPERVISOR, place=street)
        fund = Fund.objects.create(community=community, year=timezone.localdate().year)
        ledger.appropriate(fund=fund, amount=Decimal("1000000.00"), by=supervisor)
        project = project_create(
            by=residents[0],
            community=community,
            title="楼道照明改造",
            summary="3号楼楼道灯坏了半年，晚上老人上下楼很危险。",
            submit=True,
        )
    project = to_evaluation(
        project, cosigners=residents[1:2], clerk=clerk, council=council, committee=committee
    )
    collecting = project_create(
        by=residents[0],
        community=community,
        title="单元门禁维修",
        summary="2号楼单元门禁坏了一个月，外来人员随意进出。",
        submit=True,
    )
    tokens = [Token.objects.create(user=r).key for r in residents]  # type: ignore[misc]
    out = {
        "slug": slug,
        "project_id": project.pk,
        "collecting_id": collecting.pk,
        "tokens": tokens,
        "usernames": [r.username for r in residents],  # type: ignore[attr-defined]
        "password": PASSWORD,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
