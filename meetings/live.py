"""The hall screen's meeting page, live: a small public snapshot of a community's current meeting
(the agenda item under discussion, attendance against quorum, the vote as it is cast, counts per
choice) and the ``meeting.live`` event that carries it.

Meeting services publish ``{"kind": "meeting.live", "meeting_id": …}`` to the community's screen
group on commit (``services._announce``: sign-in, vote, roll-call opened, item closed, meeting
opened / closed). Each process's hub answers it with :func:`meeting_event` (registered in
``MeetingsConfig.ready``, cached for a second like the evaluation tally), so every socket hears the
same public read. ``static/js/meeting_screen.js`` applies it in place, and re-reads
:func:`screen_snapshot` when the event is about another meeting (the current one may have changed).

Meeting votes are recorded, not secret: the counts per choice are shown as they are cast. Names
are not on the screen; they are on the meeting's page.
"""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone

from meetings import selectors, services
from meetings.models import AgendaItem, Meeting
from notifications import snapshots
from projects.models import Community

KIND = services.SCREEN_KIND


def current_item(items: list[AgendaItem]) -> AgendaItem | None:
    """The item under discussion: the first still to be decided, else the last decided."""
    pending = [i for i in items if i.is_open]
    if pending:
        return pending[0]
    return items[-1] if items else None


def _item_row(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "order": item.order,
        "matter": item.matter,
        "project_title": item.project.title if item.project_id and item.project else "",
        "outcome": item.outcome,
        "open": item.is_open,
    }


def meeting_state(meeting: Meeting) -> dict[str, Any]:
    """The public facts of one meeting that the screen shows."""
    quorum = services.meeting_quorum(meeting)
    items = list(meeting.items.select_related("project", "decision"))
    item = current_item(items)
    current = None
    if item is not None:
        tally = services.item_tally(item)
        current = _item_row(item) | {
            "present": tally.present,
            "yes": tally.yes,
            "no": tally.no,
            "abstain": tally.abstain,
            "recused": tally.recused,
            "quorum_needed": tally.quorum_needed,
            "rollcall": item.decision_id is not None,
        }
    return {
        "kind": KIND,
        "meeting_id": meeting.pk,
        "community": meeting.community.slug,
        "title": meeting.title,
        "body": meeting.body,
        "status": meeting.status,
        "starts_at": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
        "place": meeting.place or meeting.video_url,
        "quorum": {
            "present": quorum.present,
            "total": quorum.members_total,
            "needed": quorum.needed,
            "reached": quorum.reached,
        },
        "current": current,
        "items": [_item_row(i) for i in items],
    }


def meeting_event(meeting_id: int) -> dict[str, Any] | None:
    """The ``meeting.live`` event for one meeting (read by the hubs); ``None`` if it is gone."""
    meeting = Meeting.objects.select_related("community").filter(pk=meeting_id).first()
    return None if meeting is None else meeting_state(meeting)


def screen_snapshot(community: Community) -> dict[str, Any]:
    """What the screen page starts from (and re-reads): the current meeting's state, or none.
    ``as_of`` (Unix seconds) is when the read began."""
    as_of = time.time()
    meeting = selectors.current_meeting(community)
    return {
        "community": community.slug,
        "as_of": round(as_of, 6),
        "meeting": None if meeting is None else meeting_state(meeting),
    }


def register_snapshots() -> None:
    """Called by ``MeetingsConfig.ready``: ``meeting.live`` events are answered with the read."""
    snapshots.register(KIND, id_field="meeting_id", read=meeting_event)
