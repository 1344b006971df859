"""Writes to the roster. Each function is one transaction and leaves audit records
(accounts.audit) inside it, bulk paths included. Keyword-only arguments.

Sensitive values (ID number, phone, address) are stored masked in audit snapshots: the
trail says that they changed and who changed them without copying them out. A member's
name is never written to the trail either: snapshots hold it masked and descriptions
name the member by masked name and pk (accounts.audit.person_repr), so that an erased
member is named nowhere.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.crypto import refresh_hashes
from accounts.models import AuditAction
from branches.models import Branch, BranchKind, OriginalUnit, PartyGroup

from . import selectors
from .masking import MASKS
from .models import (
    BranchMembership,
    CommitteeTerm,
    CommunityRegistration,
    GroupLeader,
    Member,
    MemberStatus,
    Position,
    Post,
    Recognition,
    RegistrationStatus,
    ServiceRole,
)

# The member fields an audit snapshot covers
# (all stored fields but the timestamps; not the ID number's lookup hash).
MEMBER_FIELDS = [
    f.name
    for f in Member._meta.concrete_fields
    if f.name not in {"id", "created_at", "updated_at", "id_number_hash"}
]
REGISTRATION_FIELDS = [
    "status",
    "community",
    "branch",
    "party_group",
    "reported_on",
    "accepted_on",
    "notified_on",
    "withdrawn_on",
    "note",
]


def _value(obj, name):
    field = obj._meta.get_field(name)
    value = getattr(obj, field.attname)
    if name == "name" and isinstance(obj, Member):
        return audit.masked_name(value)
    mask = MASKS.get(name)
    return mask(value) if mask and value else value


def snapshot(obj, fields) -> dict:
    """Field values for an audit record (foreign keys as ids, sensitive ones masked)."""
    return {name: _value(obj, name) for name in fields}


def _raw(obj, fields) -> dict:
    return {name: getattr(obj, obj._meta.get_field(name).attname) for name in fields}


# --- members ---------------------------------------------------------------------------


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
            changes.append(_withdraw(registration, on, note or _("Moved away"), actor))
        member.home_branch = None
        member.party_group = None
    member.save(update_fields=["status", "status_on", "home_branch", "party_group", "updated_at"])
    after = snapshot(member, ["status", "status_on", "home_branch", "party_group"])
    before, after = audit.diff(before, after)
    if after:
        changes.insert(0, audit.Change(AuditAction.UPDATE, member, before=before, after=after))
    audit.record_many(changes, actor=actor, request=request)
    return member


# --- community registration ------------------------------------------------------------


@transaction.atomic
def registration_report(
    *, member: Member, community, reported_on: datetime.date, actor, request=None, note=""
) -> CommunityRegistration:
    """The member reports to the community where they live (status: reported)."""
    if member.registrations.exclude(status=RegistrationStatus.WITHDRAWN).exists():
        raise ValidationError(
            _("This member already has a registration; withdraw it before a new one.")
        )
    registration = CommunityRegistration.objects.create(
        member=member,
        community=community,
        reported_on=reported_on,
        note=note,
        handled_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        AuditAction.CREATE,
        registration,
        actor=actor,
        request=request,
        after=snapshot(registration, REGISTRATION_FIELDS),
    )
    return registration


def check_placement(community, branch: Branch, party_group: PartyGroup | None):
    """A home branch is an active community branch of the registration's community, and
    the party group belongs to that branch."""
    errors = {}
    joint_here = branch.kind == BranchKind.JOINT and community.path.startswith(
        branch.organization.path
    )
    if not joint_here and (
        branch.organization_id != community.pk or branch.kind != BranchKind.COMMUNITY
    ):
        errors["branch"] = _("Choose a community branch of %(community)s.") % {
            "community": community.name
        }
    elif branch.is_dissolved:
        errors["branch"] = _("This branch has been dissolved.")
    if party_group is not None and party_group.branch_id != branch.pk:
        errors["party_group"] = _("This party group belongs to another branch.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def registration_accept(
    *,
    registration: CommunityRegistration,
    branch: Branch,
    party_group: PartyGroup | None = None,
    accepted_on: datetime.date | None = None,
    actor,
    request=None,
) -> CommunityRegistration:
    """The community accepts the registration and places the member in a home branch
    (and party group). An accepted registration can be placed again (moved to another
    branch of the same community) without changing its status."""
    registration = (
        CommunityRegistration.objects.select_for_update()
        .select_related("community")
        .get(pk=registration.pk)
    )
    if registration.status == RegistrationStatus.WITHDRAWN:
        raise ValidationError(_("A withdrawn registration cannot be accepted."))
    check_placement(registration.community, branch, party_group)
    before = snapshot(registration, REGISTRATION_FIELDS)
    if registration.status == RegistrationStatus.REPORTED:
        registration.status = RegistrationStatus.ACCEPTED
        registration.accepted_on = accepted_on or timezone.localdate()
    registration.branch = branch
    registration.party_group = party_group
    if getattr(actor, "is_authenticated", False):
        registration.handled_by = actor
    registration.save()
    member = Member.objects.select_for_update().get(pk=registration.member_id)
    member_before = snapshot(member, ["community", "home_branch", "party_group"])
    left = member.home_branch_id if member.home_branch_id not in (None, branch.pk) else None
    member.community_id = registration.community_id
    member.home_branch = branch
    member.party_group = party_group
    member.save(update_fields=["community", "home_branch", "party_group", "updated_at"])
    changes = [
        audit.Change(
            AuditAction.UPDATE,
            registration,
            *audit.diff(before, snapshot(registration, REGISTRATION_FIELDS)),
        )
    ]
    member_change = audit.diff(
        member_before, snapshot(member, ["community", "home_branch", "party_group"])
    )
    if member_change[1]:
        changes.append(audit.Change(AuditAction.UPDATE, member, *member_change))
    if left is not None:  # placed in another branch: the posts held in the old one
        changes += _vacate_posts(member_id=member.pk, branch_id=left, on=timezone.localdate())
    audit.record_many(changes, actor=actor, request=request)
    return registration


@transaction.atomic
def registration_notify_unit(
    *,
    registration: CommunityRegistration,
    notified_on: datetime.date | None = None,
    actor,
    request=None,
) -> CommunityRegistration:
    """Record that the original unit was told of the accepted registration."""
    registration = (
        CommunityRegistration.objects.select_for_update()
        .select_related("member")
        .get(pk=registration.pk)
    )
    if registration.status != RegistrationStatus.ACCEPTED:
        raise ValidationError(_("Only an accepted registration can be notified to the unit."))
    if registration.member.original_unit_id is None:
        raise ValidationError(_("No original unit is recorded for this member."))
    before = snapshot(registration, REGISTRATION_FIELDS)
    registration.status = RegistrationStatus.NOTIFIED
    registration.notified_on = notified_on or timezone.localdate()
    registration.save(update_fields=["status", "notified_on"])
    audit.record(
        AuditAction.UPDATE,
        registration,
        actor=actor,
        request=request,
        **dict(
            zip(
                ("before", "after"),
                audit.diff(before, snapshot(registration, REGISTRATION_FIELDS)),
                strict=True,
            )
        ),
    )
    return registration


def _withdraw(registration, withdrawn_on, reason, actor) -> audit.Change:
    before = snapshot(registration, REGISTRATION_FIELDS)
    registration.status = RegistrationStatus.WITHDRAWN
    registration.withdrawn_on = withdrawn_on or timezone.localdate()
    if reason:
        registration.note = reason[:200]
    registration.save(update_fields=["status", "withdrawn_on", "note"])
    return audit.Change(
        AuditAction.UPDATE,
        registration,
        *audit.diff(before, snapshot(registration, REGISTRATION_FIELDS)),
    )


@transaction.atomic
def registration_withdraw(
    *,
    registration: CommunityRegistration,
    withdrawn_on: datetime.date | None = None,
    reason: str = "",
    actor,
    request=None,
) -> CommunityRegistration:
    """End a registration (e.g. registered by mistake, or re-registering elsewhere).
    The member leaves the home branch it placed them in."""
    registration = CommunityRegistration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == RegistrationStatus.WITHDRAWN:
        raise ValidationError(_("This registration is already withdrawn."))
    changes = [_withdraw(registration, withdrawn_on, reason, actor)]
    member = Member.objects.select_for_update().get(pk=registration.member_id)
    if registration.branch_id and member.home_branch_id == registration.branch_id:
        before = snapshot(member, ["home_branch", "party_group"])
        member.home_branch = None
        member.party_group = None
        member.save(update_fields=["home_branch", "party_group", "updated_at"])
        changes.append(
            audit.Change(
                AuditAction.UPDATE, member, before, snapshot(member, ["home_branch", "party_group"])
            )
        )
    audit.record_many(changes, actor=actor, request=request)
    return registration


# --- roles, honours, committees --------------------------------------------------------


@transaction.atomic
def service_role_create(*, member: Member, fields: dict, actor, request=None) -> ServiceRole:
    role = ServiceRole.objects.create(member=member, **fields)
    audit.record(
        AuditAction.CREATE,
        role,
        actor=actor,
        request=request,
        after={"member": member.pk, **{k: v for k, v in fields.items()}},
    )
    return role


@transaction.atomic
def recognition_create(*, member: Member, fields: dict, actor, request=None) -> Recognition:
    recognition = Recognition.objects.create(member=member, **fields)
    audit.record(
        AuditAction.CREATE,
        recognition,
        actor=actor,
        request=request,
        after={"member": member.pk, **fields},
    )
    return recognition


@transaction.atomic
def committee_term_create(
    *,
    branch: Branch,
    number: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    has_committee: bool,
    holders: dict[str, Member | None],
    actor,
    request=None,
) -> CommitteeTerm:
    """A new term of the branch committee with its posts (a post may be left vacant).

    An election (换届) ends the term it replaces: a term still running when the new one
    starts now ends the day before (audited). A new term may not reach into a later
    term, nor repeat a term's number."""
    eligible = set(selectors.branch_members(branch).values_list("pk", flat=True))
    for member in holders.values():
        if member is not None and member.pk not in eligible:
            raise ValidationError(
                _("%(name)s is not a member of this branch.") % {"name": member.name}
            )
    others = list(CommitteeTerm.objects.select_for_update().filter(branch=branch))
    if any(t.number == number for t in others):
        raise ValidationError(
            {"number": _("Term %(number)d is already recorded.") % {"number": number}}
        )
    _refuse_overlap([t for t in others if t.starts_on >= starts_on], starts_on, ends_on)
    replaced = [t for t in others if t.starts_on < starts_on <= t.ends_on]
    for old in replaced:
        ended_on = starts_on - datetime.timedelta(days=1)
        audit.record(
            AuditAction.UPDATE,
            old,
            actor=actor,
            request=request,
            before={"ends_on": old.ends_on},
            after={"ends_on": ended_on, "replaced_by": number},
        )
        old.ends_on = ended_on
        old.save(update_fields=["ends_on"])
    term = CommitteeTerm.objects.create(
        branch=branch,
        number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        has_committee=has_committee,
    )
    positions = Position.objects.bulk_create(
        [Position(term=term, post=post, member=member) for post, member in holders.items()]
    )
    audit.record(
        AuditAction.CREATE,
        term,
        actor=actor,
        request=request,
        after={
            "branch": branch.pk,
            "number": number,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "has_committee": has_committee,
            "positions": {p.post: p.member_id for p in positions},
        },
    )
    return term


