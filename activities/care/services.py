"""Writes for care (党内关怀) and activities. Each function is one transaction and leaves
audit rows (accounts.audit) for every care need, carer, visit, follow-up, make-up,
activity and participant it creates, changes or deletes.

A 送学上门 visit that names a meeting carries the MakeUp closing the member's absence
or excusal for that meeting: created through the meetings service
(`services.makeups.makeup_record`, which checks the line may be made up), or, when a make-up
was already recorded without a visit, taken over and brought in line with the visit.
Changing the visit's meeting or date, or deleting the visit, moves, updates or removes
that make-up in the same transaction.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from activities.meetings import summaries as meeting_summaries
from activities.meetings.models import Attendance, MakeUp, MakeUpKind
from activities.meetings.services import errors, makeups

from . import summaries
from .models import (
    OPEN_FOLLOW_UPS,
    CareNeed,
    Carer,
    CareVisit,
    CareVisitKind,
    FollowUp,
    FollowUpState,
)

NEED_FIELDS = (
    "poor_health",
    "limited_mobility",
    "lives_alone",
    "aged_80_plus",
    "hospitalised",
    "interval_days",
    "care_note",
    "started_on",
    "closed_on",
    "close_reason",
)
CARER_FIELDS = ("name", "relation", "is_lead", "user_id", "helper_member_id", "since")
VISIT_FIELDS = (
    "visited_on",
    "kind",
    "occasion",
    "visitors",
    "summary",
    "matters_raised",
    "meeting_id",
)
FOLLOW_UP_FIELDS = ("matter", "owner_name", "owner_id", "due_on", "state", "solved_on", "outcome")
MAKE_UP_FIELDS = ("kind", "made_up_on", "delivered_by", "material")


class CareError(ValueError):
    """A write the rules do not allow; the message is translated for the page."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _carer_snapshot(carer: Carer) -> dict:
    """A carer may be a member pairing up: the name goes to the trail masked."""
    return {**audit.snapshot(carer, CARER_FIELDS), "name": audit.masked_name(carer.name)}


def _member_repr(member, day=None) -> str:
    """The member as the audit trail names them: masked name and pk, never the name."""
    shown = member.audit_repr()
    return f"{day:%Y-%m-%d} {shown}" if day else shown


def _carer_repr(need: CareNeed, carer: Carer) -> str:
    return f"{_member_repr(need.member)} · {carer.audit_repr()}"


# --- Care needs and carers --------------------------------------------------------------


def need_save(*, member, data: dict, actor, request=None) -> tuple[CareNeed, bool]:
    """Create the member's care record, or update it. Returns (need, created)."""
    with transaction.atomic():
        need = CareNeed.objects.select_for_update().filter(member=member).first()
        created = need is None
        if created:
            need = CareNeed(member=member, created_by=actor)
            before = {}
        else:
            before = audit.snapshot(need, NEED_FIELDS)
        for name in NEED_FIELDS:
            if name in data:
                setattr(need, name, data[name])
        if need.closed_on is None:
            need.close_reason = ""
        after = audit.snapshot(need, NEED_FIELDS)
        if created:
            need.save()
            summaries.refresh(cared=[member.pk])  # visits before care was recorded count
            audit.record(
                AuditAction.CREATE,
                need,
                actor=actor,
                request=request,
                object_repr=_member_repr(member),
                after=after,
            )
        else:
            old, new = audit.diff(before, after)
            if new:
                need.save()
                audit.record(
                    AuditAction.UPDATE,
                    need,
                    actor=actor,
                    request=request,
                    object_repr=_member_repr(member),
                    before=old,
                    after=new,
                )
        return need, created


