"""The 待补学 list says how many it leaves out and links to all of them; a meeting's rate
that counts make-ups says so next to the attended count."""

import datetime

import pytest
from django.urls import reverse

from activities.meetings.models import Attendance, MakeUpKind
from activities.meetings.services import makeups
from activities.meetings.services.recording import Mark

from ..conftest import record

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def thirty_waiting(roster):
    """Fifteen meetings this year, each with two members absent: 30 lines to make up."""
    today = datetime.date.today()
    for n in range(15):
        record(
            branch=roster.branch,
            kind="theme_day",
            held_on=today - datetime.timedelta(days=10 + n),
            marks={m.pk: Mark("absent") for m in roster.members[:2]},
        )
    return roster


def test_the_meetings_page_says_how_many_more_wait_and_links_to_all(thirty_waiting, client_for):
    branch = thirty_waiting.branch
    client = client_for("community_secretary")
    page = client.get(reverse("activities:meeting_list", args=[branch.pk])).content.decode()
    full = reverse("activities:makeup_list", args=[branch.pk])
    assert page.count(">登记补学<") == 20
    assert f'href="{full}">还有 10 人次未补学，查看全部 30 人次</a>' in page

    listing = client.get(full).content.decode()
    assert "近十二个月内请假或缺席、尚未补学的共 30 人次" in listing
    assert listing.count(">登记补学<") == 30


def test_a_short_list_says_nothing_more(roster, client_for):
    record(branch=roster.branch, held_on=D.today(), marks={roster.members[0].pk: Mark("absent")})
    client = client_for("community_secretary")
    page = client.get(reverse("activities:meeting_list", args=[roster.branch.pk])).content.decode()
    assert page.count(">登记补学<") == 1 and "还有" not in page


def test_a_rate_that_counts_make_ups_says_so(roster, client_for):
    meeting = record(
        branch=roster.branch,
        kind="theme_day",
        held_on=D(2025, 5, 8),
        marks={roster.members[0].pk: Mark("absent")},
    )
    plain = record(branch=roster.branch, kind="lecture", held_on=D(2025, 5, 9))
    makeups.makeup_record(
        attendance=Attendance.objects.get(meeting=meeting, member=roster.members[0]),
        details={
            "kind": MakeUpKind.STUDY,
            "made_up_on": D(2025, 5, 20),
            "delivered_by": "支部书记",
            "material": "学习材料",
        },
        actor=None,
    )
    client = client_for("community_secretary")
    page = client.get(reverse("activities:meeting_list", args=[roster.branch.pk])).content.decode()
    assert "9 / 10" in page and "含补学 100.0%" in page
    assert page.count("含补学") == 1  # the lecture, all present, shows a bare rate
    assert plain.attendances.count() == 10
    detail = client.get(reverse("activities:meeting_detail", args=[meeting.pk])).content.decode()
    assert "含补学 100.0%" in detail

    dashboard = client.get(
        reverse("reports:org_meetings", args=[roster.branch.organization_id])
        + "?period=quarter&year=2025&quarter=2"
    ).content.decode()
    assert "含补学 100.0%" in dashboard
