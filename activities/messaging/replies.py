"""What comes back from the SMS provider: delivery receipts (状态报告) and members'
replies to meeting notices (上行短信), by callback (sms_views.py) or polling (`poll`).

Receipts name the provider's id for the message (Tencent's SerialNo, Alibaba's BizId);
a receipt for an id we never sent, or for another number than the one we sent to, is
ignored. The first final receipt stands: a callback delivered twice, or polled after the
callback, changes nothing (idempotent).

A reply is matched by the keyed hash of its number to the latest meeting notice sent to
that number: that notice's member and meeting. "1" will come; "2" cannot come, and
whatever follows is the reason. The provider's id for the reply (or, for Tencent, the
number, time and text) is its unique key: the same reply twice is recorded once. The
secretary sees the answers on the meeting's page, and turns a decline with a reason into
请假 (excused) in one tap once the meeting is recorded (`declines_excuse`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from activities.meetings.models import AttendanceStatus, Meeting, MeetingStatus
from activities.meetings.services import errors, recording
from members.masking import mask_phone

from . import sms
from .models import (
    Channel,
    ReceiptState,
    ReminderDelivery,
    ReminderKind,
    ReplyAnswer,
    SmsReply,
)

logger = logging.getLogger("portal.reminders")
# A family contact's text is the member's notice too: its receipt and their answer count.
TEXT_CHANNELS = (Channel.SMS, Channel.FAMILY)


# --- Receipts -----------------------------------------------------------------------------


def record_receipts(provider: str, receipts: list[sms.Receipt]) -> int:
    """Mark each delivery named by a receipt delivered or undelivered. Two queries
    whatever the number of receipts (load, one bulk UPDATE); returns how many changed."""
    ids = {r.provider_id for r in receipts if r.provider_id}
    keys = {r.key for r in receipts if r.key}
    if not ids:
        return 0
    found = {}
    for d in ReminderDelivery.objects.filter(
        Q(provider_id__in=ids) | Q(key__in=keys), provider=provider, channel__in=TEXT_CHANNELS
    ).only("pk", "key", "provider_id", "phone_hash", "receipt"):
        found[d.provider_id] = found[d.key] = d
    changed = {}
    for receipt in receipts:
        # By the provider's id; by our key for a message found on a retry (sms.find).
        delivery = found.get(receipt.provider_id) or found.get(receipt.key)
        if delivery is None:
            logger.info("SMS receipt for an unknown message (%s), ignored", provider)
            continue
        if delivery.receipt not in ("", ReceiptState.WAITING):
            continue  # the first final receipt stands
        # A real receipt names the number it went to (a forged one would have to guess).
        if receipt.phone and sms.phone_hash(receipt.phone) != delivery.phone_hash:
            logger.warning(
                "SMS receipt for %s names another number (%s), ignored",
                receipt.provider_id,
                mask_phone(sms.national_number(receipt.phone)),
            )
            continue
        delivery.provider_id = receipt.provider_id[:64]
        delivery.receipt = ReceiptState.DELIVERED if receipt.delivered else ReceiptState.UNDELIVERED
        delivery.receipt_reason = sms.mask_numbers(receipt.reason)[:200]
        delivery.receipt_at = receipt.at or timezone.now()
        changed[delivery.pk] = delivery
    return _write_receipts(list(changed.values()))


def _write_receipts(deliveries: list[ReminderDelivery]) -> int:
    """One UPDATE for all of them, only where no final receipt came meanwhile.
    PostgreSQL: UPDATE ... FROM unnest(...) (Django's bulk_update builds a CASE per row
    and field: 13 s for a post of 500 receipts, measured); elsewhere bulk_update."""
    if not deliveries:
        return 0
    if connection.vendor != "postgresql":
        ReminderDelivery.objects.bulk_update(
            deliveries, ["provider_id", "receipt", "receipt_reason", "receipt_at"], batch_size=500
        )
        return len(deliveries)
    table = connection.ops.quote_name(ReminderDelivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET provider_id = v.pid, receipt = v.state, "  # noqa: S608
            "receipt_reason = v.reason, receipt_at = v.at "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::timestamptz[]) "
            "AS v(id, pid, state, reason, at) "
            "WHERE d.id = v.id AND d.receipt IN ('', 'waiting')",
            [
                [d.pk for d in deliveries],
                [d.provider_id for d in deliveries],
                [d.receipt for d in deliveries],
                [d.receipt_reason for d in deliveries],
                [d.receipt_at for d in deliveries],
            ],
        )
        return cursor.rowcount


# --- Replies ------------------------------------------------------------------------------

_FIRST = re.compile(r"^\s*([12])\s*[,，.。:：;；、\s-]*(.*)$", re.S)


def parse_reply(text: str) -> tuple[str, str]:
    """(answer, reason) from a member's text: "1", "2", "2 住院了", "２，腿脚不便"."""
    normal = unicodedata.normalize("NFKC", text or "").strip()
    found = _FIRST.match(normal)
    if not found:
        return ReplyAnswer.UNCLEAR, normal[:100]
    if found.group(1) == "1":
        return ReplyAnswer.WILL_COME, ""
    return ReplyAnswer.CANNOT_COME, found.group(2).strip()[:100]