def need_delete(*, need: CareNeed, actor, request=None) -> None:
    """Remove a care record entered by mistake (with its carers). Visits stay."""
    with transaction.atomic():
        carers = list(need.carers.all())
        changes = [audit.Change(AuditAction.DELETE, c, before=_carer_snapshot(c)) for c in carers]
        changes.append(
            audit.Change(
                AuditAction.DELETE,
                need,
                before=audit.snapshot(need, NEED_FIELDS),
                object_repr=_member_repr(need.member),
            )
        )
        audit.record_many(changes, actor=actor, request=request)
        need.delete()


def carer_add(*, need: CareNeed, carer: Carer, actor, request=None) -> Carer:
    """Add a carer. A new lead carer takes over the lead from the previous one."""
    with transaction.atomic():
        CareNeed.objects.select_for_update().filter(pk=need.pk).first()
        changes = []
        if carer.is_lead:
            for old in need.carers.filter(is_lead=True):
                old.is_lead = False
                old.save(update_fields=["is_lead"])
                changes.append(
                    audit.Change(
                        AuditAction.UPDATE, old, before={"is_lead": True}, after={"is_lead": False}
                    )
                )
        if carer.user_id and need.carers.filter(user_id=carer.user_id).exists():
            raise CareError(_("This account is already a carer of the member."), "duplicate")
        carer.need = need
        carer.save()
        changes.append(
            audit.Change(
                AuditAction.CREATE,
                carer,
                object_repr=_carer_repr(need, carer),
                after=_carer_snapshot(carer),
            )
        )
        audit.record_many(changes, actor=actor, request=request)
        return carer


def carer_remove(*, carer: Carer, actor, request=None) -> None:
    with transaction.atomic():
        audit.record(
            AuditAction.DELETE,
            carer,
            actor=actor,
            request=request,
            object_repr=_carer_repr(carer.need, carer),
            before=_carer_snapshot(carer),
        )
        carer.delete()


# --- Visits and the make-up they deliver ------------------------------------------------


def _make_up_details(visit: CareVisit, meeting) -> dict:
    return {
        "kind": MakeUpKind.HOME_DELIVERY,
        "made_up_on": visit.visited_on,
        "delivered_by": visit.visitors[:60],
        "material": meeting.topic[:200],
    }


def _wanted_meeting(visit: CareVisit):
    return visit.meeting_id if visit.kind == CareVisitKind.HOME_STUDY else None


def _detach_make_up(visit: CareVisit, changes: list) -> None:
    """Before the visit is saved: remove its make-up when the visit no longer makes up
    that meeting (another meeting, none, or not a 送学上门 any more). The old absence
    opens again."""
    current = MakeUp.objects.filter(care_visit=visit).select_related("attendance").first()
    if current is None or current.attendance.meeting_id == _wanted_meeting(visit):
        return
    changes.append(
        audit.Change(
            AuditAction.DELETE,
            current,
            before=audit.snapshot(current, MAKE_UP_FIELDS),
            object_repr=_member_repr(visit.member, current.made_up_on),
        )
    )
    CareVisit.objects.filter(pk=visit.pk).update(make_up=None)
    visit.make_up = None
    current.delete()
    meeting_summaries.refresh_meeting(current.attendance.meeting, members=[visit.member_id])


