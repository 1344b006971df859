"""The street and district staff's workbench, on the dashboards' hand-counted district
(tests/reports/conftest.py: today 2026-05-20, so this period is the second quarter and the
last one the first). One theme day is added in April: branch_a's, A1 and A2 present, A3
absent. Every number is checked by hand and against the page it links to."""

import datetime
import re
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import shared_cache
from activities import summaries
from activities.meetings.models import MeetingKind
from activities.meetings.services import recording
from activities.messaging.models import Reminder, ReminderKind, ReminderState
from branches.access import Role, scope_for
from notices import services as notice_services
from notices.models import Notice, NoticeReceipt, NoticeState, ResponseKind
from reports.tasks import warm_dashboards
from tests import factories as f
from tests.otp import login_as
from tests.reports.conftest import TODAY, held
from tests.reports.test_query_counts import grow
from workbench import staff

Q2 = "?period=quarter&year=2026&quarter=2"


@pytest.fixture
def april(world):
    m = world.members
    held(
        world.cast.branch_a,
        MeetingKind.THEME_DAY,
        datetime.date(2026, 4, 10),
        [(m["A1"], "present"), (m["A2"], "present"), (m["A3"], "absent")],
    )
    summaries.rebuild()
    return world


def home(client):
    return client.get("/").content.decode()


