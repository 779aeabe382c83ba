from django.urls import path

from meetings import views

urlpatterns = [
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/meeting.ics", views.meeting_ics, name="meeting-ics"),
    path("meetings/<int:pk>/confirm/", views.meeting_confirm, name="meeting-confirm"),
    path("meetings/<int:pk>/open/", views.meeting_open, name="meeting-open"),
    path("meetings/<int:pk>/close/", views.meeting_close, name="meeting-close"),
    path("meetings/<int:pk>/signin/", views.meeting_signin, name="meeting-signin"),
    path("meetings/items/<int:pk>/vote/", views.item_vote, name="meeting-item-vote"),
    path("meetings/items/<int:pk>/hands/", views.item_hands, name="meeting-item-hands"),
    path("meetings/items/<int:pk>/rollcall/", views.item_rollcall, name="meeting-item-rollcall"),
    path("meetings/items/<int:pk>/close/", views.item_close, name="meeting-item-close"),
    path("meetings/<int:pk>/minutes/", views.minutes_write, name="meeting-minutes"),
    path("meetings/<int:pk>/minutes/object/", views.minutes_object, name="meeting-minutes-object"),
    path(
        "meetings/<int:pk>/minutes/publish/", views.minutes_publish, name="meeting-minutes-publish"
    ),
    path("meetings/<int:pk>/hearing/signup/", views.hearing_signup, name="hearing-signup"),
    path("meetings/speakers/<int:pk>/record/", views.hearing_record, name="hearing-record"),
    path("screen/<slug:slug>/meeting/", views.screen_meeting, name="screen-meeting"),
    path(
        "screen/<slug:slug>/meeting/snapshot/",
        views.screen_meeting_snapshot,
        name="screen-meeting-snapshot",
    ),
]
