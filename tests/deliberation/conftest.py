"""Fixtures of the vote tests (roll-call, evaluation secrecy and load, budget rounds, Pabulib)."""

from tests.deliberation.votes_support import (  # noqa: F401
    make_round,
    project_in,
    roll_voter,
    spare_residents,
    vote_urls,
)