def _refuse_overlap(terms, starts_on: datetime.date, ends_on: datetime.date) -> None:
    """A branch has one committee at a time: no two terms share a day."""
    for term in terms:
        if term.starts_on <= ends_on and starts_on <= term.ends_on:
            raise ValidationError(
                {
                    "starts_on": _("These dates overlap term %(number)d (%(start)s to %(end)s).")
                    % {
                        "number": term.number,
                        "start": f"{term.starts_on:%Y-%m-%d}",
                        "end": f"{term.ends_on:%Y-%m-%d}",
                    }
                }
            )


@transaction.atomic
def committee_term_update(
    *,
    term: CommitteeTerm,
    starts_on: datetime.date,
    ends_on: datetime.date,
    has_committee: bool,
    holders: dict[str, Member | None],
    actor,
    request=None,
) -> list[str]:
    """Correct a term's dates and committee and fill, change or clear its posts (e.g. the
    secretary died or moved away). `holders` maps each post shown to its holder (None:
    vacant). A newly named holder must be an active member of the branch; an unchanged
    one may stay whatever became of them (the post then shows as vacant). A secretary-only
    term keeps only a secretary and, if named, a deputy. Returns what changed (nothing is
    written or audited when nothing did)."""
    term = CommitteeTerm.objects.select_for_update().select_related("branch").get(pk=term.pk)
    if not has_committee:
        holders = {
            post: member
            for post, member in holders.items()
            if post == Post.SECRETARY or (post == Post.DEPUTY_SECRETARY and member is not None)
        }
    if ends_on <= starts_on:
        raise ValidationError({"ends_on": _("The term must end after it starts.")})
    if (starts_on, ends_on) != (term.starts_on, term.ends_on):
        _refuse_overlap(
            CommitteeTerm.objects.filter(branch=term.branch).exclude(pk=term.pk),
            starts_on,
            ends_on,
        )
    named = [m.pk for m in holders.values() if m is not None]
    if len(named) != len(set(named)):
        raise ValidationError(_("One person cannot hold two posts."))
    positions = {p.post: p for p in term.positions.select_for_update() if p.post != Post.MEMBER}
    eligible = set(selectors.branch_members(term.branch).values_list("pk", flat=True))
    for post, member in holders.items():
        current = positions.get(post)
        unchanged = current is not None and current.member_id == (member and member.pk)
        if member is not None and not unchanged and member.pk not in eligible:
            raise ValidationError(
                {
                    f"post_{post}": _("%(name)s is not a member of this branch.")
                    % {"name": member.name}
                }
            )
    before = {
        "starts_on": term.starts_on,
        "ends_on": term.ends_on,
        "has_committee": term.has_committee,
        "positions": {post: p.member_id for post, p in positions.items()},
    }
    term.starts_on, term.ends_on, term.has_committee = starts_on, ends_on, has_committee
    term.save(update_fields=["starts_on", "ends_on", "has_committee"])
    after_positions = {}
    for post, member in holders.items():
        position = positions.get(post)
        if position is None:
            position = Position.objects.create(term=term, post=post, member=member)
        elif position.member_id != (member and member.pk):
            position.member = member
            position.save(update_fields=["member"])
        after_positions[post] = position.member_id
    dropped = []
    if not has_committee:
        # A secretary-only term drops the committee's other posts.
        dropped = [p for post, p in positions.items() if post not in holders]
        dropped += list(term.positions.filter(post=Post.MEMBER))
    else:
        for post, position in positions.items():
            after_positions.setdefault(post, position.member_id)
    Position.objects.filter(pk__in=[p.pk for p in dropped]).delete()
    after = {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "has_committee": has_committee,
        "positions": after_positions,
    }
    if dropped:
        after["removed"] = [[p.post, p.member_id] for p in dropped]
    before, after = audit.diff(before, after)
    if after:
        audit.record(
            AuditAction.UPDATE, term, actor=actor, request=request, before=before, after=after
        )
    return list(after)


