from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Organisational life and care")

    def ready(self):
        from django.db.models.signals import post_delete

        from accounts.stored_files import delete_file_of_row
        from members.erasure import member_erasing

        from . import erasure
        from .meetings.models import MeetingAttachment
        from .messaging import checks, hooks  # noqa: F401  (SMS start-up checks; saving queues a sweep)

        member_erasing.connect(erasure.erase_member, dispatch_uid="activities.erase_member")
        # A deleted attachment (or its meeting) takes its file out of the store.
        post_delete.connect(
            delete_file_of_row, sender=MeetingAttachment, dispatch_uid="activities.attachment_file"
        )
