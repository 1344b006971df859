"""Writing a checked import plan: `members_import`, all at once, in one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, bulk
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
# What the trail lists of an imported member: not the values derived from the others
# (the keyed hash of the health, the latest participation the summaries keep).
CREATED_FIELDS = tuple(
    name for name in MEMBER_FIELDS if name not in {"health_hash", "last_participated_on"}
)


@transaction.atomic
def members_import(*, plan, community, actor, request=None, file_name: str = "") -> ImportOutcome:
    """Write a checked import plan (members.importing.plan.ImportPlan) all at once: new
    original units, new members, changed members, their registrations, in one
    transaction. A plan with errors writes nothing.

    Rows are written chunk by chunk (IMPORT_CHUNK rows: bulk inserts and updates) inside
    the one transaction, so memory stays flat for 10,000 rows. Each chunk is one audit
    entry (audit.record_batch, action "import", on the community): its counts, and each
    member, registration and original unit it created or changed with the masked
    before/after. A roster of up to IMPORT_CHUNK rows is one entry."""
    if plan.errors:
        raise ValidationError(_("The file has errors; nothing was written."))
    writer = _ImportWriter(plan, community, actor, request, file_name)
    writer.create_units()
    for start in range(0, max(len(plan.rows), 1), IMPORT_CHUNK):
        writer.write_chunk(plan.rows[start : start + IMPORT_CHUNK])
    return ImportOutcome(
        created=writer.created,
        updated=writer.updated,
        unchanged=len(plan.rows) - writer.created - writer.updated,
        registrations=writer.registrations,
        units_created=len(writer.units),
    )


class _ImportWriter:
    def __init__(self, plan, community, actor, request, file_name=""):
        self.plan, self.community, self.file_name = plan, community, file_name
        self.actor, self.request = actor, request
        self.handled_by = actor if getattr(actor, "is_authenticated", False) else None
        self.today = timezone.localdate()
        self.units: dict[str, OriginalUnit] = {}
        self.pending: list[audit.Change] = []
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
        # Audited with the first chunk.
        self.pending = [
            audit.Change(AuditAction.CREATE, u, after={"name": u.name, "code": u.code})
            for u in self.units.values()
        ]

    def _unit(self, row, current):
        return self.units[row.new_unit_name].pk if row.new_unit_name else current

    def write_chunk(self, rows):
        changes, self.pending = self.pending, []
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
            bulk.copy_create(Member, members)
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
                audit.Change(AuditAction.CREATE, m, after=snapshot(m, CREATED_FIELDS))
                for m in members
            ]
            self.created += len(members)
        updated = self._update_members([row for row in rows if row.member_id and row.changed])
        changes += updated
        for row in rows:
            if row.member_id:
                member_ids[row.excel_row] = row.member_id
        registered = self.registrations
        changes += self._registrations(rows, member_ids)
        # One entry for the chunk, listing each row's masked before/after.
        registrations = self.registrations - registered
        audit.record_batch(
            AuditAction.IMPORT,
            self.community,
            changes=changes,
            actor=self.actor,
            request=self.request,
            after={
                "file": self.file_name,
                "created": len(creates),
                "updated": len(updated),
                "unchanged": len(rows) - len(creates) - len(updated),
                "registrations": registrations,
                "units_created": sum(1 for c in changes if c.obj.__class__ is OriginalUnit),
            },
            object_repr=self.community.name
            + (f" {rows[0].excel_row}–{rows[-1].excel_row}" if rows else ""),
        )

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
        bulk.copy_create(CommunityRegistration, [r for _row, r in created])
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
