"""The sender: claims outbound reminders, delivers them through their channels, and records
the outcome.

Claiming is one conditional UPDATE:

    UPDATE reminder SET state='sending', claim_token=T, lease_until=now+lease, attempts+1
    WHERE id IN (...) AND (state='pending' AND next_attempt_at<=now
                           OR state='sending' AND lease_until<now)

so two senders never hold the same row (PostgreSQL re-checks the WHERE after waiting
for a row lock), and a row left 'sending' by a worker that died is taken again once its
lease has run out. Before each channel the holder extends its lease with another
conditional UPDATE on its token; if that touches nothing, somebody else holds the row
and this sender lets go.

Exactly once, defined: at most one delivery is recorded per key, and none is lost.
Each channel of a reminder is a ReminderDelivery row with a fixed key, written
("attempting") before the send and marked "delivered" after it. A channel already
delivered is never sent again. A channel left "attempting" by a dead worker has an
unknown outcome: it is sent again with the same key (the e-mail's Message-ID, the
webhook's idempotency header, the SMS vendor's id), so the receiver can record it once.

Failures: a permanent one (refused address, rejected signature...) ends the reminder
FAILED with the reason; a transient one puts it back to pending after
RETRY_BASE x 2^(attempts-1) seconds (capped at RETRY_MAX), until MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import sms
from .channels import DeliveryError, Message, send_email, send_sms, send_webhook, send_wecom
from .digest import absolute, digest_sections
from .due import setting
from .models import (
    MEMBER_NOTICE_KINDS,
    Channel,
    DeliveryState,
    FamilyMode,
    MemberChannel,
    MemberMessaging,
    Reminder,
    ReminderDelivery,
    ReminderKind,
    ReminderPreference,
    ReminderState,
)

logger = logging.getLogger("portal.reminders")


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=setting("LEASE_SECONDS"))


def backoff(attempts: int) -> datetime.timedelta:
    """The wait before the next try after `attempts` tries: base x 2^(attempts-1), capped."""
    seconds = setting("RETRY_BASE_SECONDS") * 2 ** max(0, attempts - 1)
    return datetime.timedelta(seconds=min(seconds, setting("RETRY_MAX_SECONDS")))


def delivery_key(reminder_id: int, channel: str) -> str:
    return f"reminder-{reminder_id}-{channel}"


def _claimable(now) -> Q:
    return Q(state=ReminderState.PENDING, next_attempt_at__lte=now) | Q(
        state=ReminderState.SENDING, lease_until__lt=now
    )


def quiet(now: datetime.datetime) -> bool:
    """Inside the members' quiet hours (local time): no text to a member or their family."""
    hour = timezone.localtime(now).hour
    start, end = setting("QUIET_FROM_HOUR"), setting("QUIET_UNTIL_HOUR")
    return (hour >= start or hour < end) if start > end else start <= hour < end


