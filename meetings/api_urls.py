from django.urls import path

from meetings import api

urlpatterns = [
    path("meetings/", api.MeetingList.as_view(), name="api-meetings"),
    path("meetings/<int:pk>/", api.MeetingDetail.as_view(), name="api-meeting"),
    path("meetings/<int:pk>/confirm/", api.MeetingConfirm.as_view(), name="api-meeting-confirm"),
    path("meetings/<int:pk>/open/", api.MeetingOpen.as_view(), name="api-meeting-open"),
    path("meetings/<int:pk>/close/", api.MeetingClose.as_view(), name="api-meeting-close"),
    path("meetings/<int:pk>/signin/", api.MeetingSignIn.as_view(), name="api-meeting-signin"),
    path("meetings/<int:pk>/minutes/", api.MeetingMinutes.as_view(), name="api-meeting-minutes"),
    path(
        "meetings/<int:pk>/minutes/objections/",
        api.MeetingMinutesObject.as_view(),
        name="api-meeting-minutes-object",
    ),
    path(
        "meetings/<int:pk>/minutes/publish/",
        api.MeetingMinutesPublish.as_view(),
        name="api-meeting-minutes-publish",
    ),
    path(
        "meetings/<int:pk>/hearing/signup/", api.HearingSignUp.as_view(), name="api-hearing-signup"
    ),
    path(
        "hearing-speakers/<int:pk>/record/", api.HearingRecord.as_view(), name="api-hearing-record"
    ),
    path("meeting-items/<int:pk>/votes/", api.ItemVoteView.as_view(), name="api-item-vote"),
    path(
        "meeting-items/<int:pk>/rollcall/", api.ItemRollCallView.as_view(), name="api-item-rollcall"
    ),
    path("meeting-items/<int:pk>/close/", api.ItemCloseView.as_view(), name="api-item-close"),
]
