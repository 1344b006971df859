"""A member's own record: created, edited, and their status (deceased, moved away...)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction

from ..models import CommunityRegistration, Member, MemberStatus, RegistrationStatus
from .registration import withdrawal
from .snapshots import MEMBER_FIELDS, REGISTRATION_FIELDS, snapshot


def _raw(obj, fields) -> dict:
    return {name: getattr(obj, obj._meta.get_field(name).attname) for name in fields}


@transaction.atomic
def member_create(
    *,
    actor,
    fields: dict,
    request=None,
    reported_on: datetime.date | None = None,
) -> Member:
    """Create a member; with `reported_on`, also their community registration (reported)."""
    member = Member(**fields)
    member.save()
    changes = [audit.Change(AuditAction.CREATE, member, after=snapshot(member, MEMBER_FIELDS))]
    if reported_on:
        registration = CommunityRegistration.objects.create(
            member=member,
            community=member.community,
            reported_on=reported_on,
            handled_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        changes.append(
            audit.Change(
                AuditAction.CREATE,
                registration,
                after=snapshot(registration, REGISTRATION_FIELDS),
            )
        )
    audit.record_many(changes, actor=actor, request=request)
    return member


@transaction.atomic
def member_update(*, member: Member, changes: dict, actor, request=None) -> list[str]:
    """Apply `changes` (field name -> value); returns the names of the fields that changed.
    Nothing is written (and nothing audited) when nothing changed."""
    before_raw = _raw(member, changes)
    before = snapshot(member, changes)
    for name, value in changes.items():
        setattr(member, name, value)
    changed = [name for name in changes if _raw(member, [name])[name] != before_raw[name]]
    if not changed:
        return []
    member.save(update_fields=[*changed, "updated_at"])
    after = snapshot(member, changed)
    audit.record(
        AuditAction.UPDATE,
        member,
        actor=actor,
        request=request,
        before={k: before[k] for k in changed},
        after=after,
    )
    return changed


@transaction.atomic
def member_set_status(
    *,
    member: Member,
    status: str,
    on: datetime.date | None,
    actor,
    request=None,
    note: str = "",
) -> Member:
    """Active / moved away / deceased (with its date). Moving away ends the member's
    community registration and placement; a death keeps the history as it was."""
    if status != MemberStatus.ACTIVE and on is None:
        raise ValidationError(_("Give the date of the change."))
    if on and on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    member = Member.objects.select_for_update().get(pk=member.pk)
    before = snapshot(member, ["status", "status_on", "home_branch", "party_group"])
    member.status = status
    member.status_on = None if status == MemberStatus.ACTIVE else on
    changes = []
    if status == MemberStatus.MOVED:
        for registration in member.registrations.select_for_update().exclude(
            status=RegistrationStatus.WITHDRAWN
        ):
            changes.append(withdrawal(registration, on, note or _("Moved away"), actor))
        member.home_branch = None
        member.party_group = None
    member.save(update_fields=["status", "status_on", "home_branch", "party_group", "updated_at"])
    after = snapshot(member, ["status", "status_on", "home_branch", "party_group"])
    before, after = audit.diff(before, after)
    if after:
        changes.insert(0, audit.Change(AuditAction.UPDATE, member, before=before, after=after))
    audit.record_many(changes, actor=actor, request=request)
    return member
