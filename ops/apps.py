from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running it for real: health checks, heartbeats, backups (no models of its own)."""

    name = "ops"
    default_auto_field = "django.db.models.BigAutoField"
