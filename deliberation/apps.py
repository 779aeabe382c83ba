from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("议事与表决")

    def ready(self) -> None:
        from deliberation.screen import register_snapshots

        register_snapshots()
        from deliberation import texts

        texts.register()
