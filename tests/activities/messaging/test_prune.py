"""Pruning: read or resolved items and sent or failed outbound rows older than
REMINDER_PRUNE_AFTER_DAYS go (with their deliveries), in bounded batches; unread open
items and anything waiting to be sent or being sent stay. Daily on the beat."""

import datetime
import io

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from activities.messaging import writes
from activities.messaging.models import (
    Channel,
    DeliveryState,
    Reminder,
    ReminderDelivery,
    ReminderKind,
    ReminderState,
)

pytestmark = pytest.mark.django_db

OLD = timezone.now() - datetime.timedelta(days=200)
RECENT = timezone.now() - datetime.timedelta(days=20)


def make(name, *, user, kind=ReminderKind.CARE_OVERDUE, created=OLD, **fields):
    fields.setdefault("state", ReminderState.SENT)
    row = Reminder.objects.create(
        kind=kind,
        subject=name,
        recipient=user,
        period="2025-W30",
        title=name,
        created_at=created,
        **fields,
    )
    return row


@pytest.fixture
def rows(cast):
    user = cast.user("community_secretary")
    now = timezone.now()
    digest_sent = make("digest-sent", user=user, kind=ReminderKind.DIGEST)
    ReminderDelivery.objects.create(
        reminder=digest_sent,
        channel=Channel.EMAIL,
        key=f"reminder-{digest_sent.pk}-email",
        state=DeliveryState.DELIVERED,
    )
    return {
        "read": make("read", user=user, read_at=now, digest=digest_sent),
        "resolved": make("resolved", user=user, resolved_at=now),
        "unread-open": make("unread-open", user=user),
        "recent-read": make("recent-read", user=user, read_at=now, created=RECENT),
        "digest-sent": digest_sent,
        "digest-failed": make(
            "digest-failed", user=user, kind=ReminderKind.DIGEST, state=ReminderState.FAILED
        ),
        "digest-pending": make(
            "digest-pending", user=user, kind=ReminderKind.DIGEST, state=ReminderState.PENDING
        ),
        "digest-sending": make(
            "digest-sending", user=user, kind=ReminderKind.DIGEST, state=ReminderState.SENDING
        ),
        "notice-sent": Reminder.objects.create(
            kind=ReminderKind.MEETING_NOTICE,
            subject="meeting:1",
            member=cast.member_a,
            period="2025-07-01",
            title="notice",
            state=ReminderState.SENT,
            created_at=OLD,
        ),
    }


def left():
    return set(Reminder.objects.values_list("subject", flat=True))


def test_the_command_deletes_old_finished_rows_and_prints_counts(rows):
    out = io.StringIO()
    call_command("prune_reminders", stdout=out)
    assert left() == {"unread-open", "recent-read", "digest-pending", "digest-sending"}
    assert not ReminderDelivery.objects.exists()
    assert out.getvalue().strip() == "pruned items: 2, outbound: 3, deliveries: 1 (2 batches)"
    entry = AuditEntry.objects.get(action=AuditAction.DELETE, object_type="activities.reminder")
    assert entry.changes["after"] == {"items": 2, "outbound": 3, "deliveries": 1}
    # Nothing more to do: no second audit entry.
    call_command("prune_reminders", stdout=io.StringIO())
    assert AuditEntry.objects.filter(object_type="activities.reminder").count() == 1


def test_the_age_is_a_setting_and_an_option(rows, settings):
    settings.REMINDER_PRUNE_AFTER_DAYS = 365
    assert str(writes.prune()).startswith("pruned items: 0, outbound: 0")
    call_command("prune_reminders", "--days", "10", stdout=io.StringIO())
    assert left() == {"unread-open", "digest-pending", "digest-sending"}


def test_batches_are_bounded(rows):
    result = writes.prune(batch=1, max_batches=2)
    assert (result.items, result.outbound, result.batches) == (2, 0, 2)
    assert {"read", "resolved"}.isdisjoint(left()) and "digest-sent" in left()
    result = writes.prune(batch=1)
    assert (result.items, result.outbound, result.batches) == (0, 3, 3)


def test_a_retried_failed_digest_is_not_pruned(rows):
    failed = rows["digest-failed"]
    assert writes.retry_failed(reminder=failed)
    writes.prune()
    assert Reminder.objects.get(pk=failed.pk).state == ReminderState.PENDING


def test_the_beat_runs_the_prune_daily():
    from celery.schedules import crontab

    from activities import tasks
    from retiree_party.celery import app

    entry = django_settings.CELERY_BEAT_SCHEDULE["reminders-prune"]
    assert entry["task"] == "activities.prune_reminders" == tasks.prune_reminders.name
    assert entry["task"] in app.tasks
    assert isinstance(entry["schedule"], crontab) and entry["schedule"].hour == {3}
