"""Writing a message to a unit and recording its deliveries.

`message_unit` is how every subject of units/ tells a unit something (a registration
accepted, a task's outcome, a feedback report, an action item). It is idempotent per
(kind, subject): a second call returns the first message and adds nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction
from activities.messaging.models import Channel
from branches.access import Role
from branches.models import StaffRole

from .models import DeliveryState, UnitContact, UnitDelivery, UnitMessage


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
    return message


def delivered(message: UnitMessage, *, at) -> None:
    """The first successful delivery marks the message delivered (once)."""
    updated = UnitMessage.objects.filter(pk=message.pk, delivered_at__isnull=True).update(
        delivered_at=at
    )
    if updated:
        message.delivered_at = at
