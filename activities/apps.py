from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Organisational life and care")

    def ready(self):
        from . import reminder_hooks  # noqa: F401  (saving a meeting or visit queues a sweep)