def _latest_notice(phone: str) -> ReminderDelivery | None:
    """The latest meeting notice delivered to this number (by its keyed hash)."""
    return (
        ReminderDelivery.objects.filter(
            phone_hash=sms.phone_hash(phone),
            channel__in=TEXT_CHANNELS,
            reminder__kind=ReminderKind.MEETING_NOTICE,
            reminder__member__isnull=False,
            delivered_at__isnull=False,
        )
        .select_related("reminder__member")
        .order_by("-delivered_at", "-pk")
        .first()
    )


def record_reply(provider: str, reply: sms.Reply) -> SmsReply | None:
    """Record a reply against the member and meeting of the latest notice to its number.
    None if no notice went to that number, or the reply was recorded before."""
    if SmsReply.objects.filter(key=reply.key[:120]).exists():
        return None
    delivery = _latest_notice(reply.phone)
    if delivery is None:
        logger.info(
            "SMS reply from %s matches no meeting notice, ignored",
            mask_phone(sms.national_number(reply.phone)),
        )
        return None
    reminder = delivery.reminder
    member = reminder.member
    try:
        meeting_id = int(reminder.subject.split(":", 1)[1])
    except (IndexError, ValueError):
        return None
    answer, reason = parse_reply(reply.text)
    try:
        with transaction.atomic():
            row = SmsReply.objects.create(
                key=reply.key[:120],
                member=reminder.member,
                meeting_id=meeting_id,
                reminder=reminder,
                answer=answer,
                reason=reason,
                received_at=reply.at,
            )
            audit.record_many(
                [
                    audit.Change(
                        AuditAction.CREATE,
                        object_type="activities.smsreply",
                        object_id=str(row.pk),
                        object_repr=f"{meeting_id} {audit.person_repr(member.name, member.pk)}",
                        after={"meeting": meeting_id, "answer": answer, "provider": provider},
                    )
                ]
            )
    except IntegrityError:  # the same reply, recorded by a concurrent callback
        return None
    return row


# --- Polling ------------------------------------------------------------------------------


@dataclass
class PollResult:
    receipts: int = 0
    replies: int = 0

    def __str__(self):
        return f"receipts {self.receipts}, replies {self.replies}"


def poll(*, limit: int = 200) -> PollResult:
    """Fetch receipts and replies from the provider (the Celery task activities.poll_sms,
    every REMINDER_SMS_POLL_SECONDS). Tencent hands out what it holds; Alibaba is asked
    per message still waiting (at most `limit`, oldest first, sent in the last 3 days)."""
    result = PollResult()
    backend = sms.provider()
    if backend is None:
        return result
    if isinstance(backend, sms.AliyunSmsBackend):
        since = timezone.now() - timezone.timedelta(days=3)
        waiting = (
            ReminderDelivery.objects.filter(
                provider=backend.name,
                receipt=ReceiptState.WAITING,
                delivered_at__gte=since,
            )
            .exclude(provider_id="")
            .select_related("reminder__member", "reminder__recipient")
            .order_by("delivered_at")[:limit]
        )
        receipts = []
        for delivery in waiting:
            reminder = delivery.reminder
            phone = reminder.member.phone if reminder.member_id else ""
            if not phone:
                continue
            found = backend.query(
                number=sms.national_number(phone),
                provider_id=delivery.provider_id,
                day=timezone.localtime(delivery.delivered_at).date(),
            )
            if found is not None:
                receipts.append(found)
        result.receipts = record_receipts(backend.name, receipts)
        return result
    receipts, replies = backend.pull()
    result.receipts = record_receipts(backend.name, receipts)
    result.replies = sum(record_reply(backend.name, r) is not None for r in replies)
    return result


