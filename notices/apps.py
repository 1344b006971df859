from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices and study materials")

    def ready(self):
        from django.db.models.signals import post_delete

        from accounts.stored_files import delete_file_of_row

        from .models import NoticeAttachment

        post_delete.connect(
            delete_file_of_row, sender=NoticeAttachment, dispatch_uid="notices.attachment_file"
        )
