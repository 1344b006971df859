"""Specs for the account, second-factor, user-management, policy, role and audit pages.

The three admin jobs are separated (三权分立): user pages answer only the system
administrator, role and policy pages only the security administrator, audit pages only
the auditor; everybody else gets 404.
"""

from accounts.models import AuditEntry, SecurityPolicy, TOTPDevice, User
from branches.models import StaffRole

from ...otp import device_for
from . import Spec

ADMIN_ROLES = frozenset({"system_admin", "security_admin", "auditor"})
SYSTEM_ADMIN = frozenset({"system_admin"})
SECURITY_ADMIN = frozenset({"security_admin"})
AUDITOR = frozenset({"auditor"})


def _audit_row(cast):
    from accounts import audit
    from accounts.models import AuditAction

    entry = AuditEntry.objects.order_by("pk").first() or audit.record(
        AuditAction.UPDATE, cast.branch_a, before={"name": "旧"}, after={"name": "新"}
    )
    return {"pk": entry.pk}


def _profile(user):
    return list(User.objects.filter(pk=user.pk).values_list("full_name", "phone", "email"))


def _policy_state(cast):
    return SecurityPolicy.current().values()


def _otp_target(cast):
    # The auditor has a second factor; the security administrator may reset it.
    device_for(cast.user("auditor"))
    return {"pk": cast.user("auditor").pk}


SPECS = [
    # The second-factor pages answer only those who need a second factor; the matrix's
    # admin users have passed it already, so the pages send them on.
    Spec("accounts:otp_setup", redirect=ADMIN_ROLES),
    Spec("accounts:otp_verify", redirect=ADMIN_ROLES),
    # User management: the system administrator.
    Spec("accounts:user_list", ok=SYSTEM_ADMIN),
    Spec(
        "accounts:user_create",
        ok=SYSTEM_ADMIN,
        post=lambda c: {
            "username": "new.secretary",
            "full_name": "新书记",
            "phone": "",
            "email": "",
            "password1": "Fresh#Start2026",
            "password2": "Fresh#Start2026",
        },
        state=lambda c: sorted(User.objects.values_list("username", flat=True)),
    ),
    Spec(
        "accounts:user_detail",
        kwargs=lambda c: {"pk": c.user("branch_secretary").pk},
        ok=SYSTEM_ADMIN,
    ),
    Spec(
        "accounts:user_edit",
        kwargs=lambda c: {"pk": c.user("branch_secretary").pk},
        ok=SYSTEM_ADMIN,
        post=lambda c: {"full_name": "改名书记", "phone": "", "email": ""},
        state=lambda c: _profile(c.user("branch_secretary")),
    ),
    Spec(
        "accounts:user_set_active",
        kwargs=lambda c: {"pk": c.user("outsider").pk},
        ok=SYSTEM_ADMIN,
        post=lambda c: {},
        state=lambda c: User.objects.get(pk=c.user("outsider").pk).is_active,
    ),
    Spec(
        "accounts:user_password_reset",
        kwargs=lambda c: {"pk": c.user("outsider").pk},
        ok=SYSTEM_ADMIN,
        post=lambda c: {"password1": "Reset#Pass2026x", "password2": "Reset#Pass2026x"},
        state=lambda c: User.objects.get(pk=c.user("outsider").pk).password,
    ),
    # Second factors and the policy: the security administrator.
    Spec(
        "accounts:user_otp_reset",
        kwargs=_otp_target,
        ok=SECURITY_ADMIN,
        post=lambda c: {},
        state=lambda c: TOTPDevice.objects.filter(user=c.user("auditor")).count(),
    ),
    Spec(
        "accounts:policy",
        ok=SECURITY_ADMIN,
        post=lambda c: {
            "password_min_length": 12,
            "password_min_classes": 4,
            "password_max_age_days": 60,
            "password_history": 6,
            "lockout_threshold": 5,
            "lockout_minutes": 30,
            "idle_timeout_minutes": 20,
            "session_lifetime_hours": 8,
        },
        state=_policy_state,
    ),
    Spec("branches:role_list", ok=SECURITY_ADMIN),
    Spec(
        "branches:role_grant",
        ok=SECURITY_ADMIN,
        post=lambda c: {
            "username": "outsider",
            "role": "street_staff",
            "organization_code": c.street_a.code,
        },
        state=lambda c: sorted(StaffRole.objects.values_list("user__username", "role")),
    ),
    Spec(
        "branches:role_revoke",
        kwargs=lambda c: {"pk": c.user("branch_secretary").staff_roles.get().pk},
        ok=SECURITY_ADMIN,
        post=lambda c: {},
        state=lambda c: sorted(StaffRole.objects.values_list("pk", flat=True)),
    ),
    # The audit log: the auditor alone.
    Spec("accounts:audit_list", ok=AUDITOR),
    Spec("accounts:audit_detail", kwargs=_audit_row, ok=AUDITOR),
    Spec("accounts:audit_export", ok=AUDITOR, exports=("",)),
    Spec(
        "accounts:audit_check",
        ok=AUDITOR,
        post=lambda c: {},
        state=lambda c: AuditEntry.objects.filter(action="verify").count(),
    ),
]
