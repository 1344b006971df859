"""The inbox's writes: mark read, retry a failed send (from the pages), a member's
notice settings (their secretary's page), and pruning old finished rows (daily)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import (
    Q,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.services import EditConflict

from .due import DAY, setting
from .models import (
    ITEM_KINDS,
    MEMBER_NOTICE_KINDS,
    OUTBOUND_KINDS,
    MemberChannel,
    MemberMessaging,
    MemberOptOut,
    Reminder,
    ReminderState,
)

# --- Writes from the pages ----------------------------------------------------------------

MESSAGING_FIELDS = (
    "channel",
    "family_name",
    "family_relation",
    "family_phone",
    "family_mode",
    "consent_by",
    "consent_on",
    "consent_how",
)


def _messaging_snapshot(chosen: MemberMessaging) -> dict:
    values = audit.snapshot(chosen, MESSAGING_FIELDS)  # family_phone masked by the trail
    for name in ("family_name", "consent_by"):
        values[name] = audit.masked_name(values[name]) if values[name] else ""
    return values


def member_messaging_save(
    *, member, data: dict, opted_out: set[str], version: int | None, actor, request=None
) -> MemberMessaging:
    """Set how notices reach `member`: the fields `data` carries, and the kinds they opt
    out of (each opt-out a row with who recorded it and when). One transaction, audited
    (names and the phone masked). A change carries the version its form was loaded at:
    when somebody saved in between, nothing is written (EditConflict). Notices of a kind
    the member no longer wants that still wait to be sent (the quiet hours) are dropped."""
    with transaction.atomic():
        chosen = MemberMessaging.objects.select_for_update().filter(member=member).first()
        created = chosen is None
        if created:
            chosen, before = MemberMessaging(member=member), {}
        else:
            if version is not None and chosen.version != version:
                raise EditConflict(
                    _("Somebody else changed these settings meanwhile. Reload and try again."),
                    code="conflict",
                )
            before = _messaging_snapshot(chosen)
        for name in MESSAGING_FIELDS:
            if name in data:
                setattr(chosen, name, data[name])
        after = _messaging_snapshot(chosen)
        old, new = audit.diff(before, after)
        changes, who = [], audit.person_repr(member.name, member.pk)
        if created or new:
            chosen.updated_by, chosen.updated_at = actor, timezone.now()
            if created:
                chosen.save()
            else:
                chosen.version += 1
                chosen.save(
                    update_fields=[*MESSAGING_FIELDS, "updated_by", "updated_at", "version"]
                )
            action = AuditAction.CREATE if created else AuditAction.UPDATE
            changes.append(audit.Change(action, chosen, old or None, new, object_repr=who))
        kinds = {k.value for k in MEMBER_NOTICE_KINDS}
        had = {o.kind: o for o in MemberOptOut.objects.filter(member=member)}
        for kind in sorted((opted_out & kinds) - set(had)):
            opt_out = MemberOptOut.objects.create(member=member, kind=kind, set_by=actor)
            changes.append(
                audit.Change(AuditAction.CREATE, opt_out, after={"kind": kind}, object_repr=who)
            )
        for kind in sorted(set(had) - opted_out):
            changes.append(
                audit.Change(AuditAction.DELETE, had[kind], before={"kind": kind}, object_repr=who)
            )
            had[kind].delete()
        if changes:
            audit.record_many(changes, actor=actor, request=request)
        unwanted = set(opted_out & kinds)
        if chosen.channel == MemberChannel.CALL and not chosen.family_phone:
            unwanted = kinds
        if unwanted:
            Reminder.objects.filter(
                member=member, kind__in=unwanted, state=ReminderState.PENDING
            ).delete()
        return chosen


def mark_read(*, user, reminder_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own unread items read (all of them without ids). One UPDATE.
    Resolved items are left as they are: they are no longer unread."""
    qs = Reminder.objects.mine(user).items().unread()
    if reminder_ids is not None:
        qs = qs.filter(pk__in=list(reminder_ids))
    return qs.update(read_at=timezone.now())


