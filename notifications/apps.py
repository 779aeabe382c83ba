from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from notifications.signals import remember_language_on_login

        user_logged_in.connect(remember_language_on_login, dispatch_uid="notifications-language")
