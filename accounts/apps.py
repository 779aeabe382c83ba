from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账号")

    def ready(self) -> None:
        from accounts.privacy import NAME_PARAMS, shown_name
        from notifications.texts import register_formatter

        # names stored in the parameters of records (meeting votes, acceptance representatives)
        # read 已注销用户 once their account is closed
        for name in NAME_PARAMS:
            register_formatter(name, shown_name)
