"""Reminder fixtures on the standing cast: a fixed "now" (Wednesday 2026-03-18, 10:00 in
Shanghai), builders for members and meetings in branch_a, and secretaries' preferences.

Who is reminded about branch_a (community_a, district A): the cast's branch_secretary
(branch_a) and community_secretary (community_a). community_b_secretary and everybody
else: nothing.
"""

import datetime
import itertools
import zoneinfo

import pytest

from activities.meetings.models import Meeting, MeetingKind, MeetingStatus
from activities.messaging.channels import LoggingSmsBackend
from activities.messaging.models import ReminderPreference
from members.models import Member

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 3, 18)
NOW = datetime.datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI)
_ids = itertools.count(1)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def add_member(*, branch, name=None, born=datetime.date(1950, 6, 1), **fields):
    n = next(_ids)
    fields.setdefault("full_member_on", datetime.date(1980, 1, 1))
    return Member.objects.create(
        name=name or f"提醒党员{n}",
        gender="male",
        birth_date=born,
        id_number=f"31990220{n:010d}",
        community=branch.organization,
        home_branch=branch,
        **fields,
    )


def plan(*, branch, on, kind=MeetingKind.GENERAL_ASSEMBLY, topic="学习党章", **fields):
    return Meeting.objects.create(
        branch=branch, kind=kind, topic=topic, planned_on=on, status=MeetingStatus.PLANNED, **fields
    )


def prefer(user, **fields):
    """Digest preferences for `user` (e-mail on by default, digest at 08:00)."""
    fields.setdefault("use_email", True)
    fields.setdefault("email", f"{user.username}@example.cn")
    pref, _ = ReminderPreference.objects.update_or_create(user=user, defaults=fields)
    return pref


@pytest.fixture(autouse=True)
def _clear_sms():
    """The logging SMS backend keeps what it sent: each test starts with none."""
    LoggingSmsBackend.outbox.clear()


@pytest.fixture
def secretaries(cast):
    """The two secretaries over branch_a."""
    return cast.user("community_secretary"), cast.user("branch_secretary")


CADENCE_DEFAULTS = {"month": 7, "quarter": 15, "year": 45}


@pytest.fixture(autouse=True)
def _reminder_settings(settings):
    # NOW is 13 days before the quarter ends: with the default thresholds every branch
    # would have quarterly meetings "at risk". Tests of the cadence turn it back on.
    settings.REMINDER_CADENCE_DAYS_LEFT = {"month": 0, "quarter": 0, "year": 0}
    settings.REMINDER_SITE_URL = "https://portal.example.cn"
    settings.REMINDER_WEBHOOK_ALLOWED_PREFIXES = [
        "https://qyapi.weixin.qq.com/",
        "https://oapi.dingtalk.com/",
        "http://127.0.0.1:",
    ]
