"""The sender: claim with a conditional UPDATE, deliver each channel once, retry with
backoff, end FAILED with the reason, and take back rows whose worker died."""

import datetime
import email

import pytest
from django.utils import timezone

from activities.messaging import channels, sweep
from activities.messaging import sender as reminder_sender
from activities.messaging.channels import DeliveryError, LoggingSmsBackend
from activities.messaging.models import (
    DeliveryState,
    Reminder,
    ReminderDelivery,
    ReminderKind,
    ReminderState,
)

from .conftest import NOW, TODAY, days, plan, prefer

pytestmark = pytest.mark.django_db


@pytest.fixture
def digest(cast, secretaries):
    """Today's digest of the community secretary, by e-mail, not yet sent."""
    prefer(secretaries[0])
    plan(branch=cast.branch_a, on=TODAY + days(1), topic="学习党章")
    sweep.sweep(now=NOW)
    return Reminder.objects.get(kind=ReminderKind.DIGEST, recipient=secretaries[0])


def test_a_digest_goes_out_by_email_with_text_html_and_a_chinese_subject(digest, mailoutbox):
    result = reminder_sender.send_due()
    assert (result.claimed, result.sent, result.deliveries) == (1, 1, 1)
    [mail] = mailoutbox
    assert mail.to == ["community_secretary@example.cn"]
    assert mail.subject == "【党建工作提醒】3月18日每日提醒：共2项待办"
    assert "学习党章" in mail.body
    assert mail.alternatives[0].mimetype == "text/html"
    parsed = email.message_from_bytes(mail.message().as_bytes())
    assert parsed["Message-ID"] == f"<reminder-{digest.pk}-email@portal.localhost>"
    assert "=?utf-8?" in parsed["Subject"].lower()  # encoded for the wire
    digest.refresh_from_db()
    assert (digest.state, digest.attempts, digest.last_error) == (ReminderState.SENT, 1, "")
    delivery = ReminderDelivery.objects.get(reminder=digest)
    assert (delivery.channel, delivery.state, delivery.key) == (
        "email",
        DeliveryState.DELIVERED,
        f"reminder-{digest.pk}-email",
    )
    assert reminder_sender.send_due().claimed == 0  # nothing left: never sent twice


def test_a_transient_failure_retries_with_exponential_backoff(digest, monkeypatch, mailoutbox):
    def down(**kwargs):
        raise DeliveryError("mail server unreachable: refused")

    monkeypatch.setattr(reminder_sender, "send_email", down)
    waits = []
    for attempt in range(1, 4):
        before = timezone.now()
        reminder_sender.send_due(now=timezone.now() + datetime.timedelta(days=attempt))
        digest.refresh_from_db()
        assert (digest.state, digest.attempts) == (ReminderState.PENDING, attempt)
        waits.append(round((digest.next_attempt_at - before).total_seconds() / 60))
    assert waits == [1, 2, 4]  # minutes: 60 s x 2^(attempt-1)
    assert digest.last_error == "mail server unreachable: refused"
    monkeypatch.undo()
    reminder_sender.send_due(now=timezone.now() + datetime.timedelta(days=9))
    digest.refresh_from_db()
    assert digest.state == ReminderState.SENT and len(mailoutbox) == 1


def test_it_gives_up_after_the_last_attempt_and_says_why(digest, monkeypatch, settings):
    settings.REMINDER_MAX_ATTEMPTS = 3
    monkeypatch.setattr(
        reminder_sender, "send_email", lambda **kw: (_ for _ in ()).throw(DeliveryError("timeout"))
    )
    for attempt in range(1, 5):
        reminder_sender.send_due(now=timezone.now() + datetime.timedelta(days=attempt))
    digest.refresh_from_db()
    assert (digest.state, digest.attempts) == (ReminderState.FAILED, 3)
    assert digest.last_error == "已尝试3次，不再重试：timeout"


def test_a_permanent_failure_ends_failed_at_once_with_the_reason(digest, monkeypatch):
    def refused(**kwargs):
        raise DeliveryError("address refused: x@example.cn", permanent=True)

    monkeypatch.setattr(reminder_sender, "send_email", refused)
    result = reminder_sender.send_due()
    digest.refresh_from_db()
    assert result.failed == 1
    assert (digest.state, digest.attempts) == (ReminderState.FAILED, 1)
    assert digest.last_error == "address refused: x@example.cn"
    assert ReminderDelivery.objects.get(reminder=digest).state == DeliveryState.FAILED


