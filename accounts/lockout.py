"""Lockout after repeated failed log-ins, per user name and per client address.

Failures are rows (LoginFailure), so every web worker sees the same counts. An account
name or an address with `lockout_threshold` failures within the last `lockout_minutes`
is locked until enough of them age out; a correct password does not get through
meanwhile. The address is accounts.audit.client_ip: REMOTE_ADDR unless a configured
proxy forwarded the request, so rotating a forged X-Forwarded-For does not help.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from .models import LoginFailure, SecurityPolicy


def normalise(username: str | None) -> str:
    # Case variants count together: a backend may match user names case-insensitively.
    return (username or "").strip().lower()[:150]


@dataclass(frozen=True)
class LockState:
    locked: bool
    minutes: int  # the lockout period, for the message


def state(username: str | None, ip: str, policy: SecurityPolicy | None = None) -> LockState:
    policy = policy or SecurityPolicy.current()
    since = timezone.now() - datetime.timedelta(minutes=policy.lockout_minutes)
    recent = LoginFailure.objects.filter(at__gte=since)
    name = normalise(username)
    locked = bool(name) and (
        recent.filter(username=name, name_cleared=False).count() >= policy.lockout_threshold
    )
    if not locked and ip:
        locked = recent.filter(ip=ip).count() >= policy.lockout_threshold
    return LockState(locked, policy.lockout_minutes)


def is_locked(username: str | None, ip: str) -> bool:
    return state(username, ip).locked


def record_failure(username: str | None, ip: str) -> None:
    now = timezone.now()
    LoginFailure.objects.create(username=normalise(username), ip=ip, at=now)
    # Old rows are useless for counting: drop those older than a day (the longest period).
    LoginFailure.objects.filter(at__lt=now - datetime.timedelta(days=1)).delete()


def clear(username: str | None) -> None:
    """A successful log-in clears the name's failures (not the address's)."""
    LoginFailure.objects.filter(username=normalise(username), name_cleared=False).update(
        name_cleared=True
    )
