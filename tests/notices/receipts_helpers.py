"""Notices for the receipts tests: sent through notices.services.send, so their receipts
are what sending writes. Built from the cast's attributes only (district_a, street_a,
branch_a...), so the district B twin of the cast (tests/branches/test_scope.py) builds
district B's."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notices import services
from notices.models import (
    Notice,
    NoticeAttachment,
    NoticeReceipt,
    NoticeState,
    ResponseKind,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_file(name="学习材料.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def send_notice(
    *,
    sender,
    audience,
    author=None,
    title="关于学习贯彻全会精神的通知",
    response=ResponseKind.CONFIRM,
    deadline: datetime.date | None = None,
    kinds=(),
) -> Notice:
    notice = Notice.objects.create(
        organization=sender,
        author=author,
        title=title,
        body="请各支部组织学习，并于截止日前确认。",
        response=response,
        deadline=deadline,
        branch_kinds=list(kinds),
    )
    notice.audience.set(audience)
    services.send(notice=notice, actor=author)
    notice.refresh_from_db()
    return notice


def receipt(notice, branch) -> NoticeReceipt:
    return NoticeReceipt.objects.get(notice_id=notice.original_id, branch=branch)


def forward_directly(notice, node, *, note="请本街道各支部认真学习。", deadline=None) -> Notice:
    """A forward as the forward service writes it, without going through its checks."""
    found = Notice.objects.filter(root=notice, organization=node).first()
    if found:
        return found
    forwarded = Notice.objects.create(
        organization=node,
        title=notice.title,
        body=note,
        body_html=f"<p>{note}</p>",
        response=notice.response,
        deadline=deadline or notice.deadline,
        forwarded_from=notice,
        root=notice,
        state=NoticeState.SENT,
        sent_at=timezone.now(),
    )
    forwarded.audience.set([node])
    return forwarded


def reply_directly(notice, branch, *, text="已组织全体党员学习。", with_file=True):
    """A branch's reply with one PDF, as the reply service writes it."""
    row = receipt(notice, branch)
    if row.replied_at is None:
        now = timezone.now()
        NoticeReceipt.objects.filter(pk=row.pk).update(
            reply=text, replied_at=now, confirmed_at=now, opened_at=now
        )
        if with_file:
            upload = pdf_file("学习记录.pdf")
            NoticeAttachment.objects.create(
                receipt=row,
                file=upload,
                original_name=upload.name,
                content_type="application/pdf",
                size=upload.size,
            )
    return row