def linked_count(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def test_district_staff_see_this_quarter_against_the_last(april, client_for):
    page = home(client_for("district_staff"))
    # Registration: A1 A2 A3 B1 B2 of A1-A4 B1-B3 (as of today): 71.4%, A4 and B3 not.
    assert ">71.4%<" in page
    unregistered = f"/reports/org/{april.cast.district_a.pk}/members/?list=unregistered"
    assert f'尚未报到：<a href="{unregistered}">2</a>' in page
    # Compliance: April's theme day met by branch_a only, functional_a and branch_a2
    # behind; May and the quarter's general assembly still in progress: 1 / 3 = 33.3%,
    # against the first quarter's 10 / 12 = 83.3%.
    assert ">33.3%<" in page and "比上期下降 50.0 个百分点" in page and "上期：83.3%" in page
    # Attendance: 2 of 3 in April (66.7%) against the first quarter's 76.2%.
    assert ">66.7%<" in page and "比上期下降 9.5 个百分点" in page and "上期：76.2%" in page
    # Care as of today: A1 visited on time, B2 overdue, A4 waiting: 1 / 3.
    assert ">33.3%<" in page and "逾期未走访：<a href" in page


def test_the_branches_furthest_behind_and_their_count_match_the_dashboards_list(april, client_for):
    cast = april.cast
    client = client_for("district_staff")
    page = home(client)
    shown = re.findall(r'href="/reports/branch/(\d+)/\?period=quarter', page)
    assert [int(pk) for pk in shown] == [cast.functional_a.pk, cast.branch_a2.pk]
    assert "查看全部 2 个未达标支部" in page
    behind = reverse("reports:org_branches", args=[cast.district_a.pk])
    assert linked_count(client, f"{behind}?list=behind&period=quarter&year=2026&quarter=2") == 2
    assert f'href="{behind}?list=behind&amp;period=quarter&amp;year=2026&amp;quarter=2"' in page
    unregistered = reverse("reports:org_members", args=[cast.district_a.pk])
    assert linked_count(client, unregistered + "?list=unregistered") == 2
    # Care: the coverage page lists the one member overdue, and the same share on time.
    care = client.get(reverse("care:coverage", args=[cast.district_a.pk]))
    assert care.context["page"].paginator.count == 1
    assert care.context["total"].share_label == "33%" and (
        care.context["total"].covered,
        care.context["total"].needs,
    ) == (1, 3)


def test_a_streets_staff_see_their_street_only(april, client_for):
    cast = april.cast
    page = home(client_for("street_staff"))
    # 和平街道: A1 A2 A3 of A1-A4 registered; only functional_a is behind in April.
    assert "和平街道 · 主要指标" in page and ">75.0%<" in page
    assert cast.functional_a.name in page
    assert cast.branch_a2.name not in page and "新华街道" not in page
    other = home(client_for("street_a2_staff"))
    assert cast.branch_a2.name in other and cast.functional_a.name not in other


def _notice(org, author, *, deadline, response=ResponseKind.CONFIRM, title="学习通知"):
    notice = Notice.objects.create(
        organization=org, author=author, title=title, deadline=deadline, response=response
    )
    notice.audience.set([org])
    notice_services.send(notice=notice, actor=author)
    return notice


def test_notices_past_their_deadline_with_the_branches_that_did_not_confirm(
    april, client_for, frozen_today
):
    cast = april.cast
    staff = cast.user("district_staff")
    yesterday = frozen_today - datetime.timedelta(days=1)
    late = _notice(cast.district_a, staff, deadline=yesterday, title="逾期未确认的通知")
    # branch_a, functional_a, branch_a2 (branch_gone is dissolved): branch_a confirms.
    assert late.receipts.count() == 3
    late.receipts.filter(branch=cast.branch_a).update(
        confirmed_at=datetime.datetime.now(datetime.UTC)
    )
    done = _notice(cast.district_a, staff, deadline=yesterday, title="都已确认的通知")
    done.receipts.update(confirmed_at=datetime.datetime.now(datetime.UTC))
    _notice(cast.district_a, staff, deadline=frozen_today, title="今天截止的通知")
    long_ago = frozen_today - datetime.timedelta(days=91)
    _notice(cast.district_a, staff, deadline=long_ago, title="三个月前截止的通知")
    _notice(
        cast.district_a, staff, deadline=yesterday, title="无需回执", response=ResponseKind.NONE
    )
    _notice(cast.district_b, cast.user("district_b_staff"), deadline=yesterday, title="西湖区通知")
    # The street passes it down with its own note: its branches' receipts of the original.
    forward = Notice.objects.create(
        organization=cast.street_a,
        author=cast.user("street_staff"),
        title="转发：逾期未确认的通知",
        deadline=yesterday,
        forwarded_from=late,
        root=late,
        state=NoticeState.SENT,
    )
    page = home(client_for("district_staff"))
    assert "1 条通知有支部未按时确认" in page
    assert "逾期未确认的通知" in page and "2 个支部未确认" in page
    for title in (
        "都已确认的通知",
        "今天截止的通知",
        "三个月前截止的通知",
        "无需回执",
        "西湖区通知",
        "转发：",
    ):
        assert title not in page
    assert NoticeReceipt.objects.filter(notice=late).open().count() == 2
    # The street sees its forward: of its two branches, functional_a has not confirmed.
    street = home(client_for("street_staff"))
    assert forward.title in street and "1 个支部未确认" in street
    assert "1 条通知有支部未按时确认" in street
    other = home(client_for("district_b_staff"))
    assert "西湖区通知" in other and "逾期未确认的通知" not in other


def test_failed_reminders_count_as_the_review_page_lists_them(april, client_for):
    cast = april.cast
    for n, path in enumerate(
        (
            cast.community_a.path,
            cast.community_a2.path,
            cast.community_b.path,
            cast.community_a.path,
        )
    ):
        Reminder.objects.create(
            kind=ReminderKind.DIGEST,
            subject=f"digest:{n}",
            recipient=cast.user("community_secretary"),
            period=f"2026-05-{n + 1:02d}",
            area_path=path,
            title="每日提醒",
            state=ReminderState.FAILED if n < 3 else ReminderState.SENT,
        )
    client = client_for("district_staff")
    page = home(client)
    # Two failed in district A (the third is district B's, the fourth was sent).
    assert "2 条提醒发送失败：查看原因" in page
    assert linked_count(client, reverse("reminders:failed_list")) == 2
    # Street staff do not review reminders: no such item.
    assert "未能送达的提醒" not in home(client_for("street_staff"))


def test_the_dashboard_and_the_excusals_are_one_tap_away(april, client_for):
    page = home(client_for("district_staff"))
    assert f'href="/reports/org/{april.cast.district_a.pk}/"' in page
    assert 'href="/excusals/"' in page


def _count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


# The request's own (session, user, roles), the panel's areas, each area's figures version
# (its section kept rendered under it: workbench.staff.area_body), notices past their
# deadline (the first and their count, one query), failed reminders, venue bookings
# waiting for approval, the home page's own list of areas; the units panel: failed
# messages to units, the unit events' counts, open action items (a count), the feedback
# reports' latest run and, with none yet, the district to start one for.
DISTRICT_QUERIES = 14
# The panel's own: its areas, the area's figures version, late notices, failed reminders.
PANEL_QUERIES = 4
# An area's section rendered from figures kept (both periods' figures, the year end and
# the completeness each read their version); the first look of the day for these grants
# computes the year end too: one query more.
SECTION_FROM_KEPT_FIGURES = 4
YEAR_END_COMPUTED = 1


def test_the_staff_workbench_is_served_from_the_cache_in_the_same_queries_at_any_size(
    april, client_for
):
    client = client_for("district_staff")
    cache.clear()
    cold = _count(client)
    assert _count(client) == DISTRICT_QUERIES < cold
    grow(april.cast.district_a)
    cache.clear()
    _count(client)
    assert _count(client) == DISTRICT_QUERIES
    # A street's panel: the same, less the reminders it does not review (measured on
    # the panel alone: the street's staff also get the secretary's panel for the
    # functional branch they record meetings for).
    assert _panel_count(april.cast.user("district_staff")) == PANEL_QUERIES
    assert _panel_count(april.cast.user("street_staff")) == PANEL_QUERIES - 1


def _panel_count(user) -> int:
    request = RequestFactory().get("/")
    request.user = user
    scope = scope_for(user)
    staff.panel(request, scope, TODAY)  # warm
    with CaptureQueriesContext(connection) as queries:
        staff.panel(request, scope, TODAY)
    return len(queries)


def test_the_morning_task_warms_both_periods_the_workbench_reads(april):
    user = april.cast.user("district_staff")
    request = RequestFactory().get("/")
    request.user = user
    scope = scope_for(user)
    cache.clear()
    warm_dashboards()
    with CaptureQueriesContext(connection) as queries:
        staff.panel(request, scope, TODAY)
    # No figures computed: both periods were cached (the year end is kept per grants).
    assert len(queries) == PANEL_QUERIES + SECTION_FROM_KEPT_FIGURES + YEAR_END_COMPUTED
    with CaptureQueriesContext(connection) as queries:
        staff.panel(request, scope, TODAY)
    assert len(queries) == PANEL_QUERIES


MARK = "<p>kept-for-the-first-reader</p>"


def test_a_kept_area_shows_a_meeting_recorded_through_its_service_at_once(april, client_for, kept):
    cache.clear()
    client = client_for("district_staff")
    assert "比上期下降 50.0 个百分点" in home(client)  # 1 of 3 branches met April's
    assert "比上期下降 50.0 个百分点" in home(client) and len(kept) == 1  # served kept
    recording.meeting_record_new(
        branch=april.cast.branch_a2,
        details={
            "kind": MeetingKind.THEME_DAY,
            "topic": "补开",
            "held_on": datetime.date(2026, 4, 12),
        },
        marks={},
        client_key=uuid.uuid4(),
        actor=april.cast.user("district_staff"),
    )
    page = home(client)
    assert "比上期下降 50.0 个百分点" not in page and ">66.7%<" in page  # 2 of 3
    assert len(kept) == 2 and kept[1] != kept[0]


def test_an_area_kept_for_one_reader_is_never_served_to_another(april, client_for, kept):
    cache.clear()
    cast = april.cast
    home(client_for("district_staff"))
    [key] = kept
    cache.set(key, shared_cache.page_entry(MARK))
    colleague = f.user(username="colleague", role=Role.DISTRICT_STAFF, node=cast.district_a)
    assert MARK in home(login_as(Client(), colleague))  # the very same grants
    # The same district, and a branch of another besides: other grants, their own section.
    other = f.user(username="other", role=Role.DISTRICT_STAFF, node=cast.district_a)
    f.grant(other, Role.BRANCH_SECRETARY, cast.branch_b)
    page = home(login_as(Client(), other))
    assert MARK not in page and "比上期下降 50.0 个百分点" in page
    assert len(kept) == 2 and kept[1] != key
