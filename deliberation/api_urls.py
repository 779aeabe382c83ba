from django.urls import path

from deliberation import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("projects/", api.ProjectListCreate.as_view(), name="api-projects"),
    path("projects/<int:pk>/", api.ProjectDetail.as_view(), name="api-project"),
    path(
        "projects/<int:pk>/transitions/<slug:name>/",
        api.ProjectTransition.as_view(),
        name="api-project-transition",
    ),
    path("projects/<int:pk>/cosign/", api.ProjectCosign.as_view(), name="api-project-cosign"),
    path(
        "projects/<int:pk>/evaluation/",
        api.ProjectEvaluation.as_view(),
        name="api-project-evaluation",
    ),
    path("projects/<int:pk>/audit/", api.ProjectAudit.as_view(), name="api-project-audit"),
]
