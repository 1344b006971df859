from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    """Original units in the loop (四方联动): what a unit reports to a community, what a
    community tells a unit, the half-year feedback reports and the joint meetings."""

    name = "units"
    verbose_name = _("Original units")

    def ready(self):
        from members.erasure import member_erasing

        from .events import services as events_services
        from .feedback import services as feedback_services
        from .messages import hooks  # noqa: F401  (connects the receivers)
        from .reminders import register_questions

        # The units' questions to the reminders sweep (overdue action items and tasks).
        register_questions()
        # Erasing a member takes their lines off the feedback reports and the events about
        # them (with the outcome messages naming them) away.
        member_erasing.connect(feedback_services.erase_member, dispatch_uid="units.feedback.erase")
        member_erasing.connect(events_services.erase_member, dispatch_uid="units.events.erase")
