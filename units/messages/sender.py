"""The sender of unit messages: claims pending e-mail and robot deliveries, sends them
through the reminders' channels, and records the outcome (the reminders' sender,
activities.messaging.sender, does the same for reminders; its settings are shared).

Claiming is one conditional UPDATE per batch:

    UPDATE unit_delivery SET state='sending', lease_until=now+lease, attempts+1
    WHERE id IN (...) AND (state='pending' AND next_attempt_at<=now
                           OR state='sending' AND lease_until<now)

so two senders never hold the same row, and a row left 'sending' by a worker that died
is taken again once its lease has run out, sent again with the same key (the e-mail's
Message-ID, the robot's X-Idempotency-Key) so the receiver records it once. The holder
finishes a row only while its lease (the exact `lease_until` it wrote) is still there.

A permanent failure (refused address, a robot rejecting the signature, an address not
on the allowed list) ends the delivery FAILED with the reason; a transient one puts it
back to pending after RETRY_BASE x 2^(attempts-1) seconds (capped), until MAX_ATTEMPTS.
The first delivery that succeeds marks the message delivered (services.delivered).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from activities.messaging.channels import DeliveryError, Message, send_email, send_webhook
from activities.messaging.models import Channel

from .models import DeliveryState, UnitContact, UnitDelivery
from .services import delivered

logger = logging.getLogger("portal.unit_messages")


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after `attempts` tries: base x 2^(attempts-1), capped."""
    seconds = settings.REMINDER_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return datetime.timedelta(seconds=min(seconds, settings.REMINDER_RETRY_MAX_SECONDS))


def _claimable(now) -> Q:
    return Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, lease_until__lt=now
    )


def claim(*, now=None, batch: int | None = None, exclude=()) -> list[UnitDelivery]:
    """Take up to `batch` due deliveries (and expired leases). Three queries."""
    now = now or timezone.now()
    batch = batch or settings.REMINDER_SEND_BATCH
    ids = list(
        UnitDelivery.objects.filter(_claimable(now))
        .exclude(channel=Channel.INAPP)
        .exclude(pk__in=list(exclude))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return []
    # The real clock, not `now`: two senders never write the same lease, and the rows
    # the UPDATE returned are exactly ours.
    until = timezone.now() + lease()
    table = UnitDelivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s, lease_until = %s, attempts = attempts + 1"  # noqa: S608
            f" WHERE id IN ({', '.join(['%s'] * len(ids))}) AND (state = %s"
            " AND next_attempt_at <= %s OR state = %s AND lease_until < %s) RETURNING id",
            [
                DeliveryState.SENDING,
                until,
                *ids,
                DeliveryState.PENDING,
                now,
                DeliveryState.SENDING,
                now,
            ],
        )
        mine = [row[0] for row in cursor.fetchall()]
    return list(UnitDelivery.objects.filter(pk__in=mine).select_related("message").order_by("pk"))


def _finish(delivery: UnitDelivery, **fields) -> bool:
    """Record the outcome if the row is still ours (our lease, still sending)."""
    return bool(
        UnitDelivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, lease_until=delivery.lease_until
        ).update(**fields)
    )


def compose(delivery: UnitDelivery) -> Message:
    message = delivery.message
    subject = _("[To the original unit] %(title)s") % {"title": message.title}
    link = f"{settings.REMINDER_SITE_URL}{message.link}" if message.link else ""
    text = message.body or message.title
    if link:
        text = f"{text}\n\n{_('Details in the portal: %(url)s') % {'url': link}}"
    markdown = f"### {subject}\n{message.body}"
    return Message(
        subject=subject,
        text=text,
        markdown=markdown,
        short=message.title,
        data={"kind": message.kind, "about": message.subject, "body": message.body},
    )


def _send(delivery: UnitDelivery, contact: UnitContact | None) -> None:
    if contact is None:
        raise DeliveryError(_("the unit has no contact channels any more"), permanent=True)
    key = str(delivery.key)
    if delivery.channel == Channel.EMAIL:
        send_email(to=contact.email, message=compose(delivery), key=key)
    elif delivery.channel == Channel.WEBHOOK:
        if not contact.webhook_url:
            raise DeliveryError(_("no robot address"), permanent=True)
        send_webhook(
            url=contact.webhook_url,
            secret=contact.webhook_secret,
            flavour=contact.webhook_flavour,
            message=compose(delivery),
            key=key,
        )
    else:
        raise DeliveryError(_("unknown channel"), permanent=True)


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self):
        return (
            f"claimed {self.claimed}, sent {self.sent}, retrying {self.retrying}, "
            f"failed {self.failed}"
        )


def send_claimed(claimed: list[UnitDelivery]) -> SendResult:
    """Send what `claim` returned: one query for the contacts, then per row the send and
    one conditional update (plus the message's delivered mark on success)."""
    result = SendResult(claimed=len(claimed))
    contacts = {
        c.unit_id: c
        for c in UnitContact.objects.filter(unit_id__in={d.message.unit_id for d in claimed})
    }
    with translation.override(settings.LANGUAGE_CODE):
        for delivery in claimed:
            try:
                _send(delivery, contacts.get(delivery.message.unit_id))
            except DeliveryError as error:
                logger.warning("unit delivery %s failed: %s", delivery.pk, error.reason)
                gave_up = delivery.attempts >= settings.REMINDER_MAX_ATTEMPTS
                if error.permanent or gave_up:
                    reason = error.reason
                    if gave_up and not error.permanent:
                        reason = _("gave up after %(n)d attempts: %(reason)s") % {
                            "n": delivery.attempts,
                            "reason": error.reason,
                        }
                    if _finish(delivery, state=DeliveryState.FAILED, last_error=reason[:500]):
                        result.failed += 1
                elif _finish(
                    delivery,
                    state=DeliveryState.PENDING,
                    next_attempt_at=timezone.now() + backoff(delivery.attempts),
                    lease_until=None,
                    last_error=error.reason[:500],
                ):
                    result.retrying += 1
                continue
            now = timezone.now()
            with transaction.atomic():
                if _finish(delivery, state=DeliveryState.SENT, sent_at=now, last_error=""):
                    result.sent += 1
                    delivered(delivery.message, at=now)
    return result


def send_due(*, now=None, max_batches: int = 20) -> SendResult:
    """Claim and send batches until nothing is due (bounded, so one task never runs on)."""
    total = SendResult()
    seen: set[int] = set()
    for _batch in range(max_batches):
        claimed = claim(now=now, exclude=seen)
        if not claimed:
            break
        seen.update(d.pk for d in claimed)
        part = send_claimed(claimed)
        for name in ("claimed", "sent", "retrying", "failed"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
    return total
