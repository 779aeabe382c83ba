from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signin/", views.signin, name="signin"),
    path("signin/code/", views.staff_code, name="staff-code"),
    path("reset/", views.reset, name="reset"),
    path("data/", views.my_data, name="my-data"),
    path("data/download/", views.my_data_download, name="my-data-download"),
    path("close/", views.close_account, name="close"),
]