def claim(*, now=None, batch: int | None = None, exclude=()) -> tuple[uuid.UUID, list[Reminder]]:
    """Take up to `batch` due outbound reminders (and expired leases). Three queries.
    Inside the quiet hours member notices stay pending: the first run after them sends."""
    now = now or timezone.now()
    batch = batch or setting("SEND_BATCH")
    token = uuid.uuid4()
    due = Reminder.objects.outbound()
    if quiet(now):
        due = due.exclude(kind__in=MEMBER_NOTICE_KINDS)
    ids = list(
        due.filter(_claimable(now))
        .exclude(pk__in=list(exclude))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return token, []
    Reminder.objects.filter(pk__in=ids).filter(_claimable(now)).update(
        state=ReminderState.SENDING,
        claim_token=token,
        lease_until=now + lease(),
        attempts=F("attempts") + 1,
    )
    claimed = list(
        Reminder.objects.filter(claim_token=token, state=ReminderState.SENDING)
        .select_related("recipient", "member")
        .order_by("pk")
    )
    return token, claimed


def _still_mine(reminder: Reminder, token: uuid.UUID) -> bool:
    """Extend the lease if the row is still ours (a heartbeat); False if it is not."""
    return bool(
        Reminder.objects.filter(
            pk=reminder.pk, claim_token=token, state=ReminderState.SENDING
        ).update(lease_until=timezone.now() + lease())
    )


def _finish(reminder: Reminder, token: uuid.UUID, **fields) -> bool:
    return bool(
        Reminder.objects.filter(
            pk=reminder.pk, claim_token=token, state=ReminderState.SENDING
        ).update(**fields)
    )


# --- What is sent -------------------------------------------------------------------------


def compose(reminder: Reminder, items: list[Reminder]) -> Message:
    """The digest (or a member notice: meeting, care visit) as e-mail text and HTML,
    robot markdown and SMS."""
    if reminder.kind in MEMBER_NOTICE_KINDS:
        text = _("[Party branch] %(name)s: %(text)s") % {
            "name": reminder.member.name if reminder.member_id else "",
            "text": reminder.title,
        }
        params = {**reminder.sms_params, "name": reminder.member.name if reminder.member_id else ""}
        return Message(
            subject=reminder.title, text=text, short=text, kind=reminder.kind, sms_params=params
        )
    sections = digest_sections(items)
    count = sum(len(s.items) for s in sections)
    name = reminder.recipient.display_name if reminder.recipient_id else ""
    subject = _("[Party work reminders] %(title)s: %(n)d to look at") % {
        "title": reminder.title,
        "n": count,
    }
    context = {
        "reminder": reminder,
        "name": name,
        "sections": sections,
        "count": count,
        "inbox_url": absolute("/reminders/"),
        "site_url": setting("SITE_URL"),
    }
    text = render_to_string("activities/reminders/digest_email.txt", context)
    html = render_to_string("activities/reminders/digest_email.html", context)
    lines = [f"### {subject}"]
    for section in sections:
        lines.append(f"**{section.heading}**")
        lines += [f"- {item.title}" for item in section.items]
    lines.append(_("Details in the portal: %(url)s") % {"url": context["inbox_url"]})
    summary = _(", ").join(f"{s.heading} {len(s.items)}" for s in sections)
    short = _("[Party work reminders] %(title)s: %(summary)s. Details in the portal.") % {
        "title": reminder.title,
        "summary": summary,
    }
    data = {
        "items": [
            {
                "kind": item.kind,
                "title": item.title,
                "due_on": str(item.due_on or ""),
                "link": absolute(item.link),
            }
            for section in sections
            for item in section.items
        ]
    }
    params = {"name": name, "title": reminder.title, "summary": summary}
    return Message(subject, text, html, "\n".join(lines), short, data, reminder.kind, params)


def _member_targets(reminder: Reminder, chosen: MemberMessaging | None) -> list[tuple[str, dict]]:
    """A member notice: to the member's phone unless they prefer a call or their family
    contact receives it instead; to the family contact when there is one."""
    phone = reminder.member.phone if reminder.member_id else ""
    if chosen is None:
        return [(Channel.SMS, {"phone": phone})]
    family = chosen.has_family_contact
    own = chosen.channel == MemberChannel.SMS and not (
        family and chosen.family_mode == FamilyMode.INSTEAD
    )
    targets = [(Channel.SMS, {"phone": phone})] if own and (phone or not family) else []
    if family:
        targets.append((Channel.FAMILY, {"phone": chosen.family_phone}))
    return targets


def _targets(
    reminder: Reminder, prefs: dict[int, ReminderPreference], chosen: dict[int, MemberMessaging]
) -> list[tuple[str, dict]]:
    """(channel, where) for each outbound channel of this reminder."""
    if reminder.kind in MEMBER_NOTICE_KINDS:
        return _member_targets(reminder, chosen.get(reminder.member_id))
    pref = prefs.get(reminder.recipient_id)
    if pref is None:
        return []
    where = {
        Channel.EMAIL: {"to": pref.email or reminder.recipient.email},
        Channel.WEBHOOK: {
            "url": pref.webhook_url,
            "secret": pref.webhook_secret,
            "flavour": pref.webhook_flavour,
        },
        Channel.SMS: {"phone": pref.phone or reminder.recipient.phone},
        Channel.WECOM: {"userid": pref.wecom_userid},
    }
    return [(channel, where[channel]) for channel in pref.channels]


def _send(channel: str, where: dict, message: Message, key: str, again: bool = False) -> dict:
    """Send; what the delivery row records besides "delivered" (an SMS's provider id)."""
    if channel == Channel.EMAIL:
        send_email(to=where["to"], message=message, key=key)
    elif channel == Channel.WEBHOOK:
        send_webhook(message=message, key=key, **where)
    elif channel == Channel.WECOM:
        send_wecom(userid=where["userid"], message=message, key=key)
    elif channel in (Channel.SMS, Channel.FAMILY):
        if channel == Channel.FAMILY:
            # The same approved template (a provider takes no free text); the text is for
            # the logging backend and the failed list.
            text = _("[Party branch] for your family: %(text)s") % {"text": message.short}
            message = replace(message, text=text, short=text)
        provider_id = send_sms(phone=where["phone"], message=message, key=key, again=again)
        return sms.delivery_fields(where["phone"], provider_id)
    else:  # pragma: no cover - the inbox is not an outbound channel
        raise DeliveryError(f"unknown channel {channel}", permanent=True)
    return {}


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost_claim: int = 0
    deliveries: int = 0  # channel sends that succeeded in this run

    def add(self, other: SendResult):
        for name in ("claimed", "sent", "retrying", "failed", "lost_claim", "deliveries"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self):
        return (
            f"claimed {self.claimed}, sent {self.sent}, retrying {self.retrying}, "
            f"failed {self.failed}, deliveries {self.deliveries}"
        )


@dataclass
class _Outcome:
    errors: list[DeliveryError] = field(default_factory=list)
    delivered: int = 0
    lost: bool = False


def _deliver_one(reminder, token, targets, message, deliveries) -> _Outcome:
    outcome = _Outcome()
    for channel, where in targets:
        delivery = deliveries.get(channel)
        if delivery is not None and delivery.state == DeliveryState.DELIVERED:
            continue  # made before (an earlier attempt): never again
        if not _still_mine(reminder, token):
            outcome.lost = True
            return outcome
        created = False
        if delivery is None:
            # Written before the send: after a crash it tells the next holder that the
            # outcome of this attempt is unknown (and the key to send again with).
            delivery, created = ReminderDelivery.objects.get_or_create(
                reminder=reminder,
                channel=channel,
                defaults={"key": delivery_key(reminder.pk, channel)},
            )
            if delivery.state == DeliveryState.DELIVERED:
                continue
        if not created:
            ReminderDelivery.objects.filter(pk=delivery.pk).update(
                state=DeliveryState.ATTEMPTING,
                attempts=F("attempts") + 1,
                started_at=timezone.now(),
            )
        try:
            recorded = _send(channel, where, message, delivery.key, again=not created)
        except DeliveryError as error:
            logger.warning("reminder %s via %s failed: %s", reminder.pk, channel, error.reason)
            ReminderDelivery.objects.filter(pk=delivery.pk).update(
                state=DeliveryState.FAILED, last_error=error.reason
            )
            outcome.errors.append(error)
            continue
        ReminderDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.DELIVERED, delivered_at=timezone.now(), last_error="", **recorded
        )
        outcome.delivered += 1
    return outcome


