"""Year-end fixtures: a frozen "today" that a test may move (next January), on the
activities fixtures' roster (ten active members of a branch in community_a) and its
committee (secretary, deputy, organisation, publicity and one committee member)."""

import datetime

import pytest
from django.utils import timezone

DECEMBER = datetime.date(2026, 12, 6)


class Clock:
    def __init__(self, day):
        self.day = day


@pytest.fixture
def clock(monkeypatch):
    """Every `timezone.localdate()` is clock.day (6 December 2026 unless moved)."""
    clock = Clock(DECEMBER)
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return clock.day if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return clock
