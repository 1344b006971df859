"""Log-in, log-out and failed log-in: audited, tracked per user (the lockout counts
failures itself, before the password is hashed: accounts.lockout)."""

import datetime

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from . import audit, lockout, sessions
from .models import AuditAction, SecurityPolicy, UserSession


@receiver(user_logged_in, dispatch_uid="accounts_logged_in")
def on_logged_in(sender, request, user, **kwargs):
    policy = SecurityPolicy.current()
    lockout.clear(user.get_username())
    sessions.stamp(request.session, user, policy)
    ip = audit.client_ip(request)
    key = request.session.session_key
    if key:
        stale = timezone.now() - datetime.timedelta(hours=policy.session_lifetime_hours)
        UserSession.objects.filter(user=user, created_at__lt=stale).delete()
        UserSession.objects.update_or_create(session_key=key, defaults={"user": user, "ip": ip})
    audit.record(
        AuditAction.LOGIN,
        user,
        actor=user,
        request=request,
        after={"backend": getattr(user, "backend", "")},
    )


@receiver(user_logged_out, dispatch_uid="accounts_logged_out")
def on_logged_out(sender, request, user, **kwargs):
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    if user is None:
        return
    reason = getattr(request, "_logout_reason", "") or "user"
    audit.record(AuditAction.LOGOUT, user, actor=user, request=request, after={"reason": reason})


@receiver(user_login_failed, dispatch_uid="accounts_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    # The failure itself was counted before the password was checked (accounts.lockout).
    username = str(credentials.get("username", ""))[:150]
    refused = getattr(request, "_login_refused", "")
    reason = {lockout.NAME: "locked", lockout.ADDRESS: "address_throttled"}.get(refused)
    audit.record(
        AuditAction.LOGIN_FAILED,
        request=request,
        object_type="accounts.user",
        object_repr=username,
        after={"reason": reason or "wrong_credentials"},
    )
