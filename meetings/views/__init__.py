"""Meeting pages: the list per community, convening, one meeting's page (agenda, invitations,
sign-in, attendance and quorum, votes, the secretary's show of hands, minutes), its ``.ics``
file and the hall screen's meeting page. Views parse input, call one service, render.

The modules: ``pages`` (the list, convening, a meeting's page and its ``.ics``), ``actions``
(what is done on a meeting's page), ``screen`` (the hall screen) and ``base`` (what they share).
"""

from meetings.views.actions import (
    hearing_record,
    hearing_signup,
    item_close,
    item_hands,
    item_rollcall,
    item_vote,
    meeting_close,
    meeting_confirm,
    meeting_open,
    meeting_signin,
    minutes_object,
    minutes_publish,
    minutes_write,
)
from meetings.views.pages import meeting_create, meeting_detail, meeting_ics, meeting_list
from meetings.views.screen import screen_meeting, screen_meeting_snapshot

__all__ = [
    "hearing_record",
    "hearing_signup",
    "item_close",
    "item_hands",
    "item_rollcall",
    "item_vote",
    "meeting_close",
    "meeting_confirm",
    "meeting_create",
    "meeting_detail",
    "meeting_ics",
    "meeting_list",
    "meeting_open",
    "meeting_signin",
    "minutes_object",
    "minutes_publish",
    "minutes_write",
    "screen_meeting",
    "screen_meeting_snapshot",
]
