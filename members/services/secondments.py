"""选派在职党员: the in-service party members an original unit sends to a retiree branch,
as its liaison or onto its committee. Recording, correcting and ending a secondment; an
ended secondment leaves the posts it held vacant."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.models import Branch, OriginalUnit

from ..models import Position, SecondedMember
from .committees import holder_ref
from .snapshots import snapshot

# What a secondment's audit record holds (the phone masked, the name masked below).
FIELDS = ["name", "phone", "unit", "branch", "role", "job_title", "starts_on", "ends_on", "note"]
# What an edit may change (the branch stays: a move is a new secondment).
EDITABLE = ["name", "phone", "unit", "role", "job_title", "starts_on", "note"]


def _snapshot(seconded: SecondedMember, fields) -> dict:
    values = snapshot(seconded, fields)
    if "name" in values:
        values["name"] = audit.masked_name(values["name"])
    return values


def _check_dates(starts_on: datetime.date, ends_on: datetime.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The secondment cannot end before it starts.")})


@transaction.atomic
def seconded_create(
    *,
    branch: Branch,
    unit: OriginalUnit,
    name: str,
    role: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    phone: str = "",
    job_title: str = "",
    note: str = "",
    actor,
    request=None,
) -> SecondedMember:
    _check_dates(starts_on, ends_on)
    seconded = SecondedMember.objects.create(
        branch=branch,
        unit=unit,
        name=name,
        role=role,
        starts_on=starts_on,
        ends_on=ends_on,
        phone=phone,
        job_title=job_title,
        note=note,
    )
    audit.record(
        AuditAction.CREATE,
        seconded,
        actor=actor,
        request=request,
        after=_snapshot(seconded, FIELDS),
    )
    return seconded


def _conflict() -> ValidationError:
    return ValidationError(
        _("Somebody else changed this secondment meanwhile. Reload the page and try again.")
    )


@transaction.atomic
def seconded_update(
    *, seconded: SecondedMember, changes: dict, version: int, actor, request=None
) -> list[str]:
    """Apply `changes` (field name -> value, among EDITABLE) to the secondment loaded at
    `version`; a stale version (somebody saved in between) is refused. Only the fields
    whose value changed are written and audited; returns their names."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    current = SecondedMember.objects.select_for_update().get(pk=seconded.pk)
    if current.version != version:
        raise _conflict()
    before = _snapshot(current, changes)
    raw_before = {name: getattr(current, current._meta.get_field(name).attname) for name in changes}
    for name, value in changes.items():
        setattr(current, name, value)
    _check_dates(current.starts_on, current.ends_on)
    changed = [
        name
        for name in changes
        if getattr(current, current._meta.get_field(name).attname) != raw_before[name]
    ]
    if not changed:
        return []
    current.version = version + 1
    current.save(update_fields=[*changed, "version"])
    audit.record(
        AuditAction.UPDATE,
        current,
        actor=actor,
        request=request,
        before={k: before[k] for k in changed},
        after=_snapshot(current, changed),
    )
    return changed


@transaction.atomic
def seconded_end(
    *,
    seconded: SecondedMember,
    ends_on: datetime.date,
    version: int,
    actor,
    request=None,
    today: datetime.date | None = None,
) -> SecondedMember:
    """The secondment ends on `ends_on` (its last day; it may be corrected later). From
    the next day the posts it holds are vacant (Position.vacant_on); once that day has
    come, its posts in terms still running are left empty, as when a member leaves the
    branch (the audit keeps who held them)."""
    today = today or timezone.localdate()
    current = SecondedMember.objects.select_for_update().get(pk=seconded.pk)
    if current.version != version:
        raise _conflict()
    _check_dates(current.starts_on, ends_on)
    changes = []
    if current.ends_on != ends_on:
        changes.append(
            audit.Change(
                AuditAction.UPDATE,
                current,
                before={"ends_on": current.ends_on},
                after={"ends_on": ends_on},
            )
        )
        current.ends_on = ends_on
        current.version = version + 1
        current.save(update_fields=["ends_on", "version"])
    if ends_on < today:
        changes += _vacate(current, ends_on)
    audit.record_many(changes, actor=actor, request=request)
    return current


def _vacate(seconded: SecondedMember, ends_on: datetime.date) -> list[audit.Change]:
    positions = (
        Position.objects.select_for_update()
        .filter(seconded=seconded, term__ends_on__gt=ends_on)
        .select_related("term")
        .order_by("pk")
    )
    changes = []
    for position in positions:
        changes.append(
            audit.Change(
                AuditAction.UPDATE,
                position.term,
                before={"positions": {position.post: holder_ref(position)}},
                after={"positions": {position.post: None}, "reason": "secondment ended"},
            )
        )
        position.seconded = None
        position.save(update_fields=["seconded"])
    return changes


@transaction.atomic
def seconded_delete(*, seconded: SecondedMember, actor, request=None) -> None:
    """Delete a secondment recorded by mistake: only one that holds no post (an ended
    one stays on record)."""
    current = SecondedMember.objects.select_for_update().get(pk=seconded.pk)
    if Position.objects.filter(seconded=current).exists():
        raise ValidationError(
            _("%(name)s holds a committee post: end the secondment instead.")
            % {"name": current.name}
        )
    audit.record(
        AuditAction.DELETE,
        current,
        actor=actor,
        request=request,
        before=_snapshot(current, FIELDS),
    )
    current.delete()
