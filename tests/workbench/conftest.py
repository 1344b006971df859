"""The workbench's fixtures: the dashboards' hand-counted district (tests/reports) seen on
a frozen day, so each panel's numbers can be checked against the pages they link to."""

import datetime

import pytest
from django.utils import timezone

from tests.reports.conftest import TODAY, build_world


@pytest.fixture
def frozen_today(monkeypatch):
    """Every `timezone.localdate()` (the workbench, the dashboards, the lists) is TODAY."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


@pytest.fixture
def world(cast, frozen_today):
    return build_world(cast)


def days_before(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


# The secretaries' panel: branch_a's year counted by hand (secretary_world).
from .secretary_world import today, year  # noqa: E402, F401
