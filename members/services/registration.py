"""Community registration (报到): reported, accepted into a branch, the unit notified,
withdrawn.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.models import Branch, BranchKind, PartyGroup

from ..models import CommunityRegistration, Member, RegistrationStatus
from ..signals import registration_accepted
from .committees import vacate_posts
from .snapshots import REGISTRATION_FIELDS, snapshot


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
    newly_accepted = registration.status == RegistrationStatus.REPORTED
    if newly_accepted:
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
        changes += vacate_posts(member_id=member.pk, branch_id=left, on=timezone.localdate())
    audit.record_many(changes, actor=actor, request=request)
    if newly_accepted and member.original_unit_id is not None:
        registration.member = member
        registration_accepted.send(
            sender=CommunityRegistration, registration=registration, actor=actor, request=request
        )
        # A receiver may have marked it notified already (the unit's liaison's inbox).
        registration.refresh_from_db(fields=["status", "notified_on"])
    return registration


@transaction.atomic
def registration_notify_unit(
    *,
    registration: CommunityRegistration,
    notified_on: datetime.date | None = None,
    actor,
    request=None,
) -> CommunityRegistration:
    """Record that the original unit was told of the accepted registration: called by the
    units room when its message about the registration is delivered (actor None: the
    system), never typed."""
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


def withdrawal(registration, withdrawn_on, reason, actor) -> audit.Change:
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
    changes = [withdrawal(registration, withdrawn_on, reason, actor)]
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
