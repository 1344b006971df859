from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Organisational life and care")

    def ready(self):
        from members.erasure import member_erasing

        from . import erasure
        from .messaging import hooks  # noqa: F401  (saving a meeting or visit queues a sweep)

        member_erasing.connect(erasure.erase_member, dispatch_uid="activities.erase_member")
