"""Demo unit messages for seed_demo, bulk inserts only (no audit rows, like the other
rooms' demo data): the demo unit's contact channels (an e-mail, no robot) and the
messages telling it of its retirees' registrations with the demo community: the older
ones read, the newest unread, and one e-mail that failed (to show the resend page)."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.messaging.models import Channel
from members.models import CommunityRegistration, RegistrationStatus

from .models import DeliveryState, UnitContact, UnitDelivery, UnitMessage, UnitMessageKind


def seed_unit_messages(*, unit, community, today: datetime.date, limit: int = 4) -> int:
    unit.contact_name = unit.contact_name or "刘明"
    unit.contact_phone = unit.contact_phone or "13800001234"
    unit.save(update_fields=["contact_name", "contact_phone"])
    UnitContact.objects.create(unit=unit, email="ltgb@example.org")
    registrations = list(
        CommunityRegistration.objects.filter(
            Q(status=RegistrationStatus.ACCEPTED) | Q(status=RegistrationStatus.NOTIFIED),
            community=community,
            member__original_unit=unit,
        )
        .select_related("member", "branch")
        .order_by("-pk")[:limit]
    )
    messages, deliveries = [], []
    now = timezone.now()
    for index, registration in enumerate(registrations):
        at = now - datetime.timedelta(days=3 * index + 1)
        facts = {
            "name": registration.member.name,
            "community": community.name,
            "branch": registration.branch.name if registration.branch_id else "",
            "date": (registration.accepted_on or today).isoformat(),
        }
        messages.append(
            UnitMessage(
                unit=unit,
                community=community,
                kind=UnitMessageKind.REGISTRATION_ACCEPTED,
                subject=f"registration:{registration.pk}",
                title=_("%(name)s has registered with %(community)s") % facts,
                body=_(
                    "%(name)s, a retired party member of your unit, registered with "
                    "%(community)s; the community accepted the registration on %(date)s. "
                    "Home branch: %(branch)s."
                )
                % facts,
                link=f"/members/{registration.member_id}/",
                created_at=at,
                delivered_at=at,
                read_at=None if index == 0 else at + datetime.timedelta(hours=2),
            )
        )
    UnitMessage.objects.bulk_create(messages)
    for index, message in enumerate(messages):
        deliveries.append(
            UnitDelivery(
                message=message,
                channel=Channel.INAPP,
                state=DeliveryState.SENT,
                sent_at=message.created_at,
            )
        )
        failed = index == 0
        deliveries.append(
            UnitDelivery(
                message=message,
                channel=Channel.EMAIL,
                state=DeliveryState.FAILED if failed else DeliveryState.SENT,
                attempts=1,
                sent_at=None if failed else message.created_at,
                last_error="邮件服务器答复 550：收件地址不存在" if failed else "",
            )
        )
    UnitDelivery.objects.bulk_create(deliveries)
    for registration, message in zip(registrations, messages, strict=True):
        CommunityRegistration.objects.filter(pk=registration.pk).update(
            status=RegistrationStatus.NOTIFIED,
            notified_on=timezone.localdate(message.created_at),
        )
    return len(messages)
