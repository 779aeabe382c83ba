"""Money API, mounted by config.urls under ``api/v1/``."""

from django.urls import path

from projects import api

urlpatterns = [
    path("funds/", api.FundList.as_view(), name="api-funds"),
    path("funds/<int:pk>/", api.FundDetail.as_view(), name="api-fund"),
    path("funds/<int:pk>/entries/", api.FundEntries.as_view(), name="api-fund-entries"),
    path(
        "funds/<int:pk>/appropriations/",
        api.FundAppropriation.as_view(),
        name="api-fund-appropriations",
    ),
    path("funds/<int:pk>/carry-over/", api.FundCarryOver.as_view(), name="api-fund-carry-over"),
    path("projects/<int:pk>/money/", api.ProjectMoney.as_view(), name="api-project-money"),
    path(
        "projects/<int:pk>/expenditures/",
        api.ProjectExpenditures.as_view(),
        name="api-project-expenditures",
    ),
    path(
        "projects/<int:pk>/cofunding/", api.ProjectCofunding.as_view(), name="api-project-cofunding"
    ),
    path("entries/<int:pk>/reverse/", api.EntryReverse.as_view(), name="api-entry-reverse"),
    path(
        "communities/<int:pk>/statements/",
        api.CommunityStatements.as_view(),
        name="api-community-statements",
    ),
    path(
        "communities/<int:pk>/statements/<str:month>/",
        api.CommunityStatement.as_view(),
        name="api-community-statement",
    ),
    path(
        "streets/<int:pk>/statements/<str:month>/",
        api.StreetStatement.as_view(),
        name="api-street-statement",
    ),
]
