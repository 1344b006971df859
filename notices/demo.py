"""Demo notices for seed_demo: the first district sends a study notice with a PDF to its
first street, a few of whose branches have opened and confirmed it.

Written straight to the tables as the other demos are (demo data leaves no audit rows:
nobody did it); the receipts are those sending would write (services.audience_branches).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone

from .models import Notice, NoticeAttachment, NoticeKind, NoticeReceipt, NoticeState, ResponseKind
from .services import audience_branches
from .text import render

TITLE = "关于开展“学思想、强党性”主题党日学习的通知"
BODY = """各街道、社区离退休干部党支部：

为深入学习贯彻党的二十届三中全会精神，请各支部在本月主题党日组织党员集中学习附件材料，\
行动不便的党员由支部安排**送学上门**。

## 有关要求
- 学习后请在平台点击“确认收到”；
- 学习情况纳入本季度组织生活台账。

区委老干部局
"""
ATTACHMENT_NAME = "主题党日学习材料.pdf"


@dataclass
class NoticeTotals:
    notices: int = 0
    receipts: int = 0


def study_pdf() -> bytes:
    """A one-page PDF in Chinese (WeasyPrint with the CJK fonts the exports use)."""
    from weasyprint import HTML

    html = (
        '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\', sans-serif">'
        "<h1>主题党日学习材料</h1><p>一、学习党的二十届三中全会精神要点。</p>"
        "<p>二、结合离退休干部实际，谈体会、提建议。</p></body></html>"
    )
    return HTML(string=html).write_pdf()


def seed_notices(*, structure, author, today: datetime.date) -> NoticeTotals:
    district = structure.districts[0]
    street = next(s for s in structure.streets if s.parent_id == district.pk)
    now = timezone.now()
    notice = Notice.objects.create(
        organization=district,
        author=author,
        kind=NoticeKind.STUDY,
        title=TITLE,
        body=BODY,
        body_html=render(BODY),
        response=ResponseKind.CONFIRM,
        deadline=today + datetime.timedelta(days=3),
        state=NoticeState.SENT,
        sent_at=now,
        created_at=now,
    )
    notice.audience.set([street])
    data = study_pdf()
    attachment = NoticeAttachment(
        notice=notice,
        original_name=ATTACHMENT_NAME,
        content_type="application/pdf",
        size=len(data),
        uploaded_by=author,
    )
    attachment.file.save(ATTACHMENT_NAME, ContentFile(data), save=False)
    attachment.save()
    rows = list(audience_branches(notice, on=today).values_list("pk", "organization__path"))
    receipts = [NoticeReceipt(notice=notice, branch_id=pk, path=path) for pk, path in rows]
    # The first few branches have read it, one of them has confirmed.
    for index, receipt in enumerate(receipts[:3]):
        receipt.opened_at = now
        if index == 0:
            receipt.confirmed_at = now
    NoticeReceipt.objects.bulk_create(receipts)
    notice.recipient_count = len(receipts)
    notice.save(update_fields=["recipient_count"])
    return NoticeTotals(notices=1, receipts=len(receipts))
