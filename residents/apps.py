from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("居民身份")

    def ready(self) -> None:
        from residents import texts

        texts.register()
