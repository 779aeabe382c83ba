"""Meeting services: one function per change (convene, confirm, open, sign in, vote, enter a
show of hands, close an item, close the meeting, write / object to / publish the minutes, sign
up to speak at a hearing and record it). Each checks who may, changes, writes the audit rows
(``ProjectEvent`` on each agenda project) and publishes on commit, in one transaction.

Closing a council meeting's agenda item whose project is in 议事会协商 fires the project's
``recommend`` through ``deliberation.actions`` when the vote carries: the council's
recommendation comes from the meeting's recorded vote, never from one person's text.

The modules: ``base`` (who is who, quorum, audit rows, announcements), ``convening``
(convene, confirm, open, close, sign in), ``votes`` (item votes, show of hands, closing an item,
the committee's roll-call), ``minutes`` and ``hearings``.
"""

from meetings.services.base import (
    BODY_ROLE,
    MAX_ITEMS,
    MAX_OBJECTION_DAYS,
    SCREEN_KIND,
    ItemSpec,
    Quorum,
    _announce,
    body_members,
    is_member,
    may_convene,
    meeting_quorum,
    quorum_of,
)
from meetings.services.convening import (
    attendance_sign,
    meeting_close,
    meeting_confirm,
    meeting_create,
    meeting_open,
)
from meetings.services.hearings import hearing_record, hearing_signup
from meetings.services.minutes import minutes_object, minutes_publish, minutes_write
from meetings.services.votes import (
    RECUSE,
    ROLLCALL_OUTCOME,
    ItemTally,
    awaits_rollcall,
    item_close,
    item_enter_hands,
    item_open_rollcall,
    item_tally,
    item_vote,
)

__all__ = [
    "BODY_ROLE",
    "MAX_ITEMS",
    "MAX_OBJECTION_DAYS",
    "RECUSE",
    "ROLLCALL_OUTCOME",
    "SCREEN_KIND",
    "ItemSpec",
    "ItemTally",
    "Quorum",
    "_announce",
    "attendance_sign",
    "awaits_rollcall",
    "body_members",
    "hearing_record",
    "hearing_signup",
    "is_member",
    "item_close",
    "item_enter_hands",
    "item_open_rollcall",
    "item_tally",
    "item_vote",
    "may_convene",
    "meeting_close",
    "meeting_confirm",
    "meeting_create",
    "meeting_open",
    "meeting_quorum",
    "minutes_object",
    "minutes_publish",
    "minutes_write",
    "quorum_of",
]
