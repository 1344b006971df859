"""Files kept with a meeting (minutes, photos, the signed sheet)."""

from django.db import transaction

from accounts import audit
from accounts.models import AuditAction

from ..models import Meeting, MeetingAttachment


def attachment_add(*, meeting: Meeting, upload, kind: str, content_type: str, actor, request=None):
    with transaction.atomic():
        attachment = MeetingAttachment(
            meeting=meeting,
            kind=kind,
            original_name=upload.name[-120:],
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
        audit.record(
            AuditAction.CREATE,
            attachment,
            actor=actor,
            request=request,
            after={"meeting": meeting.pk, "kind": kind, "size": upload.size},
        )
        return attachment