def test_a_channel_already_delivered_is_not_sent_again_when_another_is_retried(
    digest, secretaries, monkeypatch, mailoutbox
):
    prefer(secretaries[0], use_sms=True, phone="13900001234")
    monkeypatch.setattr(
        channels.LoggingSmsBackend,
        "send",
        lambda self, **kw: (_ for _ in ()).throw(DeliveryError("SMS gateway busy")),
    )
    reminder_sender.send_due()
    digest.refresh_from_db()
    assert digest.state == ReminderState.PENDING and len(mailoutbox) == 1
    monkeypatch.undo()
    reminder_sender.send_due(now=timezone.now() + datetime.timedelta(hours=1))
    digest.refresh_from_db()
    assert digest.state == ReminderState.SENT
    assert len(mailoutbox) == 1  # the e-mail went once
    assert [s["key"] for s in LoggingSmsBackend.outbox] == [f"reminder-{digest.pk}-sms"]


def test_a_row_left_sending_by_a_dead_worker_is_taken_back_after_its_lease(
    digest, mailoutbox, settings
):
    # A worker claimed it, wrote the delivery row, and died before the send returned.
    _token, claimed = reminder_sender.claim()
    assert [r.pk for r in claimed] == [digest.pk]
    ReminderDelivery.objects.create(
        reminder=digest, channel="email", key=reminder_sender.delivery_key(digest.pk, "email")
    )
    assert reminder_sender.send_due().claimed == 0  # still leased: nobody touches it
    later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    result = reminder_sender.send_due(now=later)
    assert (result.claimed, result.sent) == (1, 1)
    [mail] = mailoutbox  # sent again with the key of the lost attempt
    assert mail.extra_headers["Message-ID"] == f"<reminder-{digest.pk}-email@portal.localhost>"
    digest.refresh_from_db()
    delivery = ReminderDelivery.objects.get(reminder=digest)
    assert (digest.state, digest.attempts) == (ReminderState.SENT, 2)
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 2)


def test_a_delivery_made_before_a_crash_is_never_repeated(digest, mailoutbox, settings):
    reminder_sender.claim()
    ReminderDelivery.objects.create(
        reminder=digest,
        channel="email",
        key=reminder_sender.delivery_key(digest.pk, "email"),
        state=DeliveryState.DELIVERED,
    )
    later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    reminder_sender.send_due(now=later)
    digest.refresh_from_db()
    assert digest.state == ReminderState.SENT and mailoutbox == []


def test_a_sender_whose_lease_was_taken_over_lets_go(digest, mailoutbox, settings):
    token, claimed = reminder_sender.claim()
    later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    other_token, other = reminder_sender.claim(now=later)  # the lease ran out
    assert [r.pk for r in other] == [digest.pk]
    result = reminder_sender.send_claimed(token, claimed)  # the slow first holder wakes up
    assert (result.lost_claim, result.deliveries) == (1, 0)
    assert mailoutbox == []
    reminder_sender.send_claimed(other_token, other)
    assert len(mailoutbox) == 1


def test_a_meeting_notice_goes_to_the_member_by_sms(cast, settings):
    settings.REMINDER_MEETING_SMS_TO_MEMBERS = True
    cast.member_a.phone = "13812345678"
    cast.member_a.save()
    plan(branch=cast.branch_a, on=TODAY + days(1), topic="支部党员大会")
    sweep.sweep(now=NOW)
    reminder_sender.send_due()
    # Both members of branch_a with a phone (the bedridden one too: the secretary
    # decides about a home visit); nobody of branch_b.
    sent = {s["phone"]: s["text"] for s in LoggingSmsBackend.outbox}
    assert set(sent) == {"13812345678", "13900001111"}
    assert sent["13812345678"].startswith(
        "【党支部】赵德明同志：翠园社区离退休干部党支部定于3月19日"
    )
    assert set(
        Reminder.objects.filter(kind=ReminderKind.MEETING_NOTICE).values_list("state", flat=True)
    ) == {ReminderState.SENT}


def test_a_member_without_a_phone_is_a_permanent_failure(cast, settings):
    settings.REMINDER_MEETING_SMS_TO_MEMBERS = True
    notice = Reminder.objects.create(
        kind=ReminderKind.MEETING_NOTICE,
        subject="meeting:0",
        member=cast.member_a_unregistered,
        period="2026-03-19",
        title="通知",
    )
    reminder_sender.send_due()
    notice.refresh_from_db()
    assert (notice.state, notice.last_error) == (ReminderState.FAILED, "没有手机号码")
