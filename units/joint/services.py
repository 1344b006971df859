"""Writes of the joint meetings. Each function is one transaction and leaves audit rows
(the meeting, each party, each action item). A meeting's form carries the version it was
loaded at, an item's close or reopen the item's: a save over somebody else's newer one
is refused with a conflict, never written over. A unit that owns an item is told
(units.messages.message_unit) when the item is written and when it is closed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.models import Branch, Level, Organization, OriginalUnit
from units.messages.models import UnitMessageKind
from units.messages.services import message_unit

from .models import OWNER_FIELD, ActionItem, JointMeeting, JointParty, Party
from .selectors import LEVEL_PARTY

MEETING_FIELDS = ("held_on", "place", "topic", "matters", "decisions")
PARTY_FIELDS = ("party", "organization_id", "unit_id", "branch_id", "attendees")
ITEM_FIELDS = ("title", "party", "organization_id", "unit_id", "branch_id", "due_on")


@dataclass(frozen=True)
class PartyEntry:
    party: str
    node: Organization | OriginalUnit | Branch
    attendees: str = ""


@dataclass(frozen=True)
class ItemEntry:
    title: str
    party: str
    node: Organization | OriginalUnit | Branch
    due_on: datetime.date
    pk: int | None = None  # an existing item of the meeting (edit)
    delete: bool = False


def _stale():
    return ValidationError(
        _("Someone else saved this in the meantime. Open the page again to see their changes."),
        code="conflict",
    )


def party_of(node) -> str | None:
    """The party a node, unit or branch stands for."""
    if isinstance(node, OriginalUnit):
        return Party.UNIT
    if isinstance(node, Branch):
        return Party.BRANCH
    if isinstance(node, Organization):
        return LEVEL_PARTY.get(node.level)
    return None


def _owner_fields(party: str, node) -> dict:
    fields = {"organization": None, "unit": None, "branch": None}
    fields[OWNER_FIELD[party]] = node
    return fields


def _key(party: str, node_pk: int) -> tuple[str, int]:
    """A party's identity: the party decides whether the pk is a node's, unit's or branch's."""
    return (party, node_pk)


def _row_key(row) -> tuple[str, int]:
    return _key(row.party, row.organization_id or row.unit_id or row.branch_id)


def check(parties: list[PartyEntry], items: list[ItemEntry]) -> None:
    """The rules of a meeting's record, with the reasons in the user's language: each
    node stands for the party it is named as, no party twice, at least two parties, each
    item owned by a party that was there."""
    errors = []
    keys = set()
    for entry in parties:
        if party_of(entry.node) != entry.party:
            errors.append(
                _("%(node)s is not a %(party)s: choose the party it stands for.")
                % {"node": entry.node, "party": Party(entry.party).label}
            )
        key = _key(entry.party, entry.node.pk)
        if key in keys:
            errors.append(_("%(node)s is named twice among the parties.") % {"node": entry.node})
        keys.add(key)
    if len(keys) < 2:
        errors.append(_("A joint meeting has at least two parties: name who took part."))
    for item in items:
        if item.delete:
            continue
        if party_of(item.node) != item.party:
            errors.append(
                _("%(title)s: %(node)s is not a %(party)s: choose the owner's party.")
                % {"title": item.title, "node": item.node, "party": Party(item.party).label}
            )
        elif _key(item.party, item.node.pk) not in keys:
            errors.append(
                _("%(title)s: its owner %(node)s was not among the parties.")
                % {"title": item.title, "node": item.node}
            )
    if errors:
        raise ValidationError(errors)


def _tell_unit(item: ActionItem, *, closed: bool, actor, request) -> None:
    if item.unit_id is None:
        return
    meeting = item.meeting
    if closed:
        title = _("Action item done: %(title)s") % {"title": item.title}
        body = item.closing_note
    else:
        title = _("Action item for your unit: %(title)s") % {"title": item.title}
        body = _("From the joint meeting of %(day)s (%(topic)s); due on %(due)s.") % {
            "day": meeting.held_on.isoformat(),
            "topic": meeting.topic,
            "due": item.due_on.isoformat(),
        }
    message_unit(
        unit=item.unit,
        kind=UnitMessageKind.ACTION_ITEM,
        subject=f"action:{item.pk}:closed" if closed else f"action:{item.pk}",
        title=title,
        body=body,
        link=reverse("joint:meeting", args=[meeting.pk]),
        community=meeting.area if meeting.area.level == Level.COMMUNITY else None,
        actor=actor,
        request=request,
    )


def _write_parties(meeting, parties: list[PartyEntry]) -> list[audit.Change]:
    """Keep the parties named again (their attendees updated), add the new, drop the rest."""
    changes = []
    existing = {_row_key(p): p for p in meeting.parties.all()}
    wanted = set()
    for entry in parties:
        key = _key(entry.party, entry.node.pk)
        wanted.add(key)
        row = existing.get(key)
        if row is None:
            row = JointParty.objects.create(
                meeting=meeting,
                party=entry.party,
                attendees=entry.attendees,
                **_owner_fields(entry.party, entry.node),
            )
            changes.append(
                audit.Change(AuditAction.CREATE, row, after=audit.snapshot(row, PARTY_FIELDS))
            )
        elif row.attendees != entry.attendees:
            before = {"attendees": row.attendees}
            row.attendees = entry.attendees
            row.save(update_fields=["attendees"])
            changes.append(
                audit.Change(AuditAction.UPDATE, row, before, {"attendees": entry.attendees})
            )
    for key, row in existing.items():
        if key not in wanted:
            changes.append(
                audit.Change(AuditAction.DELETE, row, before=audit.snapshot(row, PARTY_FIELDS))
            )
            JointParty.objects.filter(pk=row.pk).delete()  # keeps row.pk for the audit
    return changes


def _write_items(meeting, items: list[ItemEntry]) -> tuple[list[audit.Change], list[ActionItem]]:
    """Create the new items, change or delete the open ones named by pk. Returns the
    audit changes and the items a unit is to hear about."""
    changes, told = [], []
    current = {i.pk: i for i in meeting.action_items.filter(closed_at__isnull=True)}
    for entry in items:
        fields = {"title": entry.title, "due_on": entry.due_on, "party": entry.party}
        fields.update(_owner_fields(entry.party, entry.node))
        if entry.pk is None:
            if entry.delete:
                continue
            item = ActionItem.objects.create(meeting=meeting, **fields)
            changes.append(
                audit.Change(AuditAction.CREATE, item, after=audit.snapshot(item, ITEM_FIELDS))
            )
            told.append(item)
            continue
        item = current.get(entry.pk)
        if item is None:  # closed or gone since the form was loaded
            raise _stale()
        if entry.delete:
            changes.append(
                audit.Change(AuditAction.DELETE, item, before=audit.snapshot(item, ITEM_FIELDS))
            )
            ActionItem.objects.filter(pk=item.pk).delete()  # keeps item.pk for the audit
            continue
        before = audit.snapshot(item, ITEM_FIELDS)
        for name, value in fields.items():
            setattr(item, name, value)
        old, new = audit.diff(before, audit.snapshot(item, ITEM_FIELDS))
        if new:
            item.version += 1
            item.save(update_fields=[*fields, "version"])
            changes.append(audit.Change(AuditAction.UPDATE, item, old, new))
            if item.unit_id:
                told.append(item)
    return changes, told


@transaction.atomic
def meeting_record(
    *, area, data: dict, parties: list[PartyEntry], items: list[ItemEntry], actor, request=None
) -> JointMeeting:
    """Record a joint meeting convened by `area`, its parties and its action items."""
    check(parties, items)
    meeting = JointMeeting.objects.create(
        area=area, recorded_by=actor, **{k: data[k] for k in MEETING_FIELDS}
    )
    changes = [
        audit.Change(
            AuditAction.CREATE,
            meeting,
            after={"area_id": area.pk, **audit.snapshot(meeting, MEETING_FIELDS)},
        )
    ]
    changes += _write_parties(meeting, parties)
    item_changes, told = _write_items(meeting, items)
    audit.record_many([*changes, *item_changes], actor=actor, request=request)
    for item in told:
        _tell_unit(item, closed=False, actor=actor, request=request)
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: JointMeeting,
    data: dict,
    parties: list[PartyEntry],
    items: list[ItemEntry],
    version: int,
    actor,
    request=None,
) -> bool:
    """Save an edited record over `version`; False when nothing changed."""
    locked = JointMeeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.version != version:
        raise _stale()
    # A closed item's owner stays a party of the meeting.
    closed = [
        ItemEntry(i.title, i.party, i.owner, i.due_on)
        for i in locked.action_items.filter(closed_at__isnull=False).select_related(
            "organization", "unit", "branch"
        )
    ]
    check(parties, [*items, *closed])
    before = audit.snapshot(locked, MEETING_FIELDS)
    old, new = audit.diff(before, {k: data[k] for k in MEETING_FIELDS if k in data})
    changes = []
    if new:
        for name, value in new.items():
            setattr(locked, name, value)
        changes.append(audit.Change(AuditAction.UPDATE, locked, old, new))
    changes += _write_parties(locked, parties)
    item_changes, told = _write_items(locked, items)
    changes += item_changes
    if not changes:
        return False
    locked.version += 1
    locked.save(update_fields=[*new, "version"])
    audit.record_many(changes, actor=actor, request=request)
    for item in told:
        _tell_unit(item, closed=False, actor=actor, request=request)
    meeting.version = locked.version
    return True


@transaction.atomic
def item_close(*, item: ActionItem, note: str, version: int, actor, request=None) -> None:
    """The owner closes an open item with what was done."""
    now = timezone.now()
    done = ActionItem.objects.filter(pk=item.pk, version=version, closed_at__isnull=True).update(
        closed_at=now, closed_by=actor, closing_note=note, version=F("version") + 1
    )
    if not done:
        if ActionItem.objects.filter(pk=item.pk, closed_at__isnull=False).exists():
            raise ValidationError(
                _("This action item was closed already, by somebody else or a second click."),
                code="closed",
            )
        raise _stale()
    audit.record(
        AuditAction.UPDATE,
        item,
        actor=actor,
        request=request,
        before={"closed_at": None, "closing_note": item.closing_note},
        after={"closed_at": now, "closing_note": note},
    )
    item.closed_at, item.closed_by, item.closing_note = now, actor, note
    item.version = version + 1
    _tell_unit(item, closed=True, actor=actor, request=request)


@transaction.atomic
def item_reopen(*, item: ActionItem, version: int, actor, request=None) -> None:
    """The recorder opens a closed item again (the work was not done after all); its
    closing note stays in the audit trail."""
    done = ActionItem.objects.filter(pk=item.pk, version=version, closed_at__isnull=False).update(
        closed_at=None, closed_by=None, closing_note="", version=F("version") + 1
    )
    if not done:
        raise _stale()
    audit.record(
        AuditAction.UPDATE,
        item,
        actor=actor,
        request=request,
        before={"closed_at": item.closed_at, "closing_note": item.closing_note},
        after={"closed_at": None, "closing_note": ""},
    )
    item.closed_at, item.closed_by, item.closing_note = None, None, ""
    item.version = version + 1
