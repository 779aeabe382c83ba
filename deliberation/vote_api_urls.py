"""API for votes: committee roll-calls and budget ballots (included under ``api/v1/``)."""

from django.urls import path

from deliberation import vote_api

urlpatterns = [
    path(
        "projects/<int:pk>/decisions/",
        vote_api.ProjectDecisions.as_view(),
        name="api-project-decisions",
    ),
    path("decisions/<int:pk>/", vote_api.DecisionDetail.as_view(), name="api-decision"),
    path("decisions/<int:pk>/votes/", vote_api.DecisionVotes.as_view(), name="api-decision-votes"),
    path("decisions/<int:pk>/close/", vote_api.DecisionClose.as_view(), name="api-decision-close"),
    path("rounds/", vote_api.Rounds.as_view(), name="api-rounds"),
    path("rounds/<int:pk>/", vote_api.RoundDetail.as_view(), name="api-round"),
    path("rounds/<int:pk>/ballots/", vote_api.RoundBallots.as_view(), name="api-round-ballots"),
    path("rounds/<int:pk>/open/", vote_api.RoundOpen.as_view(), name="api-round-open"),
    path("rounds/<int:pk>/close/", vote_api.RoundClose.as_view(), name="api-round-close"),
    path("rounds/<int:pk>/results/", vote_api.RoundResults.as_view(), name="api-round-results"),
]