def _attach_make_up(visit: CareVisit, changes: list, *, actor, request) -> None:
    """After the visit is saved: the make-up of the visit's meeting, created through the
    meetings service, or taken over / brought in line with the visit. Appends the audit
    changes it makes (makeup_record audits its own)."""
    wanted = _wanted_meeting(visit)
    if wanted is None:
        return
    attendance = (
        Attendance.objects.select_for_update()
        .select_related("meeting")
        .filter(meeting_id=wanted, member_id=visit.member_id)
        .first()
    )
    if attendance is None:
        raise CareError(_("The member was not on the list of that meeting."), "not_on_list")
    meeting = attendance.meeting
    details = _make_up_details(visit, meeting)
    current = MakeUp.objects.filter(attendance=attendance).first()
    if (
        current is not None
        and CareVisit.objects.filter(make_up=current).exclude(pk=visit.pk).exists()
    ):
        raise CareError(_("That meeting has already been made up by another visit."), "made_up")
    if current is None:
        try:
            current = makeups.makeup_record(
                attendance=attendance, details=details, actor=actor, request=request
            )
        except errors.RecordingError as error:
            raise CareError(str(error), error.code) from error
    else:
        # Recorded before on the meeting page, or this visit's own: match the visit.
        if meeting.held_on and visit.visited_on < meeting.held_on:
            raise CareError(_("A make-up cannot be before the meeting."), "before_meeting")
        before = audit.snapshot(current, MAKE_UP_FIELDS)
        for name, value in details.items():
            setattr(current, name, value)
        old, new = audit.diff(before, audit.snapshot(current, MAKE_UP_FIELDS))
        if new:
            current.save(update_fields=list(new))
            meeting_summaries.refresh_meeting(meeting, members=[visit.member_id])
            changes.append(
                audit.Change(
                    AuditAction.UPDATE,
                    current,
                    before=old,
                    after=new,
                    object_repr=_member_repr(visit.member, current.made_up_on),
                )
            )
    if visit.make_up_id != current.pk:
        visit.make_up = current
        visit.save(update_fields=["make_up"])


def _new_follow_up(visit: CareVisit, data: dict, actor) -> FollowUp:
    owner_name = data["owner_name"].strip()
    owner = actor if actor is not None and owner_name == actor.display_name else None
    return FollowUp(
        visit=visit,
        matter=data["matter"],
        owner_name=owner_name,
        owner=owner,
        due_on=data["due_on"],
    )


def visit_record(
    *,
    member,
    data: dict,
    follow_up: dict | None = None,
    client_key: uuid.UUID | None = None,
    actor,
    request=None,
) -> tuple[CareVisit, bool]:
    """Record a visit (with an optional follow-up). A 送学上门 naming a meeting closes
    the member's absence for it. Idempotent on `client_key`. Returns (visit, created)."""
    with transaction.atomic():
        if client_key is not None:
            existing = CareVisit.objects.filter(client_key=client_key).first()
            if existing is not None:
                return existing, False
        visit = CareVisit(member=member, recorded_by=actor, client_key=client_key)
        for name in VISIT_FIELDS:
            if name in data:
                setattr(visit, name, data[name])
        if "meeting" in data:
            visit.meeting = data["meeting"]
        if visit.kind != CareVisitKind.HOME_STUDY:
            visit.meeting = None
        try:
            with transaction.atomic():
                visit.save()
        except IntegrityError:
            return CareVisit.objects.get(client_key=client_key), False
        changes = [
            audit.Change(
                AuditAction.CREATE,
                visit,
                object_repr=_member_repr(member, visit.visited_on),
                after=audit.snapshot(visit, VISIT_FIELDS),
            )
        ]
        _attach_make_up(visit, changes, actor=actor, request=request)
        if follow_up:
            item = _new_follow_up(visit, follow_up, actor)
            item.save()
            changes.append(
                audit.Change(
                    AuditAction.CREATE,
                    item,
                    object_repr=_member_repr(member, item.due_on),
                    after=audit.snapshot(item, FOLLOW_UP_FIELDS),
                )
            )
        audit.record_many(changes, actor=actor, request=request)
        summaries.refresh(cared=[member.pk])
        return visit, True


def visit_update(*, visit: CareVisit, data: dict, actor, request=None) -> CareVisit:
    """Change a visit; its make-up follows (moved, updated or removed)."""
    with transaction.atomic():
        visit = CareVisit.objects.select_for_update().select_related("member").get(pk=visit.pk)
        before = audit.snapshot(visit, VISIT_FIELDS)
        for name in VISIT_FIELDS:
            if name in data:
                setattr(visit, name, data[name])
        if "meeting" in data:
            visit.meeting = data["meeting"]
        if visit.kind != CareVisitKind.HOME_STUDY:
            visit.meeting = None
        old, new = audit.diff(before, audit.snapshot(visit, VISIT_FIELDS))
        changes = []
        _detach_make_up(visit, changes)
        if new:
            visit.save()
            changes.append(
                audit.Change(
                    AuditAction.UPDATE,
                    visit,
                    object_repr=_member_repr(visit.member, visit.visited_on),
                    before=old,
                    after=new,
                )
            )
        _attach_make_up(visit, changes, actor=actor, request=request)
        audit.record_many(changes, actor=actor, request=request)
        summaries.refresh(cared=[visit.member_id])
        return visit