@transaction.atomic
def membership_add(
    *, member: Member, branch: Branch, joined_on: datetime.date, actor, request=None
) -> BranchMembership:
    """The member takes part in a functional branch or volunteer team besides the home
    branch (where their attendance still counts)."""
    if branch.pk == member.home_branch_id:
        raise ValidationError(_("This is the member's home branch already."))
    membership, created = BranchMembership.objects.get_or_create(
        member=member, branch=branch, defaults={"joined_on": joined_on}
    )
    if not created:
        if membership.left_on is None:
            raise ValidationError(_("The member already takes part in this branch."))
        membership.joined_on, membership.left_on, membership.left_reason = joined_on, None, ""
        membership.save(update_fields=["joined_on", "left_on", "left_reason"])
    audit.record(
        AuditAction.CREATE if created else AuditAction.UPDATE,
        membership,
        actor=actor,
        request=request,
        after={"member": member.pk, "branch": branch.pk, "joined_on": joined_on},
    )
    return membership


def _check_end(on: datetime.date, start: datetime.date | None, field: str, start_message: str):
    """An end date: not after today (the portal records what happened) and not before
    the start. Errors are keyed by the form field that gave the date."""
    if on > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})
    if start and on < start:
        raise ValidationError({field: start_message % {"date": start.isoformat()}})


