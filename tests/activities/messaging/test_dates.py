"""Month-day dates carry the year whenever it is not the current one (in Asia/Shanghai):
"于4月25日报到" for a registration of 2023 read as this year's."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts.formats import month_day
from activities.messaging import sweep
from activities.messaging.models import Reminder, ReminderKind
from members.models import CommunityRegistration

from .conftest import NOW, SHANGHAI, TODAY, days, plan

pytestmark = pytest.mark.django_db


def test_month_day_shows_the_year_only_when_it_is_not_the_current_one():
    this_year = timezone.localdate().year
    assert month_day(datetime.date(this_year, 4, 25)) == "4月25日"
    assert month_day(datetime.date(this_year - 3, 4, 25)) == f"{this_year - 3}年4月25日"
    assert month_day(datetime.date(this_year + 1, 1, 13)) == f"{this_year + 1}年1月13日"
    # 17:00 UTC on New Year's Eve is already New Year's Day in Shanghai.
    eve = datetime.datetime(this_year - 1, 12, 31, 17, 0, tzinfo=datetime.UTC)
    assert month_day(eve) == "1月1日"
    assert month_day(None) == ""


def test_the_template_filter_is_the_same_helper():
    this_year = timezone.localdate().year
    template = Template("{% load portal %}{{ a|month_day }} · {{ b|month_day }}")
    text = template.render(
        Context({"a": datetime.date(this_year, 4, 25), "b": datetime.date(2023, 4, 25)})
    )
    assert text == "4月25日 · 2023年4月25日"


def test_a_registration_of_an_earlier_year_is_reminded_with_its_year(cast):
    CommunityRegistration.objects.filter(pk=cast.reg_a_reported.pk).update(
        reported_on=datetime.date(2023, 4, 25)
    )
    sweep.sweep(now=NOW)
    item = Reminder.objects.get(kind=ReminderKind.REGISTRATION_WAITING)
    assert "于2023年4月25日" in item.title


def test_a_meeting_of_next_year_is_announced_with_its_year_and_this_years_without(cast):
    new_years_eve = datetime.datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)
    plan(branch=cast.branch_a, on=datetime.date(2027, 1, 2), topic="学习党章")
    plan(branch=cast.branch_a, on=TODAY + days(2), topic="学习条例")
    sweep.sweep(now=NOW)
    sweep.sweep(now=new_years_eve)
    titles = set(
        Reminder.objects.filter(kind=ReminderKind.MEETING_UPCOMING).values_list("title", flat=True)
    )
    assert any("2027年1月2日" in t and "学习党章" in t for t in titles)
    assert any("：3月20日" in t and "学习条例" in t for t in titles)


def test_the_inbox_shows_the_year_of_a_reminder_received_last_year(cast, client_for):
    plan(branch=cast.branch_a, on=TODAY + days(1), topic="学习党章")
    sweep.sweep(now=NOW)
    last_year = timezone.localdate().year - 1
    received = datetime.datetime(last_year, 4, 25, 9, 30, tzinfo=SHANGHAI)
    Reminder.objects.filter(recipient=cast.user("community_secretary")).update(created_at=received)
    page = client_for("community_secretary").get(reverse("reminders:inbox")).content.decode()
    # One piece: on a phone the row wrapped it as "4月25" / "日 09:30".
    assert f'<span class="text-muted-strong text-nowrap">{last_year}年4月25日 09:30</span>' in page