def visit_delete(*, visit: CareVisit, actor, request=None) -> None:
    """Delete a visit recorded by mistake, with its follow-ups and the make-up it
    delivered (the member's absence for that meeting opens again)."""
    with transaction.atomic():
        visit = CareVisit.objects.select_for_update().select_related("member").get(pk=visit.pk)
        changes = [
            audit.Change(
                AuditAction.DELETE,
                f,
                before=audit.snapshot(f, FOLLOW_UP_FIELDS),
                object_repr=_member_repr(visit.member, f.due_on),
            )
            for f in visit.follow_ups.all()
        ]
        make_up = MakeUp.objects.filter(care_visit=visit).first()
        if make_up is not None:
            changes.append(
                audit.Change(
                    AuditAction.DELETE,
                    make_up,
                    before=audit.snapshot(make_up, MAKE_UP_FIELDS),
                    object_repr=_member_repr(visit.member, make_up.made_up_on),
                )
            )
        changes.append(
            audit.Change(
                AuditAction.DELETE,
                visit,
                before=audit.snapshot(visit, VISIT_FIELDS),
                object_repr=_member_repr(visit.member, visit.visited_on),
            )
        )
        audit.record_many(changes, actor=actor, request=request)
        visit.delete()
        if make_up is not None:
            make_up.delete()
            meeting_summaries.refresh_meeting(make_up.attendance.meeting, members=[visit.member_id])
        summaries.refresh(cared=[visit.member_id])


# --- Follow-ups -------------------------------------------------------------------------


def follow_up_add(*, visit: CareVisit, data: dict, actor, request=None) -> FollowUp:
    with transaction.atomic():
        item = _new_follow_up(visit, data, actor)
        item.save()
        audit.record(
            AuditAction.CREATE,
            item,
            actor=actor,
            request=request,
            object_repr=_member_repr(visit.member, item.due_on),
            after=audit.snapshot(item, FOLLOW_UP_FIELDS),
        )
        return item


def follow_up_update(*, follow_up: FollowUp, data: dict, actor, request=None) -> FollowUp:
    """Move a follow-up along: open -> in progress -> solved (or closed without a
    solution), or back to open. Solved and closed carry the date (today unless given);
    reopening clears it."""
    with transaction.atomic():
        item = (
            FollowUp.objects.select_for_update()
            .select_related("visit__member")
            .get(pk=follow_up.pk)
        )
        before = audit.snapshot(item, FOLLOW_UP_FIELDS)
        state = data.get("state", item.state)
        if state not in FollowUpState.values:
            raise CareError(_("Unknown state."), "bad_state")
        item.state = state
        for name in ("due_on", "outcome", "owner_name", "matter"):
            if name in data and data[name] is not None:
                setattr(item, name, data[name])
        if state in OPEN_FOLLOW_UPS:
            item.solved_on = None
        else:
            item.solved_on = data.get("solved_on") or item.solved_on or timezone.localdate()
            if item.solved_on < item.visit.visited_on:
                raise CareError(_("A follow-up cannot be solved before the visit."), "before_visit")
        old, new = audit.diff(before, audit.snapshot(item, FOLLOW_UP_FIELDS))
        if new:
            item.save()
            audit.record(
                AuditAction.UPDATE,
                item,
                actor=actor,
                request=request,
                object_repr=_member_repr(item.visit.member, item.due_on),
                before=old,
                after=new,
            )
        return item
