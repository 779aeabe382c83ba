"""Deliberation services: co-signing, objections, committee roll-calls, evaluation rounds.

They decide when to fire a project's transitions (through ``projects.services``), and advance
the human workflow (``deliberation.workflow``).

The modules: ``cosigning`` (co-signs and objections), ``rollcall`` (the committee's
roll-call), ``evaluation`` (the public evaluation), ``base`` (what they share).
"""

from deliberation.services.base import (
    _lock,
    shuffle,
)
from deliberation.services.cosigning import (
    cosign_add,
    cosign_expire_due,
    objection_file,
    objection_resolve,
)
from deliberation.services.evaluation import (
    _CHOICES,
    _ballot_fields,
    _evaluation_outcome,
    _everyone_voted,
    _open_round_for_vote,
    _opened,
    _publish_tally_changed,
    _roll_of,
    current_round,
    evaluation_can_close,
    evaluation_close,
    evaluation_close_due,
    evaluation_open_round,
    evaluation_seal,
    evaluation_tally,
    evaluation_vote,
    household_has_voted,
)
from deliberation.services.rollcall import (
    RollCall,
    _hosting_checked,
    _lock_decision,
    decision_close,
    decision_move_to_meeting,
    decision_open,
    decision_tally,
    decision_vote,
)
from deliberation.tally import Tally

__all__ = [
    "_CHOICES",
    "RollCall",
    "Tally",
    "_ballot_fields",
    "_evaluation_outcome",
    "_everyone_voted",
    "_hosting_checked",
    "_lock",
    "_lock_decision",
    "_open_round_for_vote",
    "_opened",
    "_publish_tally_changed",
    "_roll_of",
    "cosign_add",
    "cosign_expire_due",
    "current_round",
    "decision_close",
    "decision_move_to_meeting",
    "decision_open",
    "decision_tally",
    "decision_vote",
    "evaluation_can_close",
    "evaluation_close",
    "evaluation_close_due",
    "evaluation_open_round",
    "evaluation_seal",
    "evaluation_tally",
    "evaluation_vote",
    "household_has_voted",
    "objection_file",
    "objection_resolve",
    "shuffle",
]
