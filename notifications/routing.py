from django.urls import path

from notifications import consumers

websocket_urlpatterns = [
    path("ws/notifications/", consumers.UserConsumer.as_asgi()),
    path("ws/projects/<int:project_id>/", consumers.ProjectConsumer.as_asgi()),
    path("ws/screen/<slug:community>/", consumers.ScreenConsumer.as_asgi()),
]
