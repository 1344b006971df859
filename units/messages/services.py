"""Writing a message to a unit and recording its deliveries.

`message_unit` is how every subject of units/ tells a unit something (a registration
accepted, a task's outcome, a feedback report, an action item). It is idempotent per
(kind, subject): a second call returns the first message and adds nothing.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, broker
from accounts.models import AuditAction
from activities.messaging.models import Channel
from branches.access import Role
from branches.models import StaffRole
from members.models import CommunityRegistration, RegistrationStatus
from members.services.registration import registration_notify_unit

from .models import DeliveryState, UnitContact, UnitDelivery, UnitMessage, UnitMessageKind

logger = logging.getLogger("portal.unit_messages")

SEND_TASK = "units.send_unit_messages"


def enqueue_sender() -> None:
    """Ask for a send once the current transaction commits. Without a broker (the
    zero-setup demo runs tasks inline) nothing is queued: the beat schedule sends."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    # The beat's run sends what is pending anyway: a web request never waits on the broker.
    transaction.on_commit(lambda: broker.publish(SEND_TASK, log=logger), robust=True)


def unit_has_liaison(unit_id: int) -> bool:
    return StaffRole.objects.filter(
        role=Role.UNIT_LIAISON, original_unit_id=unit_id, user__is_active=True
    ).exists()


def _channels(unit_id: int) -> list[str]:
    """The channels a message to this unit goes through: the liaisons' inbox when the
    unit has a liaison, and the contact's e-mail and robot when set."""
    channels = [Channel.INAPP] if unit_has_liaison(unit_id) else []
    contact = UnitContact.objects.filter(unit_id=unit_id).first()
    if contact is not None:
        if contact.email:
            channels.append(Channel.EMAIL)
        if contact.webhook_url:
            channels.append(Channel.WEBHOOK)
    return channels


@transaction.atomic
def message_unit(
    *,
    unit,
    kind: str,
    subject: str,
    title: str,
    body: str = "",
    link: str = "",
    community=None,
    actor=None,
    request=None,
) -> UnitMessage:
    """Write the message and one delivery per channel; the in-app one is delivered at
    once, the others wait for the sender (queued when the transaction commits)."""
    message, created = UnitMessage.objects.get_or_create(
        kind=kind,
        subject=subject,
        defaults={
            "unit": unit,
            "community": community,
            "title": title[:200],
            "body": body,
            "link": link[:200],
            "created_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    if not created:
        return message
    now = timezone.now()
    deliveries = []
    for channel in _channels(unit.pk):
        inapp = channel == Channel.INAPP
        deliveries.append(
            UnitDelivery(
                message=message,
                channel=channel,
                state=DeliveryState.SENT if inapp else DeliveryState.PENDING,
                sent_at=now if inapp else None,
            )
        )
    UnitDelivery.objects.bulk_create(deliveries)
    audit.record(AuditAction.CREATE, message, actor=actor, request=request)
    if any(d.state == DeliveryState.SENT for d in deliveries):
        delivered(message, at=now)
    if any(d.state == DeliveryState.PENDING for d in deliveries):
        enqueue_sender()
    return message


def delivered(message: UnitMessage, *, at) -> None:
    """The first successful delivery marks the message delivered (once), and what the
    message was about learns that the unit knows (a registration becomes NOTIFIED)."""
    updated = UnitMessage.objects.filter(pk=message.pk, delivered_at__isnull=True).update(
        delivered_at=at
    )
    if not updated:
        return
    message.delivered_at = at
    if message.kind == UnitMessageKind.REGISTRATION_ACCEPTED:
        _registration_notified(message, at)


def _registration_notified(message: UnitMessage, at) -> None:
    prefix, _sep, pk = message.subject.partition(":")
    if prefix != "registration" or not pk.isdigit():
        return
    registration = CommunityRegistration.objects.filter(
        pk=int(pk), status=RegistrationStatus.ACCEPTED, member__original_unit__isnull=False
    ).first()
    if registration is None:  # withdrawn (or notified, or the unit unset) meanwhile
        return
    registration_notify_unit(
        registration=registration, notified_on=timezone.localdate(at), actor=None
    )


@transaction.atomic
def resend(*, delivery: UnitDelivery, actor, request=None) -> bool:
    """Send a failed delivery again (after its channel was fixed): back to pending with
    a fresh count of attempts and the same key. False if it is not failed any more."""
    updated = UnitDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None
    )
    if not updated:
        return False
    audit.record(
        AuditAction.UPDATE,
        delivery.message,
        actor=actor,
        request=request,
        before={"delivery": delivery.channel, "state": DeliveryState.FAILED},
        after={"delivery": delivery.channel, "state": DeliveryState.PENDING},
    )
    enqueue_sender()
    return True


@transaction.atomic
def mark_read(*, message: UnitMessage) -> None:
    """The unit's liaison opened the message (the first time counts)."""
    UnitMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())


class ContactConflict(ValidationError):
    """Someone else saved the unit's channels after the form was loaded."""


CONTACT_FIELDS = ("email", "webhook_flavour", "webhook_url", "webhook_secret")
UNIT_FIELDS = ("contact_name", "contact_phone")
SECRET_FIELDS = ("webhook_url", "webhook_secret")


def _contact_snapshot(contact: UnitContact, unit) -> dict:
    """What the audit keeps: the secrets only as set or not, never their text."""
    data = {name: getattr(unit, name) for name in UNIT_FIELDS}
    for name in CONTACT_FIELDS:
        value = getattr(contact, name)
        if name in SECRET_FIELDS and value:  # a fingerprint: changed or not, never the text
            value = "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:8]
        data[name] = value
    return data


@transaction.atomic
def save_contact(*, unit, data: dict, version: int, actor, request=None) -> UnitContact:
    """Change a unit's contact person and channels. Only the keys `data` carries are
    written (an empty secret field on the form means "keep"; the form sends no key then).
    A stale `version` (somebody saved in between) is refused with ContactConflict."""
    contact, _created = UnitContact.objects.get_or_create(unit=unit)
    moved = UnitContact.objects.filter(pk=contact.pk, version=version).update(
        version=F("version") + 1
    )
    if not moved:
        raise ContactConflict(
            _(
                "Someone else saved these contact channels after you opened them. "
                "Reload the page and enter your changes again."
            ),
            code="conflict",
        )
    contact.refresh_from_db()
    unit = type(unit).objects.select_for_update().get(pk=unit.pk)
    before = _contact_snapshot(contact, unit)
    unit_fields = [name for name in UNIT_FIELDS if name in data]
    for name in unit_fields:
        setattr(unit, name, data[name])
    if unit_fields:
        unit.save(update_fields=unit_fields)
    contact_fields = [name for name in CONTACT_FIELDS if name in data]
    for name in contact_fields:
        setattr(contact, name, data[name])
    contact.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    contact.save(update_fields=[*contact_fields, "updated_by", "updated_at"])
    old, new = audit.diff(before, _contact_snapshot(contact, unit))
    if new:
        audit.record(
            AuditAction.UPDATE, contact, actor=actor, request=request, before=old, after=new
        )
    return contact


@transaction.atomic
def send_test(*, unit, actor, request=None) -> UnitMessage:
    """A test message through the unit's channels (each test is its own message)."""
    now = timezone.now()
    return message_unit(
        unit=unit,
        kind=UnitMessageKind.TEST,
        subject=f"test:{unit.pk}:{now.timestamp():.0f}",
        title=_("Test message from the party work platform"),
        body=_("If you can read this, messages to %(unit)s arrive here.") % {"unit": unit.name},
        actor=actor,
        request=request,
    )
