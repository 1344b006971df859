"""The daily digest: one per recipient per day once their digest time has passed,
linking the open items it gathers; the sender delivers it."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import (
    OuterRef,
    Q,
    Subquery,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.formats import month_day

from .due import Secretaries, day_key, setting
from .models import (
    ITEM_KINDS,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderState,
)

# --- The daily digest ---------------------------------------------------------------------

DIGEST_LOOKBACK = datetime.timedelta(days=2)  # a late digest never carries old news


def build_digests(*, now: datetime.datetime | None = None, secretaries=None) -> int:
    """One digest per recipient per day, for those with an outbound channel whose digest
    time has passed today and who have items not yet in a digest. Items are linked to
    the digest in the same transaction that creates it, so the sender never sees a digest
    before its items; items that arrive after today's digest wait for tomorrow's.
    Four queries; returns the number of recipients with a new digest."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    chosen = (Q(use_email=True) | Q(use_webhook=True) | Q(use_sms=True) | Q(use_wecom=True)) & Q(
        digest_time__lte=local.time(), user__is_active=True
    )
    due_users = ReminderPreference.objects.filter(chosen).values("user_id")
    waiting = Reminder.objects.filter(
        kind__in=ITEM_KINDS,
        digest__isnull=True,
        resolved_at__isnull=True,  # done already: nothing to tell
        recipient_id__in=Subquery(due_users),
        created_at__lte=now,
        created_at__gt=now - DIGEST_LOOKBACK,
    )
    with transaction.atomic():
        users = sorted(set(waiting.values_list("recipient_id", flat=True)))
        if not users:
            return 0
        token = uuid.uuid4()
        secretaries = secretaries or Secretaries.load()
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Reminders for %(day)s") % {"day": month_day(today, today)}
        Reminder.objects.bulk_create(
            [
                Reminder(
                    kind=ReminderKind.DIGEST,
                    subject="digest",
                    recipient_id=user_id,
                    period=day_key(today),
                    area_path=secretaries.area_of(user_id),
                    title=title,
                    state=ReminderState.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                    claim_token=token,  # marks the digests made by this run
                )
                for user_id in users
            ],
            ignore_conflicts=True,
        )
        fresh = Reminder.objects.filter(
            kind=ReminderKind.DIGEST,
            recipient=OuterRef("recipient"),
            period=day_key(today),
            claim_token=token,
        ).values("pk")[:1]
        # Recipients whose digest for today already went out keep their new items for
        # tomorrow (the subquery finds no fresh digest and leaves them unlinked).
        waiting.filter(recipient_id__in=users).update(digest=Subquery(fresh))
        made = Reminder.objects.filter(kind=ReminderKind.DIGEST, claim_token=token).count()
    return made


# Section order and headings of the digest, in plain words.
DIGEST_SECTIONS = [
    (ReminderKind.NOTICE_UNCONFIRMED, gettext_noop("Notices waiting for your confirmation")),
    (ReminderKind.MEETING_UPCOMING, gettext_noop("Meetings coming up")),
    (ReminderKind.ATTENDANCE_MISSING, gettext_noop("Attendance to record")),
    (ReminderKind.CADENCE_AT_RISK, gettext_noop("Meetings still needed this period")),
    (ReminderKind.CARE_OVERDUE, gettext_noop("Care visits overdue")),
    (ReminderKind.FOLLOW_UP_PAST_DUE, gettext_noop("Follow-ups past due")),
    (ReminderKind.GREETING, gettext_noop("Birthdays and political birthdays")),
    (ReminderKind.TERM_ENDING, gettext_noop("Committee terms ending")),
    (ReminderKind.REGISTRATION_WAITING, gettext_noop("Registrations waiting")),
    (ReminderKind.NO_PARTICIPATION, gettext_noop("Members to call or visit")),
    (ReminderKind.UNIT_TASK_OVERDUE, gettext_noop("Tasks from original units overdue")),
    (ReminderKind.ACTION_ITEM_OVERDUE, gettext_noop("Joint meetings' action items overdue")),
]


@dataclass
class DigestSection:
    kind: str
    heading: str
    items: list[Reminder]


def digest_sections(items: Iterable[Reminder]) -> list[DigestSection]:
    by_kind = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)
    sections = []
    for kind, heading in DIGEST_SECTIONS:
        if by_kind.get(kind):
            rows = sorted(by_kind[kind], key=lambda r: (r.due_on or datetime.date.max, r.pk))
            sections.append(DigestSection(kind, _(heading), rows))
    return sections


def absolute(link: str) -> str:
    return f"{setting('SITE_URL')}{link}" if link else setting("SITE_URL")
