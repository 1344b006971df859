"""seed_demo's receipts: two notices to the first district (one forwarded by its first
street), some opened, confirmed and replied, and a reminder round whose inbox items
reached the secretaries of branches still open."""

import pytest
from django.core.management import call_command

from activities.messaging.models import Reminder, ReminderKind
from notices.models import Notice, NoticeReceipt, NoticeReminder

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_receipts_a_forward_and_a_reminder_round(capsys):
    call_command("seed_demo", size="small", meeting_years=1)
    assert "Notice receipts: 2 notices" in capsys.readouterr().out
    # Besides the notices of the other demos (notices.demo, the study material).
    originals = Notice.objects.filter(
        root__isnull=True,
        title__in=[
            "关于组织学习党的二十届四中全会精神的通知",
            "关于报送第四季度主题党日开展情况的通知",
        ],
    )
    assert originals.count() == 2
    forward = Notice.objects.get(root__isnull=False)
    assert forward.organization.parent == forward.root.organization
    receipts = NoticeReceipt.objects.all()
    confirmed = receipts.filter(confirmed_at__isnull=False)
    assert 0 < confirmed.count() < receipts.count()
    assert receipts.filter(replied_at__isnull=False).exclude(reply="").exists()
    round_ = NoticeReminder.objects.get()
    assert (
        round_.branch_count
        == receipts.filter(notice=round_.notice, confirmed_at__isnull=True).count()
    )
    items = Reminder.objects.filter(kind=ReminderKind.NOTICE_UNCONFIRMED)
    assert items.exists()
    assert items.filter(
        recipient__username__in=["community", "branch", "functional", "street"]
    ).exists()
