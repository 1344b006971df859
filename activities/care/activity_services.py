"""Writes of activities besides meetings (an activity, its participants and their service
hours), audited like every care write. An activity never counts as a meeting."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts import audit
from accounts.models import AuditAction

from .models import (
    Activity,
    ActivityParticipant,
)

ACTIVITY_FIELDS = (
    "kind",
    "title",
    "held_on",
    "organization_id",
    "branch_id",
    "team",
    "place",
    "description",
)


# --- Activities -------------------------------------------------------------------------


def activity_save(*, activity: Activity, before: dict | None, actor, request=None) -> Activity:
    """Save an activity from its form (`before` is None for a new one)."""
    with transaction.atomic():
        if activity.branch_id and not activity.organization_id:
            activity.organization_id = activity.branch.organization_id
        if before is None:
            activity.created_by = actor
        activity.save()
        after = audit.snapshot(activity, ACTIVITY_FIELDS)
        if before is None:
            audit.record(AuditAction.CREATE, activity, actor=actor, request=request, after=after)
        else:
            old, new = audit.diff(before, after)
            if new:
                audit.record(
                    AuditAction.UPDATE,
                    activity,
                    actor=actor,
                    request=request,
                    before=old,
                    after=new,
                )
        return activity


def activity_delete(*, activity: Activity, actor, request=None) -> None:
    with transaction.atomic():
        changes = [
            audit.Change(
                AuditAction.DELETE,
                p,
                object_repr=f"{activity} · {p.member_id}",
                before={"member": p.member_id, "service_hours": p.service_hours},
            )
            for p in activity.participants.all()
        ]
        changes.append(
            audit.Change(
                AuditAction.DELETE, activity, before=audit.snapshot(activity, ACTIVITY_FIELDS)
            )
        )
        audit.record_many(changes, actor=actor, request=request)
        activity.delete()


def participants_set(*, activity: Activity, hours: dict[int, Decimal], actor, request=None) -> int:
    """Set who took part and their service hours ({member id: hours}); members not in
    `hours` are taken off. One upsert, one delete and one audit insert whatever the
    number of participants. Returns the number of lines changed."""
    with transaction.atomic():
        Activity.objects.select_for_update().filter(pk=activity.pk).first()
        existing = {p.member_id: p for p in activity.participants.all()}
        changes, lines = [], []
        for member_id, value in hours.items():
            value = Decimal(value).quantize(Decimal("0.1"))
            old = existing.get(member_id)
            if old is not None and old.service_hours == value:
                continue
            lines.append(
                ActivityParticipant(activity=activity, member_id=member_id, service_hours=value)
            )
            changes.append(
                audit.Change(
                    AuditAction.UPDATE if old else AuditAction.CREATE,
                    object_type="activities.activityparticipant",
                    object_id=f"{activity.pk}:{member_id}",
                    object_repr=f"{activity}"[:200],
                    before={"service_hours": old.service_hours} if old else None,
                    after={"member": member_id, "service_hours": value},
                )
            )
        gone = [p for member_id, p in existing.items() if member_id not in hours]
        if lines:
            ActivityParticipant.objects.bulk_create(
                lines,
                update_conflicts=True,
                unique_fields=["activity", "member"],
                update_fields=["service_hours"],
            )
        if gone:
            ActivityParticipant.objects.filter(pk__in=[p.pk for p in gone]).delete()
            changes += [
                audit.Change(
                    AuditAction.DELETE,
                    object_type="activities.activityparticipant",
                    object_id=f"{activity.pk}:{p.member_id}",
                    object_repr=f"{activity}"[:200],
                    before={"member": p.member_id, "service_hours": p.service_hours},
                )
                for p in gone
            ]
        audit.record_many(changes, actor=actor, request=request)
        return len(changes)
