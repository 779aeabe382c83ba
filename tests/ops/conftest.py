from tests.deliberation.votes_support import project_in  # noqa: F401
