"""The demo notice: the first district's study notice with a PDF to its first street."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from notices.demo import ATTACHMENT_NAME, seed_notices
from notices.models import Notice, NoticeState

pytestmark = pytest.mark.django_db


def test_the_demo_sends_a_study_notice_with_a_real_pdf(cast):
    structure = SimpleNamespace(
        districts=[cast.district_a, cast.district_b], streets=[cast.street_a, cast.street_a2]
    )
    totals = seed_notices(
        structure=structure, author=cast.user("district_staff"), today=timezone.localdate()
    )
    notice = Notice.objects.get()
    assert (notice.organization, notice.state, notice.kind) == (
        cast.district_a,
        NoticeState.SENT,
        "study",
    )
    assert totals.receipts == notice.recipient_count == notice.receipts.count() == 2
    assert set(notice.receipts.values_list("branch", flat=True)) == {
        cast.branch_a.pk,
        cast.functional_a.pk,
    }
    attachment = notice.attachments.get()
    assert attachment.original_name == ATTACHMENT_NAME
    data = attachment.file.read()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    assert "<h2>有关要求</h2>" in notice.body_html
