import contextlib

import pytest
from django.db import connection

from accounts.audit import GUARD_SETTING


@contextlib.contextmanager
def audit_guard_off():
    """Play the attacker with direct database access: on PostgreSQL the trigger refuses
    UPDATE/DELETE of audit entries unless this transaction switches it off."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [GUARD_SETTING])
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', true)", [GUARD_SETTING])


class Clock:
    """Moves the clock that the session policy reads (accounts.sessions.now)."""

    def __init__(self, monkeypatch):
        import time

        self.offset = 0.0
        monkeypatch.setattr("accounts.sessions.now", lambda: time.time() + self.offset)

    def advance(self, *, minutes: float = 0, hours: float = 0):
        self.offset += minutes * 60 + hours * 3600


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)
