"""Writes of unit events: the liaison reports one; the community accepts it, declines it
(with a reason) or does it. Each is one transaction and audited. A state change is a
conditional UPDATE on the event's version: of two secretaries handling the same task at
once, the second is refused with a clear message and nothing of theirs is written.
Closing a task (done or declined) tells the unit through units.messages.message_unit.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from members.masking import MASKS
from members.models import Member, MemberStatus
from members.services.registration import registration_accept
from members.services.roster import member_create, member_set_status, member_update
from units.messages.models import UnitMessage, UnitMessageKind
from units.messages.services import message_unit

from .models import DEFAULT_DAYS, OPEN_STATES, TaskState, UnitEvent, UnitEventKind

EVENT_FIELDS = (
    "kind",
    "unit",
    "community",
    "member",
    "name",
    "gender",
    "birth_date",
    "phone",
    "address",
    "retirement_type",
    "retired_on",
    "former_post",
    "happened_on",
    "details",
    "due_on",
)
STATE_FIELDS = ("state", "outcome", "result_member", "handled_by")
# What the liaison may enter for each kind (the rest stays blank).
NEWCOMER_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "phone",
    "address",
    "retirement_type",
    "retired_on",
    "former_post",
)
RELATION_FIELDS = ("relation_kind", "relation_branch", "relation_note")


class EventError(ValueError):
    """A write the rules refuse; the message is translated for the page."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def snapshot(event: UnitEvent, fields) -> dict:
    """Field values for the audit trail: foreign keys as ids, the name, phone and
    address masked."""
    values = {}
    for name in fields:
        value = getattr(event, event._meta.get_field(name).attname)
        if name == "name" and value:
            value = audit.masked_name(value)
        elif (mask := MASKS.get(name)) and value:
            value = mask(value)
        values[name] = value
    return values


