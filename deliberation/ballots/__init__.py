"""Budget ballots (预算投票): services, the live standings and the published results.

A committee member creates a round over shortlisted projects of one community (projects in
``deliberating`` or ``deciding`` with an assessed cost), with the fund's available amount as the
default budget and one of the rules of :mod:`deliberation.rules`, then opens it. Each eligible
resident casts one approval ballot; who voted and what was chosen are stored apart
(:class:`~deliberation.ballot_models.BallotParticipation` /
:class:`~deliberation.ballot_models.Ballot`). Closing the round computes the winners in exact
arithmetic with the round's rule and the published tie-break, stores a
:class:`~deliberation.ballot_models.RoundResult` (rule, tie-break, inputs hash, explanation), and
moves each winner that is still in ``deliberating`` on to ``deciding`` with its amount recorded.

Reproducing a result: :func:`inputs_canonical` is the exact text hashed into
``RoundResult.inputs_sha256``; :func:`round_to_election` gives the same inputs as a Pabulib file
(``manage.py pb_export``), which ``manage.py pb_outcome`` recomputes with the same rule.

What lives where:

- :mod:`.selectors` — which rounds a person sees, the shortlist, live standings, turnout;
- :mod:`.inputs` — parsing integers, times and a ballot's choice;
- :mod:`.services` — a round's life: create, open, close (winners move on to ``deciding``);
- :mod:`.casting` — casting a ballot, and the live tally published on commit;
- :mod:`.counting` — a round's ballots as the rule's input, the inputs hash, the tie-break;
- :mod:`.results` — a round as the API and pages publish it, with the explained result;
- :mod:`.pabulib_io` — a .pb election imported as a round, a closed round exported as one.

Callers keep using ``from deliberation import ballots; ballots.round_close(...)``: the names are
re-exported here.
"""

from deliberation.ballot_models import BudgetRule
from deliberation.ballots.casting import BallotReceipt, ballot_cast, ballot_seal
from deliberation.ballots.counting import TIE_BREAK, TIE_BREAK_CODE, compute, inputs_canonical
from deliberation.ballots.inputs import MAX_TITLE
from deliberation.ballots.pabulib_io import (
    PB_RULE_IN,
    PB_RULE_OUT,
    PbImportError,
    round_import,
    round_to_election,
)
from deliberation.ballots.results import (
    RULE_HELP,
    money_text,
    round_detail,
    round_results,
    round_summary,
)
from deliberation.ballots.selectors import (
    SHORTLIST_STATES,
    _profile,
    busy_project_ids,
    fund_available,
    has_voted,
    rounds_visible_to,
    shortlist_candidates,
    standings,
    turnout,
)
from deliberation.ballots.services import (
    round_can_close,
    round_close,
    round_create,
    round_open,
    rounds_close_due,
)

__all__ = [
    "MAX_TITLE",
    "PB_RULE_IN",
    "PB_RULE_OUT",
    "RULE_HELP",
    "SHORTLIST_STATES",
    "TIE_BREAK",
    "TIE_BREAK_CODE",
    "BallotReceipt",
    "BudgetRule",
    "PbImportError",
    "_profile",
    "ballot_cast",
    "ballot_seal",
    "busy_project_ids",
    "compute",
    "fund_available",
    "has_voted",
    "inputs_canonical",
    "money_text",
    "round_can_close",
    "round_close",
    "round_create",
    "round_detail",
    "round_import",
    "round_open",
    "round_results",
    "round_summary",
    "round_to_election",
    "rounds_close_due",
    "rounds_visible_to",
    "shortlist_candidates",
    "standings",
    "turnout",
]
