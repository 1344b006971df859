"""A member's part beyond the home branch: functional branches and volunteer teams,
service roles and honours.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.models import Branch

from ..models import BranchMembership, Member, Recognition, ServiceRole
from .committees import vacate_posts
from .snapshots import snapshot


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
        *vacate_posts(member_id=membership.member_id, branch_id=membership.branch_id, on=left_on),
    ]
    audit.record_many(changes, actor=actor, request=request)
    return membership


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
