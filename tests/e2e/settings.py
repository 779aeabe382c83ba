"""Settings for the live servers the e2e and cross-process tests start: the project's own, with
the screen's URLs (see tests/notifications/urls.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.notifications.urls"
