"""Pages for votes: the committee roll-call and budget ballots (included by ``config/urls.py``)."""

from django.urls import path

from deliberation import ballot_views, decision_views

urlpatterns = [
    path("projects/<int:pk>/decisions/open/", decision_views.decision_open, name="decision-open"),
    path("decisions/<int:pk>/", decision_views.decision_detail, name="decision-detail"),
    path("decisions/<int:pk>/vote/", decision_views.decision_vote, name="decision-vote"),
    path("decisions/<int:pk>/close/", decision_views.decision_close, name="decision-close"),
    path("rounds/", ballot_views.round_list, name="round-list"),
    path("rounds/new/", ballot_views.round_create, name="round-create"),
    path("rounds/<int:pk>/", ballot_views.round_detail, name="round-detail"),
    path("rounds/<int:pk>/vote/", ballot_views.round_vote, name="round-vote"),
    path("rounds/<int:pk>/open/", ballot_views.round_open, name="round-open"),
    path("rounds/<int:pk>/close/", ballot_views.round_close, name="round-close"),
    path("rounds/<int:pk>/results/", ballot_views.round_results, name="round-results"),
    path("rounds/<int:pk>/export.pb", ballot_views.round_export, name="round-export"),
]
