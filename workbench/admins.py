"""The three administrators' panel (三权分立): each sees their own queue only.

- System administrator (accounts): active accounts that hold no role yet, and accounts
  locked out by failed log-ins now; imported accounts not activated yet.
- Security administrator (roles and policy): the same accounts waiting for a role, one
  tap from granting one; the roles of staff imports waiting for a decision; failed
  log-ins and lockouts of the last days.
- Auditor: the audit chain's last check (a VERIFY audit entry, written by the nightly
  check, accounts.tasks, and by the auditor's own check) and when the next is due.
Nobody sees members' data here, nor another administrator's queue."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry, LoginFailure, SecurityPolicy, User
from accounts.selectors import without_role
from branches.access import MANAGE_ROLES, MANAGE_USERS, READ_AUDIT
from rollout.staff.selectors import waiting_counts

WAITING_SHOWN = 10
FAILED_LOGIN_DAYS = 7
# The nightly check is late when the last one is older than a day and this margin.
VERIFY_GRACE = datetime.timedelta(hours=2)


def waiting_for_role():
    return without_role().order_by("-date_joined", "pk")


def locked_now(now) -> list[str]:
    """User names locked out at this moment (accounts.lockout's rule), as tried."""
    policy = SecurityPolicy.current()
    since = now - datetime.timedelta(minutes=policy.lockout_minutes)
    return list(
        LoginFailure.objects.filter(name_cleared=False, at__gte=since)
        .values("username")
        .annotate(n=Count("*"))
        .filter(n__gte=policy.lockout_threshold)
        .order_by("username")
        .values_list("username", flat=True)
    )


def failed_logins(now) -> dict:
    """Failed log-ins of the last FAILED_LOGIN_DAYS days from the audit trail (the
    lockout's own rows are kept a day only): how many, how many were refused because the
    name was locked, and how many names that was."""
    locked = Q(changes__after__reason="locked")
    return AuditEntry.objects.filter(
        action=AuditAction.LOGIN_FAILED,
        at__gte=now - datetime.timedelta(days=FAILED_LOGIN_DAYS),
    ).aggregate(
        failed=Count("pk"),
        refused=Count("pk", filter=locked),
        locked_names=Count(Lower("object_repr"), filter=locked, distinct=True),
    )


def next_check(now) -> datetime.datetime:
    """When the nightly check (settings.AUDIT_VERIFY_AT, local time) runs next."""
    hour, minute = settings.AUDIT_VERIFY_AT
    local = timezone.localtime(now)
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return due if due > local else due + datetime.timedelta(days=1)


def last_check():
    """The newest VERIFY entry, with what it found."""
    entry = AuditEntry.objects.filter(action=AuditAction.VERIFY).order_by("-pk").first()
    if entry is not None:
        after = (entry.changes or {}).get("after") or {}
        entry.ok = bool(after.get("ok"))
        entry.checked = after.get("checked")
    return entry


def panel(request, scope, today):
    flags = {
        "reads_audit": scope.has(READ_AUDIT),
        "manages_users": scope.has(MANAGE_USERS),
        "manages_roles": scope.has(MANAGE_ROLES),
    }
    if not any(flags.values()):
        return None
    now = timezone.now()
    context = dict(flags)
    if flags["manages_users"] or flags["manages_roles"]:
        waiting = waiting_for_role()
        context["waiting"] = list(waiting[:WAITING_SHOWN])
        context["waiting_count"] = waiting.count()
        names = locked_now(now)
        accounts = {
            u.username.lower(): u
            for u in User.objects.annotate(key=Lower("username")).filter(key__in=names)
        }
        context["locked"] = [(name, accounts.get(name)) for name in names]
        # Staff imports (rollout.staff): roles to decide, accounts not activated yet.
        context["staff_imports"] = waiting_counts(request.user)
    if flags["manages_roles"]:
        context["failed_logins"] = failed_logins(now)
        context["failed_days"] = FAILED_LOGIN_DAYS
    if flags["reads_audit"]:
        check = last_check()
        context["last_check"] = check
        context["next_check"] = next_check(now)
        context["check_late"] = check is None or now - check.at > datetime.timedelta(1) + (
            VERIFY_GRACE
        )
    return context
