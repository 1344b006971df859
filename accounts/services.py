"""Writes on accounts: each one transaction, each audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login

from . import audit, sessions
from .models import AuditAction, SecurityPolicy, TOTPDevice, User, UserSession

PROFILE_FIELDS = ("full_name", "phone", "email")


def _profile(user: User) -> dict:
    return {name: getattr(user, name) for name in ("username", *PROFILE_FIELDS)}


@transaction.atomic
def user_create(*, request, username: str, password: str, **profile) -> User:
    """A new account with a password set by the system administrator: the owner must
    choose their own at the first log-in."""
    user = User(username=username, must_change_password=True, **profile)
    user.set_password(password)
    user.save()
    audit.record(AuditAction.CREATE, user, request=request, after=_profile(user))
    return user


@transaction.atomic
def user_update(*, request, user: User, **profile) -> User:
    before = {name: getattr(user, name) for name in profile}
    for name, value in profile.items():
        setattr(user, name, value)
    after = {name: getattr(user, name) for name in profile}
    if before != after:
        user.save(update_fields=list(profile))
        audit.record(AuditAction.UPDATE, user, request=request, before=before, after=after)
    return user


@transaction.atomic
def user_set_active(*, request, user: User, active: bool) -> User:
    """Enable or disable an account. Disabling ends every session it has open."""
    if user.pk == request.user.pk:
        raise PermissionDenied("An administrator cannot disable their own account.")
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(
            AuditAction.UPDATE,
            user,
            request=request,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return user


@transaction.atomic
def user_reset_password(*, request, user: User, password: str) -> User:
    """Set a password for someone who forgot theirs: their sessions end, and they must
    choose their own password at the next log-in."""
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    ended = UserSession.objects.end_for(user)
    audit.record(AuditAction.PASSWORD_RESET, user, request=request, after={"sessions_ended": ended})
    return user


@transaction.atomic
def user_set_staff(*, request, user: User, staff: bool) -> None:
    """Django-admin staff status follows the system administrator role."""
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
        audit.record(
            AuditAction.UPDATE,
            user,
            request=request,
            before={"is_staff": not staff},
            after={"is_staff": staff},
        )


@transaction.atomic
def user_reset_second_factor(*, request, user: User) -> int:
    """Remove a user's TOTP devices (a lost phone): they set one up again at the next
    log-in. Their sessions end. Reserved to the security administrator, so that taking
    over an admin account needs both the system administrator (password) and the
    security administrator (second factor)."""
    if user.pk == request.user.pk:
        raise PermissionDenied("An administrator cannot reset their own second factor.")
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    ended = UserSession.objects.end_for(user)
    audit.record(
        AuditAction.OTP_RESET,
        user,
        request=request,
        after={"devices_removed": removed, "sessions_ended": ended},
    )
    return removed


@transaction.atomic
def password_changed(*, request, user: User) -> None:
    """After the user changed their own password (the form has saved it)."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    request.session.pop(sessions.PASSWORD_CHANGE, None)
    # Other sessions of this user end; Django already rotated this one's auth hash.
    UserSession.objects.end_for(user, keep=request.session.session_key)
    audit.record(AuditAction.PASSWORD_CHANGE, user, request=request)


def _cycle_session(request) -> None:
    """A new session key when the session gains privilege (after the second factor)."""
    old = request.session.session_key
    request.session.cycle_key()
    new = request.session.session_key
    if old and new and old != new:
        UserSession.objects.filter(session_key=old).update(session_key=new)


@transaction.atomic
def second_factor_confirm(*, request, device: TOTPDevice) -> None:
    """The user proved the new device works: it becomes their second factor."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    _cycle_session(request)
    otp_login(request, device)
    audit.record(AuditAction.OTP_SETUP, device.user, request=request)


def second_factor_passed(*, request, device: TOTPDevice) -> None:
    _cycle_session(request)
    otp_login(request, device)


def second_factor_failed(*, request) -> None:
    audit.record(AuditAction.OTP_FAILED, request.user, request=request)


@transaction.atomic
def policy_update(*, request, values: dict) -> SecurityPolicy:
    policy = SecurityPolicy.current()
    before = policy.values()
    for name, value in values.items():
        setattr(policy, name, value)
    policy.updated_at = timezone.now()
    after = policy.values()
    policy.save()
    if before != after:
        audit.record(
            AuditAction.UPDATE,
            policy,
            request=request,
            object_repr="security policy",
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return policy
