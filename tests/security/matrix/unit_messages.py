"""Messages to original units x roles, on unit_a (东城区) and community_a (翠园社区).

The inbox is the unit liaison's (unit grants). A message from community_a is read by the
area's staff above the community (city, district, street, the community) and by the
unit's liaison. The area's "messages to units" list: every role with can_view_unit_work
over an area. A unit's contact channels, the failed deliveries and resending them: who
holds can_manage_unit_contacts over the unit (its district's staff, its liaison); the
others who read the message are refused resending it (403).
"""

from units.messages.models import (
    DeliveryState,
    UnitContact,
    UnitDelivery,
    UnitMessage,
    UnitMessageKind,
)

from . import Spec, row

LIAISON = frozenset({"unit_liaison"})
MESSAGE_READERS = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary", "unit_liaison"}
)
AREA_READERS = frozenset(
    {
        "city_admin",
        "district_staff",
        "street_staff",
        "community_secretary",
        "district_b_staff",
        "community_b_secretary",
        "street_a2_staff",
    }
)
CONTACT_MANAGERS_A = frozenset({"district_staff", "unit_liaison"})
CONTACT_MANAGERS = CONTACT_MANAGERS_A | {"district_b_staff"}


def message(c) -> UnitMessage:
    """A message from the community to the unit (district A, or its B twin)."""
    found, _created = UnitMessage.objects.get_or_create(
        kind=UnitMessageKind.EVENT_OUTCOME,
        subject=f"matrix:{c.unit_a.pk}",
        defaults={
            "unit": c.unit_a,
            "community": c.community_a,
            "title": "报送事项已办结",
            "body": "社区已办结贵单位报送的事项。",
        },
    )
    return found


def failed_delivery(c) -> UnitDelivery:
    delivery, _created = UnitDelivery.objects.get_or_create(
        message=message(c),
        channel="email",
        defaults={"state": DeliveryState.FAILED, "attempts": 1, "last_error": "收件地址被拒收"},
    )
    return delivery


def contact_state(c):
    contact = UnitContact.objects.filter(unit=c.unit_a).first()
    return (row(c.unit_a), row(contact) if contact else None)


def messages_of(c):
    return list(UnitMessage.objects.filter(unit=c.unit_a).values_list("pk", flat=True))


SPECS = [
    Spec("unit_messages:inbox", ok=LIAISON),
    Spec(
        "unit_messages:detail",
        kwargs=lambda c: {"pk": message(c).pk},
        ok=MESSAGE_READERS,
    ),
    Spec("unit_messages:sent", ok=AREA_READERS),
    Spec("unit_messages:failed", ok=CONTACT_MANAGERS),
    Spec(
        "unit_messages:resend",
        kwargs=lambda c: {"pk": failed_delivery(c).pk},
        ok=CONTACT_MANAGERS_A,
        forbidden=MESSAGE_READERS - CONTACT_MANAGERS_A,
        post=lambda c: {},
        state=lambda c: row(failed_delivery(c)),
    ),
    Spec("unit_messages:contacts", ok=CONTACT_MANAGERS),
    Spec(
        "unit_messages:contact",
        kwargs=lambda c: {"pk": c.unit_a.pk},
        ok=CONTACT_MANAGERS_A,
    ),
    Spec(
        "unit_messages:contact_edit",
        kwargs=lambda c: {"pk": c.unit_a.pk},
        ok=CONTACT_MANAGERS_A,
        post=lambda c: {
            "version": "0",
            "contact_name": "王老师",
            "contact_phone": "13800002222",
            "email": "jy@example.org",
            "webhook_flavour": "wecom",
        },
        state=contact_state,
    ),
    Spec(
        "unit_messages:contact_test",
        kwargs=lambda c: {"pk": c.unit_a.pk},
        ok=CONTACT_MANAGERS_A,
        post=lambda c: {},
        state=messages_of,
    ),
]