# --- The meeting's page -------------------------------------------------------------------


@dataclass
class NoticeRow:
    member_id: int
    name: str
    receipt: str  # ReceiptState value, or "" (not sent by a provider yet)
    receipt_label: str
    receipt_reason: str
    answer: str  # ReplyAnswer value, or "" (no answer)
    answer_label: str
    reason: str


def meeting_notices(meeting: Meeting) -> list[NoticeRow]:
    """Each member texted about the meeting: the notice's receipt and their latest
    answer. Two queries."""
    deliveries = {
        d.reminder.member_id: d
        for d in ReminderDelivery.objects.filter(
            channel__in=TEXT_CHANNELS,
            reminder__kind=ReminderKind.MEETING_NOTICE,
            reminder__subject=f"meeting:{meeting.pk}",
        )
        .select_related("reminder__member")
        .order_by("channel")  # "family" before "sms": the member's own text wins the row
    }
    answers = {}
    for reply in SmsReply.objects.filter(meeting=meeting).order_by("received_at", "pk"):
        answers[reply.member_id] = reply  # the latest answer wins
    rows = []
    for member_id, delivery in deliveries.items():
        reply = answers.get(member_id)
        receipt = delivery.receipt or ("sent" if delivery.delivered_at else "")
        rows.append(
            NoticeRow(
                member_id,
                delivery.reminder.member.name,
                delivery.receipt,
                (
                    ReceiptState(delivery.receipt).label
                    if delivery.receipt
                    else (_("Sent") if receipt == "sent" else _("Not sent yet"))
                ),
                delivery.receipt_reason,
                reply.answer if reply else "",
                reply.get_answer_display() if reply else _("No answer"),
                reply.reason if reply else "",
            )
        )
    order = {ReplyAnswer.CANNOT_COME: 0, ReplyAnswer.UNCLEAR: 1, ReplyAnswer.WILL_COME: 2, "": 3}
    rows.sort(key=lambda r: (order[r.answer], r.name))
    return rows


def to_excuse(meeting: Meeting, rows: list[NoticeRow]) -> list[NoticeRow]:
    """The declines with a reason whose attendance line is not 请假 yet (a recorded
    meeting): what the one-tap button would change. One query."""
    declined = [r for r in rows if r.answer == ReplyAnswer.CANNOT_COME and r.reason]
    if not declined or meeting.status != MeetingStatus.HELD:
        return []
    excused = set(
        meeting.attendances.filter(status=AttendanceStatus.EXCUSED).values_list(
            "member_id", flat=True
        )
    )
    return [r for r in declined if r.member_id not in excused]


def declines(meeting: Meeting) -> dict[int, str]:
    """Members whose latest answer is "cannot come" with a reason: member -> reason."""
    latest = {}
    for reply in SmsReply.objects.filter(meeting=meeting).order_by("received_at", "pk"):
        latest[reply.member_id] = reply
    return {
        member_id: reply.reason
        for member_id, reply in latest.items()
        if reply.answer == ReplyAnswer.CANNOT_COME and reply.reason
    }


def declines_excuse(*, meeting: Meeting, actor, request=None, version: int | None = None):
    """The recorded meeting's lines of members who declined by SMS with a reason become
    请假 (excused) with that reason, through the recording service (one transaction,
    audited, the version checked). A member who checked in themselves stays present.
    Returns how many lines changed."""
    if meeting.status != MeetingStatus.HELD:
        raise errors.RecordingError(
            _("Record the meeting first, then mark the declines as excused."), "not_held"
        )
    marks = {
        member_id: recording.Mark(AttendanceStatus.EXCUSED, reason)
        for member_id, reason in declines(meeting).items()
    }
    if not marks:
        return 0
    result = recording.meeting_record(
        meeting=meeting,
        details={},
        marks=marks,
        record_key=None,
        actor=actor,
        request=request,
        version=version,
    )
    return result.changed
