from django.urls import path

from deliberation import follow_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.project_list, name="project-list"),
    path("projects/new/", views.project_create, name="project-create"),
    path("projects/<int:pk>/", views.project_detail, name="project-detail"),
    path("projects/<int:pk>/act/<slug:name>/", views.project_act, name="project-act"),
    path("projects/<int:pk>/cosign/", views.project_cosign, name="project-cosign"),
    path("projects/<int:pk>/evaluate/", views.project_evaluate, name="project-evaluate"),
    path("projects/<int:pk>/evaluation/close/", views.evaluation_close, name="evaluation-close"),
    path("projects/<int:pk>/objections/", views.objection_file, name="objection-file"),
    path("objections/<int:pk>/resolve/", views.objection_resolve, name="objection-resolve"),
    path("projects/<int:pk>/comments/", views.comment_add, name="comment-add"),
    path("inbox/", views.inbox, name="inbox"),
    path("projects/<int:pk>/follow/", follow_views.project_follow, name="project-follow"),
    path("projects/<int:pk>/unfollow/", follow_views.project_unfollow, name="project-unfollow"),
]
