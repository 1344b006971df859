from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    """Original units in the loop (四方联动): what a unit reports to a community, what a
    community tells a unit, the half-year feedback reports and the joint meetings."""

    name = "units"
    verbose_name = _("Original units")

    def ready(self):
        from .messages import hooks  # noqa: F401  (connects the receivers)

        # The units' questions to the reminders sweep (overdue action items and tasks).
        from .reminders import register_questions

        register_questions()

        from members.erasure import member_erasing

        from .feedback import services as feedback_services

        # Erasing a member takes their lines off the feedback reports.
        member_erasing.connect(feedback_services.erase_member, dispatch_uid="units.feedback.erase")