def send_claimed(token: uuid.UUID, claimed: list[Reminder]) -> SendResult:
    """Deliver what `claim` returned. Two queries for all rows (preferences, earlier
    deliveries) plus the digests' items and, with member notices, the members' settings;
    then per row and channel: a lease extension,
    the delivery row before and after, the send, and the final state."""
    result = SendResult(claimed=len(claimed))
    if not claimed:
        return result
    ids = [r.pk for r in claimed]
    prefs = {
        p.user_id: p
        for p in ReminderPreference.objects.filter(
            user_id__in={r.recipient_id for r in claimed if r.recipient_id}
        )
    }
    # How the members of member notices want them (none set: by SMS to their phone).
    member_ids = {r.member_id for r in claimed if r.member_id}
    chosen = (
        {m.member_id: m for m in MemberMessaging.objects.filter(member_id__in=member_ids)}
        if member_ids
        else {}
    )
    items = defaultdict(list)
    # Items resolved since the digest was made are not news any more.
    for item in Reminder.objects.filter(digest_id__in=ids, resolved_at__isnull=True).order_by("pk"):
        items[item.digest_id].append(item)
    deliveries = defaultdict(dict)
    for delivery in ReminderDelivery.objects.filter(reminder_id__in=ids):
        deliveries[delivery.reminder_id][delivery.channel] = delivery
    with translation.override(settings.LANGUAGE_CODE):
        for reminder in claimed:
            targets = _targets(reminder, prefs, chosen)
            if reminder.kind == ReminderKind.DIGEST and not items[reminder.pk]:
                targets = []  # nothing gathered (a race with another sweep): nothing to say
            message = compose(reminder, items[reminder.pk])
            outcome = _deliver_one(reminder, token, targets, message, deliveries[reminder.pk])
            result.deliveries += outcome.delivered
            now = timezone.now()
            if outcome.lost:
                result.lost_claim += 1
            elif not outcome.errors:
                if _finish(reminder, token, state=ReminderState.SENT, sent_at=now, last_error=""):
                    result.sent += 1
            else:
                reason = "; ".join(e.reason for e in outcome.errors)[:500]
                gave_up = reminder.attempts >= setting("MAX_ATTEMPTS")
                if all(e.permanent for e in outcome.errors) or gave_up:
                    if gave_up and not all(e.permanent for e in outcome.errors):
                        reason = (
                            _("gave up after %(n)d attempts: %(reason)s")
                            % {"n": reminder.attempts, "reason": reason}
                        )[:500]
                    if _finish(reminder, token, state=ReminderState.FAILED, last_error=reason):
                        result.failed += 1
                elif _finish(
                    reminder,
                    token,
                    state=ReminderState.PENDING,
                    next_attempt_at=now + backoff(reminder.attempts),
                    last_error=reason,
                    lease_until=None,
                ):
                    result.retrying += 1
    return result


def send_due(*, now=None, max_batches: int = 20) -> SendResult:
    """Claim and send batches until nothing is due (bounded, so one task never runs on)."""
    total = SendResult()
    seen: set[int] = set()  # each row at most once per run, even if due again at once
    for _batch in range(max_batches):
        token, claimed = claim(now=now, exclude=seen)
        if not claimed:
            break
        seen.update(r.pk for r in claimed)
        total.add(send_claimed(token, claimed))
    return total