@transaction.atomic
def membership_end(
    *, membership: BranchMembership, left_on: datetime.date, reason: str = "", actor, request=None
) -> BranchMembership:
    """The member leaves a functional branch or team (the record stays, with its dates):
    they no longer count among that branch's members."""
    membership = BranchMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.left_on is not None:
        raise ValidationError(_("The member has already left this branch."))
    _check_end(
        left_on,
        membership.joined_on,
        "left_on",
        _("The leaving date cannot be before the joining date (%(date)s)."),
    )
    before = snapshot(membership, ["left_on", "left_reason"])
    membership.left_on, membership.left_reason = left_on, reason.strip()[:200]
    membership.save(update_fields=["left_on", "left_reason"])
    changes = [
        audit.Change(
            AuditAction.UPDATE,
            membership,
            before=before,
            after=snapshot(membership, ["left_on", "left_reason"]),
        ),
        *_vacate_posts(member_id=membership.member_id, branch_id=membership.branch_id, on=left_on),
    ]
    audit.record_many(changes, actor=actor, request=request)
    return membership


def _vacate_posts(*, member_id: int, branch_id: int, on: datetime.date) -> list[audit.Change]:
    """A member who leaves a branch leaves the posts they hold in its terms still running
    on `on`: those posts become vacant, and the branch page warns about them (the audit
    keeps who held them)."""
    changes = []
    positions = (
        Position.objects.select_for_update()
        .filter(member_id=member_id, term__branch_id=branch_id, term__ends_on__gte=on)
        .select_related("term")
    )
    for position in positions:
        changes.append(
            audit.Change(
                AuditAction.UPDATE,
                position.term,
                before={"positions": {position.post: member_id}},
                after={"positions": {position.post: None}, "reason": "left the branch"},
            )
        )
        position.member = None
        position.save(update_fields=["member"])
    return changes


