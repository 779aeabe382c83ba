from django.urls import path

from deliberation import execution_views as views

urlpatterns = [
    path("projects/<int:pk>/milestones/", views.milestones_plan, name="milestones-plan"),
    path("projects/<int:pk>/milestones/revise/", views.milestones_revise, name="milestones-revise"),
    path("projects/<int:pk>/progress/", views.progress_post, name="progress-post"),
    path("projects/<int:pk>/acceptance/sign/", views.acceptance_sign, name="acceptance-sign"),
    path(
        "projects/<int:pk>/acceptance/representatives/",
        views.acceptance_representatives,
        name="acceptance-representatives",
    ),
]
