"""Seed an open council meeting (or, with ``--body hearing``, a hearing) in a live server's
database (after ``tests.e2e.seed``): convened by the community's clerk, one agenda item; prints
one JSON line with the meeting, its item and API tokens for the council member, the clerk and the
first resident.

    python -m tests.e2e.seed_meeting --slug screen1 [--body hearing]
"""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slug", required=True)
    parser.add_argument("--body", default="council", choices=["council", "hearing"])
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from meetings import services
    from meetings.models import Body
    from projects.models import Community

    users = get_user_model().objects
    community = Community.objects.get(slug=args.slug)
    clerk = users.get(username=f"{args.slug}-clerk")
    council = users.get(username=f"{args.slug}-council")
    resident = users.get(username=f"{args.slug}-r0")
    hearing = args.body == Body.HEARING
    now = timezone.now()
    meeting = services.meeting_create(
        community=community,
        by=clerk,
        body=Body.HEARING if hearing else Body.COUNCIL,
        title="楼道照明改造听证会" if hearing else "居民议事会会议",
        starts_at=now,
        ends_at=now + timedelta(hours=2),
        place="议事厅",
        items=[
            services.ItemSpec(
                "听取居民对楼道照明改造的意见" if hearing else "是否建议党委批准楼道照明改造"
            )
        ],
    )
    services.meeting_open(meeting=meeting, by=clerk)
    tokens = {
        "council": Token.objects.get_or_create(user=council)[0].key,
        "clerk": Token.objects.get_or_create(user=clerk)[0].key,
        "resident": Token.objects.get_or_create(user=resident)[0].key,
    }
    print(json.dumps({"meeting_id": meeting.pk, "item_id": meeting.items.get().pk, **tokens}))


if __name__ == "__main__":
    main()