@transaction.atomic
def service_role_end(
    *, role: ServiceRole, ends_on: datetime.date, actor, request=None
) -> ServiceRole:
    """The member stops playing this part from `ends_on`; the role stays in the history."""
    role = ServiceRole.objects.select_for_update().get(pk=role.pk)
    if role.ends_on is not None and role.ends_on < timezone.localdate():
        raise ValidationError(_("This service role has already ended."))
    _check_end(
        ends_on,
        role.starts_on,
        "ends_on",
        _("The end date cannot be before the start date (%(date)s)."),
    )
    before = snapshot(role, ["ends_on"])
    role.ends_on = ends_on
    role.save(update_fields=["ends_on"])
    audit.record(
        AuditAction.UPDATE,
        role,
        actor=actor,
        request=request,
        before=before,
        after=snapshot(role, ["ends_on"]),
    )
    return role


@transaction.atomic
def group_leader_set(
    *, group: PartyGroup, member: Member, starts_on: datetime.date, actor, request=None
) -> GroupLeader:
    """Make `member` the leader of `group` from `starts_on`, ending the previous leader."""
    if member.home_branch_id != group.branch_id:
        raise ValidationError(_("The leader must be a member of the group's branch."))
    current = GroupLeader.objects.select_for_update().filter(group=group, ends_on__isnull=True)
    ended = [leader.pk for leader in current]
    current.update(ends_on=starts_on)
    leader = GroupLeader.objects.create(group=group, member=member, starts_on=starts_on)
    audit.record(
        AuditAction.CREATE,
        leader,
        actor=actor,
        request=request,
        after={"group": group.pk, "member": member.pk, "starts_on": starts_on, "ended": ended},
    )
    return leader


# --- bulk import -----------------------------------------------------------------------


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
    """Write a checked import plan (members.importing.ImportPlan) all at once: new
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
