from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("会议")

    def ready(self) -> None:
        from meetings import live, texts

        texts.register()
        live.register_snapshots()