def retry_failed(*, reminder: Reminder, request=None) -> bool:
    """Put a failed outbound reminder back in the queue, with a fresh set of attempts
    (after the recipient fixed an address, say). Deliveries already made stay made.
    Audited: the reviewer may be district staff acting on somebody else's message."""
    with transaction.atomic():
        done = (
            Reminder.objects.filter(pk=reminder.pk, state=ReminderState.FAILED)
            .outbound()
            .update(
                state=ReminderState.PENDING,
                attempts=0,
                next_attempt_at=timezone.now(),
                last_error="",
                claim_token=None,
                lease_until=None,
            )
        )
        if done:
            # Not the title or the error: they may name a member or hold an address.
            audit.record(
                AuditAction.UPDATE,
                reminder,
                request=request,
                object_repr=f"{reminder.get_kind_display()} · {reminder.period}",
                before={"state": ReminderState.FAILED, "attempts": reminder.attempts},
                after={"state": ReminderState.PENDING, "attempts": 0},
            )
    return bool(done)


# --- Pruning ------------------------------------------------------------------------------


@dataclass
class PruneResult:
    items: int = 0  # inbox items read or resolved
    outbound: int = 0  # digests and notices sent or failed
    deliveries: int = 0  # their channel rows
    batches: int = 0

    def __str__(self):
        return (
            f"pruned items: {self.items}, outbound: {self.outbound}, "
            f"deliveries: {self.deliveries} ({self.batches} batches)"
        )


def prunable(cutoff: datetime.datetime) -> dict[str, Q]:
    """What may go once created before `cutoff`: items read or resolved (an unread open
    item stays: somebody still has to see it) and outbound rows that are finished.
    Never a row waiting to be sent or being sent."""
    return {
        "items": Q(kind__in=ITEM_KINDS, created_at__lt=cutoff)
        & (Q(read_at__isnull=False) | Q(resolved_at__isnull=False)),
        "outbound": Q(
            kind__in=OUTBOUND_KINDS,
            created_at__lt=cutoff,
            state__in=[ReminderState.SENT, ReminderState.FAILED],
        ),
    }


def prune(
    *,
    now: datetime.datetime | None = None,
    days: int | None = None,
    batch: int | None = None,
    max_batches: int | None = None,
) -> PruneResult:
    """Delete old reminders (PRUNE_AFTER_DAYS, 180 by default) in batches of PRUNE_BATCH
    rows, items first (so deleting a digest has few items left to unlink), at most
    `max_batches` batches per run (the next run goes on). Each batch is one transaction
    that locks its rows, so a failed digest being sent again by a reviewer either goes
    back to the queue first (and stays) or finds it gone. One audit entry per run that
    deleted something (counts only)."""
    now = now or timezone.now()
    days = setting("PRUNE_AFTER_DAYS") if days is None else days
    batch = batch or setting("PRUNE_BATCH")
    cutoff = now - days * DAY
    result = PruneResult()
    for name, condition in prunable(cutoff).items():
        while max_batches is None or result.batches < max_batches:
            with transaction.atomic():
                pks = list(
                    Reminder.objects.select_for_update()
                    .filter(condition)
                    .order_by("created_at", "pk")
                    .values_list("pk", flat=True)[:batch]
                )
                if not pks:
                    break
                _total, per_model = Reminder.objects.filter(condition, pk__in=pks).delete()
            result.batches += 1
            setattr(result, name, getattr(result, name) + per_model.get("activities.Reminder", 0))
            result.deliveries += per_model.get("activities.ReminderDelivery", 0)
            if len(pks) < batch:
                break
    if result.items or result.outbound:
        audit.record(
            AuditAction.DELETE,
            object_type="activities.reminder",
            object_repr=f"pruned reminders older than {days} days",
            before={"created_before": cutoff.isoformat()},
            after={
                "items": result.items,
                "outbound": result.outbound,
                "deliveries": result.deliveries,
            },
        )
    return result
