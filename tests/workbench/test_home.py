"""The home page shows each user their own work, in a fixed number of queries."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.meetings.models import Meeting, MeetingKind, MeetingStatus


def _plan(branch, days_from_today, topic):
    return Meeting.objects.create(
        branch=branch,
        kind=MeetingKind.THEME_DAY,
        status=MeetingStatus.PLANNED,
        planned_on=timezone.localdate() + datetime.timedelta(days=days_from_today),
        topic=topic,
    )


def test_a_secretary_sees_the_next_meetings_of_their_own_community_only(cast, client_for):
    _plan(cast.branch_a, 3, "学习二十大精神")
    _plan(cast.branch_b, 3, "西湖区的会")
    page = client_for("community_secretary").get("/").content.decode()
    assert "近期会议" in page
    assert cast.branch_a.name in page
    assert cast.branch_b.name not in page


def test_a_meeting_whose_day_has_passed_waits_to_be_recorded(cast, client_for):
    late = _plan(cast.branch_a, -2, "上周的主题党日")
    page = client_for("branch_secretary").get("/").content.decode()
    assert f"/meetings/{late.pk}/record/" in page


def test_district_staff_get_no_recording_lists(cast, client_for):
    _plan(cast.branch_a, 3, "学习")
    page = client_for("district_staff").get("/").content.decode()
    assert 'href="/meetings/' not in page  # the dashboard's meeting list is /reports/...


def test_the_home_page_query_count_does_not_grow_with_meetings(cast, client_for):
    client = client_for("community_secretary")
    _plan(cast.branch_a, 1, "一")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for day in range(2, 20):
        _plan(cast.branch_a, day, f"会议{day}")
        _plan(cast.branch_a, -day, f"旧会{day}")
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(few)


NO_ROLE_LINE = "您的账号还没有分配片区或支部"


def test_the_liaison_is_told_their_unit_and_led_to_its_retirees(cast, client_for):
    client = client_for("unit_liaison")
    page = client.get("/").content.decode()
    assert NO_ROLE_LINE not in page
    assert "您负责联络的原单位" in page and cast.unit_a.name in page
    link = f"/members/?original_unit={cast.unit_a.pk}"
    assert f'href="{link}"' in page
    assert cast.member_a.name in client.get(link).content.decode()


def test_the_auditor_is_led_to_the_audit_log(cast, client_for):
    page = client_for("auditor").get("/").content.decode()
    assert NO_ROLE_LINE not in page
    assert 'href="/accounts/audit/"' in page and 'href="/accounts/audit/check/"' in page


def test_the_security_administrator_is_led_to_roles_and_policy(cast, client_for):
    page = client_for("security_admin").get("/").content.decode()
    assert NO_ROLE_LINE not in page
    assert 'href="/roles/"' in page and 'href="/accounts/policy/"' in page


def test_every_role_is_spared_the_no_role_line_and_only_a_roleless_account_gets_it(
    cast, client_for
):
    for key in cast.users:
        page = client_for(key).get("/").content.decode()
        assert (NO_ROLE_LINE in page) is (key == "outsider"), key


def test_next_meetings_show_their_day_as_month_and_day_with_the_year_only_if_not_this_one(
    cast, client_for
):
    today = timezone.localdate()
    soon = _plan(cast.branch_a, 2, "学习").planned_on
    late = _plan(cast.branch_a, -today.timetuple().tm_yday - 1, "去年的会").planned_on
    page = client_for("branch_secretary").get("/").content.decode()
    shown = f"{soon.month}月{soon.day}日"
    assert (shown if soon.year == today.year else f"{soon.year}年{shown}") in page
    assert soon.isoformat() not in page
    assert f"{late.year}年{late.month}月{late.day}日" in page
