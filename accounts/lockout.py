"""Lockout of a user name after repeated failed log-ins, and a throttle per client address.

- A user name with `lockout_threshold` failures (from any address, so also from one
  name + address) within the last `lockout_minutes` is locked until enough of them age
  out; a correct password does not get through meanwhile (MLPS: lock the account).
- An address is throttled, not locked: past LOGIN_ADDRESS_FAILURE_LIMIT failures within
  LOGIN_ADDRESS_WINDOW seconds its attempts are refused until the window moves on. A
  community office shares one public address: one person's typos lock only their own
  name, and a guesser spraying names from the office costs the others a minute at most.

Both are decided before the password is hashed (`attempt`), so what the lockout refuses
costs a few queries, not a worker's CPU. The attempt is counted as a failure before the
hash and taken back if the password was right (`succeeded`): counting and reserving run
under a lock per name and per address (PostgreSQL advisory locks; SQLite's write lock),
so concurrent attempts can never let more than the limit through.

Failures are rows (LoginFailure), so every web worker sees the same counts. The address
is accounts.audit.client_ip: REMOTE_ADDR unless a configured proxy (TRUSTED_PROXIES)
forwarded the request, so rotating a forged X-Forwarded-For does not help.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import LoginFailure, SecurityPolicy

NAME = "name"
ADDRESS = "address"


def normalise(username: str | None) -> str:
    # Case variants count together: a backend may match user names case-insensitively.
    return (username or "").strip().lower()[:150]


@dataclass(frozen=True)
class Attempt:
    refused: str  # "", NAME (the user name is locked) or ADDRESS (the address is throttled)
    minutes: int  # the name's lockout period, for the message
    failure_id: int | None = None  # the failure reserved for this attempt


def _refusal(name: str, ip: str, policy: SecurityPolicy, now) -> str:
    if name:
        since = now - datetime.timedelta(minutes=policy.lockout_minutes)
        failures = LoginFailure.objects.filter(username=name, name_cleared=False, at__gte=since)
        if failures.count() >= policy.lockout_threshold:
            return NAME
    if ip:
        since = now - datetime.timedelta(seconds=settings.LOGIN_ADDRESS_WINDOW)
        failures = LoginFailure.objects.filter(ip=ip, at__gte=since)
        if failures.count() >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return ADDRESS
    return ""


def _serialise(name: str, ip: str) -> None:
    """Hold the name's and the address's lock until the transaction ends (always in this
    order, so two attempts never wait on each other in a cycle)."""
    if connection.vendor != "postgresql":
        return  # SQLite: the IMMEDIATE transaction already holds the database's write lock
    with connection.cursor() as cursor:
        for key in (f"login-name:{name}", f"login-address:{ip}"):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def attempt(username: str | None, ip: str) -> Attempt:
    """Before the password is checked: refuse a locked name or a throttled address, or
    else count this attempt as a failure until `succeeded` takes it back."""
    policy = SecurityPolicy.current()
    name = normalise(username)
    with transaction.atomic():
        _serialise(name, ip)
        now = timezone.now()
        refused = _refusal(name, ip, policy, now)
        if refused:
            return Attempt(refused, policy.lockout_minutes)
        failure = LoginFailure.objects.create(username=name, ip=ip, at=now)
    # Old rows are useless for counting: drop those older than a day (the longest period).
    LoginFailure.objects.filter(at__lt=now - datetime.timedelta(days=1)).delete()
    return Attempt("", policy.lockout_minutes, failure.pk)


def succeeded(attempt: Attempt) -> None:
    """The password was right: the reserved failure never happened."""
    LoginFailure.objects.filter(pk=attempt.failure_id).delete()


def state(username: str | None, ip: str) -> Attempt:
    """Would the next attempt be refused? (For the message after a wrong password.)"""
    policy = SecurityPolicy.current()
    return Attempt(
        _refusal(normalise(username), ip, policy, timezone.now()), policy.lockout_minutes
    )


def clear(username: str | None) -> None:
    """A successful log-in clears the name's failures (not the address's)."""
    LoginFailure.objects.filter(username=normalise(username), name_cleared=False).update(
        name_cleared=True
    )
