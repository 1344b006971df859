"""Reads shared by the account and audit pages."""

import datetime

from django.db.models import Q
from django.utils import timezone

from .models import AuditAction, AuditEntry, User


def audit_entries(
    *,
    user: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    ip: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """Audit entries, newest first, filtered as on the audit page and its export."""
    qs = AuditEntry.objects.order_by("-pk")
    if user:
        # A failed log-in has no actor: the name that was tried is the object.
        qs = qs.filter(
            Q(actor_name__iexact=user)
            | Q(action=AuditAction.LOGIN_FAILED, object_repr__iexact=user)
        )
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type.strip().lower())
    if object_id:
        qs = qs.filter(object_id=object_id.strip())
    if ip:
        qs = qs.filter(ip=ip.strip())
    tz = timezone.get_current_timezone()
    if date_from:
        start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz)
        qs = qs.filter(at__gte=start)
    if date_to:
        end = datetime.datetime.combine(
            date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        qs = qs.filter(at__lt=end)
    return qs


def without_role():
    """Active accounts holding no role yet: they wait for the security administrator
    (the system administrator's and the security administrator's workbench, and the
    user list's "without a role" filter)."""
    return User.objects.filter(is_active=True, staff_roles__isnull=True)


def user_list(*, q: str = "", active: str = "", role: str = ""):
    qs = User.objects.order_by("username").prefetch_related("staff_roles")
    if role == "none":
        qs = qs.filter(pk__in=without_role().values("pk"))
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if active == "1":
        qs = qs.filter(is_active=True)
    elif active == "0":
        qs = qs.filter(is_active=False)
    return qs
