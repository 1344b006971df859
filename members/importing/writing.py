"""Writing a checked import plan: `members_import`, all at once, in one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.crypto import refresh_hashes
from accounts.models import AuditAction
from branches.models import OriginalUnit

from ..models import CommunityRegistration, Member, RegistrationStatus
from ..services.snapshots import MEMBER_FIELDS, REGISTRATION_FIELDS, snapshot


@dataclass
class ImportOutcome:
    created: int
    updated: int
    unchanged: int
    registrations: int
    units_created: int


IMPORT_CHUNK = 1000


@transaction.atomic
def members_import(*, plan, community, actor, request=None, file_name: str = "") -> ImportOutcome:
    """Write a checked import plan (members.importing.plan.ImportPlan) all at once: new
    original units, new members, changed members, their registrations, and an audit
    record for each, in one transaction. A plan with errors writes nothing.

    Rows are written and audited chunk by chunk (bulk inserts and updates, one audit
    insert per chunk) inside the one transaction, so memory stays flat for 10,000 rows."""
    if plan.errors:
        raise ValidationError(_("The file has errors; nothing was written."))
    writer = _ImportWriter(plan, community, actor, request)
    writer.create_units()
    for start in range(0, len(plan.rows), IMPORT_CHUNK):
        writer.write_chunk(plan.rows[start : start + IMPORT_CHUNK])
    outcome = ImportOutcome(
        created=writer.created,
        updated=writer.updated,
        unchanged=len(plan.rows) - writer.created - writer.updated,
        registrations=writer.registrations,
        units_created=len(writer.units),
    )
    audit.record(
        AuditAction.IMPORT,
        community,
        actor=actor,
        request=request,
        after={
            "file": file_name,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "registrations": outcome.registrations,
            "units_created": outcome.units_created,
        },
    )
    return outcome


class _ImportWriter:
    def __init__(self, plan, community, actor, request):
        self.plan, self.community = plan, community
        self.actor, self.request = actor, request
        self.handled_by = actor if getattr(actor, "is_authenticated", False) else None
        self.today = timezone.localdate()
        self.units: dict[str, OriginalUnit] = {}
        self.created = self.updated = self.registrations = 0

    def create_units(self):
        if not self.plan.new_units:
            return
        new_units = [
            OriginalUnit(
                name=name, code=_unit_code(self.community, name), district=self.plan.district
            )
            for name in sorted(self.plan.new_units)
        ]
        OriginalUnit.objects.bulk_create(new_units, batch_size=500)
        codes = [u.code for u in new_units]
        self.units = {u.name: u for u in OriginalUnit.objects.filter(code__in=codes)}
        audit.record_many(
            [
                audit.Change(AuditAction.CREATE, u, after={"name": u.name, "code": u.code})
                for u in self.units.values()
            ],
            actor=self.actor,
            request=self.request,
        )

    def _unit(self, row, current):
        return self.units[row.new_unit_name].pk if row.new_unit_name else current

    def write_chunk(self, rows):
        changes: list[audit.Change] = []
        member_ids = {}  # excel row -> member id
        creates = [row for row in rows if row.member_id is None]
        if creates:
            members = [
                Member(
                    community=self.community,
                    **dict(
                        row.fields,
                        original_unit_id=self._unit(row, row.fields.get("original_unit_id")),
                    ),
                )
                for row in creates
            ]
            Member.objects.bulk_create(members)
            if members[0].pk is None:  # a backend without RETURNING
                # bulk_create has set each id_number_hash (KeyedHashField.pre_save).
                ids = dict(
                    Member.objects.filter(
                        id_number_hash__in=[m.id_number_hash for m in members]
                    ).values_list("id_number_hash", "pk")
                )
                for member in members:
                    member.pk = ids[member.id_number_hash]
            for row, member in zip(creates, members, strict=True):
                member_ids[row.excel_row] = member.pk
            changes += [
                audit.Change(AuditAction.CREATE, m, after=snapshot(m, MEMBER_FIELDS))
                for m in members
            ]
            self.created += len(members)
        changes += self._update_members([row for row in rows if row.member_id and row.changed])
        for row in rows:
            if row.member_id:
                member_ids[row.excel_row] = row.member_id
        changes += self._registrations(rows, member_ids)
        audit.record_many(changes, actor=self.actor, request=self.request)

    def _update_members(self, rows):
        if not rows:
            return []
        existing = Member.objects.select_for_update().in_bulk([row.member_id for row in rows])
        changes, touched = [], set()
        now = timezone.now()
        for row in rows:
            member = existing[row.member_id]
            values = dict(row.changed)
            if row.new_unit_name:
                values["original_unit_id"] = self._unit(row, None)
            names = [Member._meta.get_field(k.removesuffix("_id")).name for k in values]
            before = snapshot(member, names)
            for key, value in values.items():
                setattr(member, key, value)
            member.updated_at = now
            touched.update(names)
            before, after = audit.diff(before, snapshot(member, names))
            changes.append(audit.Change(AuditAction.UPDATE, member, before=before, after=after))
        members = list(existing.values())
        # bulk_update skips pre_save: a changed health needs its keyed hash set here.
        fields = refresh_hashes(Member, members, [*sorted(touched), "updated_at"])
        Member.objects.bulk_update(members, fields)
        self.updated += len(rows)
        return changes

    def _registrations(self, rows, member_ids):
        """A new registration for each member without a live one; a branch named in the
        file accepts it (or re-places an accepted one). Audited as "张** #pk → community"
        (from the row: str() would query each member)."""
        known = [row.member_id for row in rows if row.member_id]
        live = {
            r.member_id: r
            for r in CommunityRegistration.objects.select_for_update()
            .filter(member_id__in=known)
            .exclude(status=RegistrationStatus.WITHDRAWN)
        }
        label = f" → {self.community.name}"
        created, changed, changes = [], [], []
        for row in rows:
            member_id = member_ids[row.excel_row]
            registration = live.get(member_id)
            # A row without a branch keeps the placement; without a 党小组 column (or with
            # the same group) the group stays within the same branch.
            branch_id = row.branch_id or (registration.branch_id if registration else None)
            if row.party_group_id or "party_group_id" in row.changed:
                group_id = row.changed.get("party_group_id", row.party_group_id)
            elif registration is not None and registration.branch_id == branch_id:
                group_id = registration.party_group_id
            else:
                group_id = None
            if registration is None:
                registration = CommunityRegistration(
                    member_id=member_id,
                    community=self.community,
                    reported_on=row.reported_on or self.today,
                    handled_by=self.handled_by,
                )
                if branch_id:
                    registration.status = RegistrationStatus.ACCEPTED
                    registration.accepted_on = row.reported_on or self.today
                    registration.branch_id, registration.party_group_id = branch_id, group_id
                created.append((row, registration))
            elif branch_id and (registration.branch_id, registration.party_group_id) != (
                branch_id,
                group_id,
            ):
                before = snapshot(registration, REGISTRATION_FIELDS)
                if registration.status == RegistrationStatus.REPORTED:
                    registration.status = RegistrationStatus.ACCEPTED
                    registration.accepted_on = self.today
                registration.branch_id, registration.party_group_id = branch_id, group_id
                changed.append(registration)
                before, after = audit.diff(before, snapshot(registration, REGISTRATION_FIELDS))
                changes.append(
                    audit.Change(
                        AuditAction.UPDATE,
                        registration,
                        before=before,
                        after=after,
                        object_repr=audit.person_repr(row.name, member_id) + label,
                    )
                )
        CommunityRegistration.objects.bulk_create([r for _row, r in created])
        changes += [
            audit.Change(
                AuditAction.CREATE,
                registration,
                after=snapshot(registration, REGISTRATION_FIELDS),
                object_repr=audit.person_repr(row.name, registration.member_id) + label,
            )
            for row, registration in created
        ]
        if changed:
            CommunityRegistration.objects.bulk_update(
                changed, ["status", "accepted_on", "branch", "party_group"]
            )
        self.registrations += len(created)
        return changes


def _unit_code(community, name: str) -> str:
    digest = hashlib.sha1(f"{community.pk}:{name}".encode(), usedforsecurity=False).hexdigest()
    return f"IMP{digest[:12].upper()}"
