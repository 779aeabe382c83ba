from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("社区与项目")

    def ready(self) -> None:
        from projects import texts

        texts.register()

        from projects.audit import reinstall_triggers_after_migrate

        # a migration that rebuilds a table (SQLite) drops its triggers: put them back
        post_migrate.connect(
            reinstall_triggers_after_migrate, sender=self, dispatch_uid="yishi_append_only"
        )
