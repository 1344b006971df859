"""Reads of unit messages: the liaison's inbox, the area's messages to units with their
deliveries, the delivery state of a registration's message, the workbench's counts."""

from __future__ import annotations

from django.db.models import Prefetch, Q

from branches.access import MANAGE_UNIT_CONTACTS, VIEW_UNIT_WORK, scope_for

from .models import DeliveryState, UnitDelivery, UnitMessage, UnitMessageKind


def inbox(user):
    """Messages to the units the user is the liaison of (unit grants only), newest first."""
    ids = scope_for(user).unit_ids(VIEW_UNIT_WORK)
    return UnitMessage.objects.filter(unit_id__in=ids).select_related("unit", "community")


def area_messages(user, capability: str = VIEW_UNIT_WORK):
    """Messages sent from the communities in the user's area (path grants), or with no
    community (sent by a district office) to units of the area's district."""
    scope = scope_for(user)
    parts = [Q(community__path__startswith=p) for p in scope.paths(capability)]
    parts += [
        Q(community__isnull=True, unit__district__path__startswith=p)
        for p in scope.paths(capability)
    ]
    if not parts:
        return UnitMessage.objects.none()
    query = parts[0]
    for part in parts[1:]:
        query |= part
    return UnitMessage.objects.filter(query)


def with_deliveries(messages):
    return messages.select_related("unit", "community").prefetch_related(
        Prefetch("deliveries", queryset=UnitDelivery.objects.order_by("channel"))
    )


def failed_deliveries(user):
    """Failed e-mail and robot deliveries of units whose channels the user may fix."""
    scope = scope_for(user)
    query = scope.q(
        MANAGE_UNIT_CONTACTS,
        path_field="message__unit__district__path",
        unit_field="message__unit_id",
    )
    if query is None:
        return UnitDelivery.objects.none()
    return UnitDelivery.objects.filter(query, state=DeliveryState.FAILED)


def registration_message(registration_id: int) -> UnitMessage | None:
    """The message telling the unit of this registration, with its deliveries. 2 queries."""
    return (
        UnitMessage.objects.filter(
            kind=UnitMessageKind.REGISTRATION_ACCEPTED, subject=f"registration:{registration_id}"
        )
        .select_related("unit__district")
        .prefetch_related(Prefetch("deliveries", queryset=UnitDelivery.objects.order_by("channel")))
        .first()
    )


def workbench_section(request, scope, today):
    """For a liaison: unread messages to their unit; for district staff (who fix units'
    channels over an area): failed deliveries. One query per role."""
    user = request.user
    data = {}
    if scope.unit_ids(VIEW_UNIT_WORK):
        data["unread"] = inbox(user).filter(read_at__isnull=True).count()
    if scope.paths(MANAGE_UNIT_CONTACTS):
        data["failed"] = failed_deliveries(user).count()
    if not data or not any(data.values()):
        return None
    return data
