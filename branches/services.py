"""Writes on the organisation side that are more than one save(): each one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from accounts.services import user_set_staff

from .access import Role
from .models import StaffRole, Venue

# 三权分立: an account holding one of these holds nothing else.
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})


def _describe(staff_role: StaffRole) -> dict:
    node = staff_role.node
    return {
        "user": staff_role.user.get_username(),
        "role": staff_role.role,
        "node": str(node) if node is not None else "",
        "node_type": node._meta.model_name if node is not None else "",
        "node_id": node.pk if node is not None else None,
    }


@transaction.atomic
def staff_role_grant(
    *, request, user, role: str, organization=None, branch=None, original_unit=None
) -> StaffRole:
    """Give `user` a role on one node (security administrator only; audited).

    Nobody changes their own roles; the three admin roles are never combined with each
    other or with a working role on one account. A system administrator becomes
    Django-admin staff (the admin site still wants their second factor).
    """
    if user.pk == request.user.pk:
        raise ValidationError(_("Nobody can change their own roles."))
    if role in ADMIN_ROLES and user.is_service_account:
        raise ValidationError(_("An API client cannot hold an administrator role."))
    held = set(user.staff_roles.values_list("role", flat=True))
    if role in ADMIN_ROLES and held - {role}:
        raise ValidationError(
            _("An administrator account holds no other role: remove its other roles first.")
        )
    if role not in ADMIN_ROLES and held & ADMIN_ROLES:
        raise ValidationError(
            _("This account holds an administrator role and can take no other role.")
        )
    duplicate = StaffRole.objects.filter(
        user=user,
        role=role,
        organization=organization,
        branch=branch,
        original_unit=original_unit,
    )
    if duplicate.exists():
        raise ValidationError(_("The account already holds this role there."))
    staff_role = StaffRole(
        user=user,
        role=role,
        organization=organization,
        branch=branch,
        original_unit=original_unit,
    )
    staff_role.full_clean()
    staff_role.save()
    audit.record(AuditAction.GRANT, staff_role, request=request, after=_describe(staff_role))
    if role == Role.SYSTEM_ADMIN:
        user_set_staff(request=request, user=user, staff=True)
    return staff_role


@transaction.atomic
def staff_role_revoke(*, request, staff_role: StaffRole) -> None:
    user = staff_role.user
    if user.pk == request.user.pk:
        raise ValidationError(_("Nobody can change their own roles."))
    before = _describe(staff_role)
    object_id = staff_role.pk
    staff_role.delete()
    audit.record(
        AuditAction.REVOKE,
        object_type="branches.staffrole",
        object_id=str(object_id),
        object_repr=f"{before['user']} · {before['role']} · {before['node']}",
        request=request,
        before=before,
    )
    if (
        before["role"] == Role.SYSTEM_ADMIN
        and not user.staff_roles.filter(role=Role.SYSTEM_ADMIN).exists()
    ):
        user_set_staff(request=request, user=user, staff=False)


# --- Branches, party groups, venues --------------------------------------------------------


def _structure_snapshot(obj) -> dict:
    """Stored field values (foreign keys as ids); accounts.audit masks the phone."""
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}


@transaction.atomic
def structure_save(*, request, form):
    """Save a branch, party group or venue form and audit what changed (one transaction).

    The organisation's structure decides who sees which members, so its changes are on
    the trail like the roster's. The form must be valid; set fields the form does not
    carry (a group's branch) on form.instance first."""
    obj = form.instance
    stored = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None
    before = _structure_snapshot(stored) if stored is not None else None
    obj = form.save()
    after = _structure_snapshot(obj)
    if before is None:
        audit.record(AuditAction.CREATE, obj, request=request, after=after)
        return obj
    old, new = audit.diff(before, after)
    if new:
        audit.record(AuditAction.UPDATE, obj, request=request, before=old, after=new)
    return obj


class EditConflict(ValidationError):
    """Someone else saved the object after the form was loaded."""


@transaction.atomic
def venue_save(*, request, form, version: int | None = None) -> Venue:
    """Create or change a venue. A change carries the version its form was loaded at: when
    another save came in between, nothing is written (EditConflict), so the second of two
    people editing at once does not silently overwrite the first."""
    venue = form.instance
    if venue.pk is not None:
        moved = Venue.objects.filter(pk=venue.pk, version=version).update(version=F("version") + 1)
        if not moved:
            raise EditConflict(
                _(
                    "Someone else saved this venue after you opened it. The form now shows "
                    "your input; check the venue list, then save again to keep yours."
                ),
                code="conflict",
            )
        venue.version = version + 1
    return structure_save(request=request, form=form)
