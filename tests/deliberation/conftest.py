"""Fixtures of the vote tests (roll-call, evaluation secrecy and load, budget rounds, Pabulib)."""

from tests.deliberation.votes_support import make_round, project_in, vote_urls  # noqa: F401