@transaction.atomic
def event_report(*, unit, kind: str, data: dict, actor, request=None) -> UnitEvent:
    """The liaison tells a community about one of the unit's retirees. `data` holds the
    form's fields: member or the newcomer's details, community, happened_on, details,
    due_on (default: today + DEFAULT_DAYS)."""
    today = timezone.localdate()
    member = data.get("member")
    if kind == UnitEventKind.NEWLY_RETIRED:
        member = None
        community = data["community"]
    else:
        if member is None or member.original_unit_id != unit.pk:
            raise EventError(_("Choose one of your unit's retirees."), "member")
        community = member.community
    event = UnitEvent(
        unit=unit,
        kind=kind,
        community=community,
        member=member,
        happened_on=data.get("happened_on"),
        details=data.get("details", ""),
        due_on=data.get("due_on") or today + datetime.timedelta(days=DEFAULT_DAYS),
        reported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if kind == UnitEventKind.NEWLY_RETIRED:
        for name in NEWCOMER_FIELDS:
            setattr(event, name, data[name])
    event.full_clean()
    event.save()
    audit.record(
        AuditAction.CREATE,
        event,
        actor=actor,
        request=request,
        after=snapshot(event, (*EVENT_FIELDS, "state")),
    )
    return event


def _claim(event: UnitEvent, *, version: int, to: str, allowed, actor, outcome="") -> UnitEvent:
    """Move the event to `to` if it is still at `version` and in an `allowed` state;
    otherwise refuse (somebody else handled it meanwhile). Returns the event as stored."""
    now = timezone.now()
    changes = {"state": to, "version": F("version") + 1}
    if to != TaskState.ACCEPTED:
        changes.update(outcome=outcome, handled_at=now)
    if getattr(actor, "is_authenticated", False):
        changes["handled_by"] = actor
    claimed = UnitEvent.objects.filter(pk=event.pk, version=version, state__in=allowed).update(
        **changes
    )
    if not claimed:
        raise EventError(
            _(
                "Someone else handled this task in the meantime. Open it again to see "
                "what they did."
            ),
            "conflict",
        )
    return UnitEvent.objects.select_related("unit", "community", "member").get(pk=event.pk)


def _audit_state(before: dict, event: UnitEvent, *, actor, request) -> audit.Change:
    return audit.Change(
        AuditAction.UPDATE, event, *audit.diff(before, snapshot(event, STATE_FIELDS))
    )


def _tell_unit(event: UnitEvent, *, actor, request) -> None:
    if event.state == TaskState.DONE:
        title = _("%(community)s has done: %(what)s") % {
            "community": event.community.name,
            "what": str(event),
        }
    else:
        title = _("%(community)s declined: %(what)s") % {
            "community": event.community.name,
            "what": str(event),
        }
    message_unit(
        unit=event.unit,
        kind=UnitMessageKind.EVENT_OUTCOME,
        subject=f"event:{event.pk}",
        community=event.community,
        title=title,
        body=event.outcome,
        link=reverse("unit_events:detail", args=[event.pk]),
        actor=actor,
        request=request,
    )


@transaction.atomic
def event_accept(*, event: UnitEvent, version: int, actor, request=None) -> UnitEvent:
    """The community takes the task on (it stays open until done or declined)."""
    before = snapshot(event, STATE_FIELDS)
    event = _claim(
        event, version=version, to=TaskState.ACCEPTED, allowed=[TaskState.OPEN], actor=actor
    )
    audit.record_many(
        [_audit_state(before, event, actor=actor, request=request)], actor=actor, request=request
    )
    return event


@transaction.atomic
def event_decline(*, event: UnitEvent, version: int, reason: str, actor, request=None):
    """The community declines the task; the unit reads the reason."""
    reason = reason.strip()
    if not reason:
        raise EventError(_("Give the reason for declining."), "reason")
    before = snapshot(event, STATE_FIELDS)
    event = _claim(
        event,
        version=version,
        to=TaskState.DECLINED,
        allowed=OPEN_STATES,
        actor=actor,
        outcome=reason,
    )
    audit.record_many(
        [_audit_state(before, event, actor=actor, request=request)], actor=actor, request=request
    )
    _tell_unit(event, actor=actor, request=request)
    return event


def _done(event, before, *, version, outcome, actor, request, member=None) -> UnitEvent:
    event = _claim(
        event,
        version=version,
        to=TaskState.DONE,
        allowed=OPEN_STATES,
        actor=actor,
        outcome=outcome,
    )
    if member is not None:
        UnitEvent.objects.filter(pk=event.pk).update(result_member=member)
        event.result_member = member
    audit.record_many(
        [_audit_state(before, event, actor=actor, request=request)], actor=actor, request=request
    )
    _tell_unit(event, actor=actor, request=request)
    return event


def _member_of(event: UnitEvent) -> Member:
    """The event's retiree, locked, still living in the event's community."""
    member = Member.objects.select_for_update().filter(pk=event.member_id).first()
    if member is None or member.community_id != event.community_id:
        raise EventError(_("This retiree is no longer on this community's roll."), "member")
    if member.status != MemberStatus.ACTIVE:
        raise EventError(_("This retiree's status has already been changed."), "status")
    return member


@transaction.atomic
def event_register(
    *,
    event: UnitEvent,
    version: int,
    fields: dict,
    branch,
    party_group=None,
    actor,
    request=None,
) -> UnitEvent:
    """A newly retired cadre: the member (with the event's unit and community), their
    registration reported and accepted into `branch` (members' services, audited)."""
    if event.kind != UnitEventKind.NEWLY_RETIRED:
        raise EventError(_("This task does not register anybody."), "kind")
    before = snapshot(event, STATE_FIELDS)
    today = timezone.localdate()
    # Claim first, so that a second secretary's registration is never written.
    event = _claim(
        event,
        version=version,
        to=TaskState.DONE,
        allowed=OPEN_STATES,
        actor=actor,
        outcome=_("Registered and placed in %(branch)s.") % {"branch": branch.name},
    )
    try:
        with transaction.atomic():
            member = member_create(
                actor=actor,
                request=request,
                reported_on=today,
                fields={**fields, "community": event.community, "original_unit": event.unit},
            )
    except IntegrityError as error:  # the same ID number registered a moment ago
        raise EventError(
            _("A member with this ID number is already recorded."), "id_number"
        ) from error
    registration_accept(
        registration=member.registrations.get(),
        branch=branch,
        party_group=party_group,
        accepted_on=today,
        actor=actor,
        request=request,
    )
    UnitEvent.objects.filter(pk=event.pk).update(result_member=member)
    event.result_member = member
    audit.record_many(
        [_audit_state(before, event, actor=actor, request=request)], actor=actor, request=request
    )
    _tell_unit(event, actor=actor, request=request)
    return event


@transaction.atomic
def event_status(
    *, event: UnitEvent, version: int, on: datetime.date, outcome: str = "", actor, request=None
) -> UnitEvent:
    """Moved away (the registration withdrawn, the branch left) or died: the member's
    status through members' services, dated `on`."""
    status = {
        UnitEventKind.MOVED: MemberStatus.MOVED,
        UnitEventKind.DIED: MemberStatus.DECEASED,
    }.get(event.kind)
    if status is None:
        raise EventError(_("This task does not change a status."), "kind")
    before = snapshot(event, STATE_FIELDS)
    member = _member_of(event)
    outcome = outcome.strip() or _("Recorded on the roll: %(status)s on %(day)s.") % {
        "status": MemberStatus(status).label,
        "day": on.isoformat(),
    }
    event = _done(
        event, before, version=version, outcome=outcome, actor=actor, request=request, member=member
    )
    try:
        member_set_status(
            member=member, status=status, on=on, actor=actor, request=request, note=outcome[:200]
        )
    except ValidationError as error:
        raise EventError(" ".join(error.messages), "status") from error
    return event


@transaction.atomic
def event_transfer(
    *, event: UnitEvent, version: int, relation: dict, outcome: str = "", actor, request=None
) -> UnitEvent:
    """Party relation transferred: only the relation's three fields change."""
    if event.kind != UnitEventKind.RELATION_TRANSFERRED:
        raise EventError(_("This task does not change a party relation."), "kind")
    before = snapshot(event, STATE_FIELDS)
    member = _member_of(event)
    changes = {name: relation[name] for name in RELATION_FIELDS}
    event = _done(
        event,
        before,
        version=version,
        outcome=outcome.strip() or _("The party relation is updated on the roll."),
        actor=actor,
        request=request,
        member=member,
    )
    member_update(member=member, changes=changes, actor=actor, request=request)
    return event


@transaction.atomic
def event_visited(*, event: UnitEvent, version: int, outcome: str, actor, request=None):
    """A visit asked for: the secretary records the visit in care and closes the task
    with what came of it (the task does not close itself)."""
    if event.kind != UnitEventKind.VISIT_REQUESTED:
        raise EventError(_("This task is not a visit."), "kind")
    outcome = outcome.strip()
    if not outcome:
        raise EventError(_("Say what came of the visit."), "outcome")
    before = snapshot(event, STATE_FIELDS)
    return _done(
        event,
        before,
        version=version,
        outcome=outcome,
        actor=actor,
        request=request,
        member=event.member,
    )


def erase_member(sender, member, actor=None, **kwargs) -> dict:
    """members.erasure's `member_erasing`: the events about the member (a newly retired
    cadre's event carries her name, phone and address too) and the outcome messages that
    named them to the unit go."""
    events = UnitEvent.objects.filter(Q(member=member) | Q(result_member=member))
    subjects = [f"event:{pk}" for pk in events.values_list("pk", flat=True)]
    messages, _by_model = UnitMessage.objects.filter(
        kind=UnitMessageKind.EVENT_OUTCOME, subject__in=subjects
    ).delete()
    deleted, _by_model = events.delete()
    return {"unit_events": deleted, "unit_event_messages": messages} if deleted else {}
