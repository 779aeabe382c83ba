from django.urls import path

from deliberation import execution_api as api

urlpatterns = [
    path(
        "projects/<int:pk>/milestones/",
        api.ProjectMilestones.as_view(),
        name="api-project-milestones",
    ),
    path(
        "projects/<int:pk>/milestones/revise/",
        api.ProjectMilestonesRevise.as_view(),
        name="api-project-milestones-revise",
    ),
    path("projects/<int:pk>/progress/", api.ProjectProgress.as_view(), name="api-project-progress"),
    path(
        "projects/<int:pk>/acceptance/",
        api.ProjectAcceptance.as_view(),
        name="api-project-acceptance",
    ),
    path(
        "projects/<int:pk>/acceptance/sign/",
        api.ProjectAcceptanceSign.as_view(),
        name="api-project-acceptance-sign",
    ),
    path(
        "projects/<int:pk>/acceptance/representatives/",
        api.ProjectAcceptanceRepresentatives.as_view(),
        name="api-project-acceptance-representatives",
    ),
]
