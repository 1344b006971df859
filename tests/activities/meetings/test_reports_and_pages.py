"""The branch's attendance report, the yearly ledger, and the pages around them (with
query counts that do not grow with the data)."""

import datetime
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.meetings.ledgers import attendance_report, ledger
from activities.meetings.models import Meeting, MeetingStatus
from activities.meetings.periods import quarter_span
from activities.meetings.services import makeups, planning
from activities.meetings.services.recording import Mark
from branches.models import Branch

from ..conftest import member, record

D = datetime.date


def test_the_quarter_report_counts_each_member_by_hand(roster):
    m = roster.members
    record(
        branch=roster.branch,
        held_on=D(2025, 4, 8),
        marks={m[0].pk: Mark("absent"), m[1].pk: Mark("remote")},
    )
    second = record(
        branch=roster.branch,
        held_on=D(2025, 5, 8),
        marks={m[0].pk: Mark("excused", "住院"), roster.bedridden.pk: Mark("excused", "卧床")},
    )
    record(branch=roster.branch, held_on=D(2025, 7, 8), marks={m[0].pk: Mark("absent")})  # Q3
    makeups.makeup_record(
        attendance=second.attendances.get(member=m[0]),
        details={
            "kind": "study",
            "made_up_on": D(2025, 5, 20),
            "delivered_by": "组织委员",
            "material": "会议材料",
        },
        actor=None,
    )

    report = attendance_report(roster.branch, quarter_span(2025, 2))
    lines = {line.member_id: line.tally for line in report.lines}

    assert report.meetings == 2
    assert len(lines) == 10
    first = lines[m[0].pk]
    assert (first.expected, first.attended, first.excused, first.absent, first.made_up) == (
        2,
        0,
        1,
        1,
        1,
    )
    assert first.rate == 0.5
    assert lines[m[1].pk].attended == 2 and lines[m[1].pk].rate == 1.0
    assert lines[roster.bedridden.pk].rate == 0.5
    # 20 expected: 9 + 8 attended, and one made up -> 18 / 20.
    assert (report.total.expected, report.total.attended, report.total.made_up) == (20, 17, 1)
    assert report.total.rate == 0.9
    misses = [(a.meeting.held_on, a.member_id, a.status) for a in report.misses]
    assert sorted(misses) == sorted(
        [
            (D(2025, 4, 8), m[0].pk, "absent"),
            (D(2025, 5, 8), m[0].pk, "excused"),
            (D(2025, 5, 8), roster.bedridden.pk, "excused"),
        ]
    )
    assert [x[0] for x in misses] == sorted(x[0] for x in misses)  # in date order


def test_attendance_counts_once_where_it_happened_even_after_a_move(roster, cast):
    mover = roster.members[2]
    record(branch=roster.branch, held_on=D(2025, 4, 8))
    mover.home_branch = cast.branch_a2
    mover.save()
    record(branch=cast.branch_a2, held_on=D(2025, 5, 8))

    here = attendance_report(roster.branch, quarter_span(2025, 2))
    there = attendance_report(cast.branch_a2, quarter_span(2025, 2))
    assert [line.tally.expected for line in here.lines if line.member_id == mover.pk] == [1]
    assert [line.tally.expected for line in there.lines if line.member_id == mover.pk] == [1]


def test_the_ledger_holds_held_and_cancelled_meetings_of_the_year_in_date_order(roster):
    record(branch=roster.branch, held_on=D(2025, 9, 1), topic="九月")
    record(branch=roster.branch, held_on=D(2025, 3, 1), topic="三月")
    record(branch=roster.branch, held_on=D(2024, 12, 1), topic="去年")
    cancelled, _ = planning.meeting_plan(
        branch=roster.branch,
        details={"kind": "lecture", "topic": "取消的党课", "planned_on": D(2025, 6, 1)},
        client_key=uuid.uuid4(),
        actor=None,
    )
    planning.meeting_cancel(meeting=cancelled, reason="暴雨", actor=None)
    planning.meeting_plan(
        branch=roster.branch,
        details={"kind": "lecture", "topic": "还没开", "planned_on": D(2025, 12, 1)},
        client_key=uuid.uuid4(),
        actor=None,
    )
    book = ledger(roster.branch, 2025)
    assert [e.meeting.topic for e in book.meetings] == ["三月", "取消的党课", "九月"]
    assert book.meetings[1].meeting.cancel_reason == "暴雨"
    assert book.meetings[0].tally.expected == 10
    assert book.count_of("general_assembly") == 2


def test_the_ledger_runs_the_same_queries_whatever_the_year_holds(roster):
    record(branch=roster.branch, held_on=D(2025, 3, 1))
    with CaptureQueriesContext(connection) as few:
        ledger(roster.branch, 2025)
    for month in range(4, 12):
        record(branch=roster.branch, held_on=D(2025, month, 1))
    with CaptureQueriesContext(connection) as many:
        book = ledger(roster.branch, 2025)
    # Three for the meetings, their attendance and study materials; five for the funds section that
    # resources.funds adds through `ledger_sections` (no spending: no receipts query).
    assert len(few) == len(many) == 3 + 5
    assert len(book.meetings) == 9


def meeting_list_queries(client, branch):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("activities:meeting_list", args=[branch.pk]))
    assert response.status_code == 200
    return len(ctx)


def test_the_meeting_list_runs_the_same_queries_for_few_and_many_meetings(roster, client_for):
    client = client_for("community_secretary")
    record(branch=roster.branch, held_on=D(2025, 3, 1))
    few = meeting_list_queries(client, roster.branch)
    for day in range(2, 25):
        record(
            branch=roster.branch,
            held_on=D(2025, 4, day),
            marks={roster.members[0].pk: Mark("absent")},
        )
    # session, user, scope, branch, meetings page (count + rows), groups, outstanding.
    assert meeting_list_queries(client, roster.branch) == few <= 9


def test_the_meeting_page_runs_the_same_queries_for_10_and_60_members(roster, client_for):
    client = client_for("community_secretary")

    def queries():
        meeting = record(branch=roster.branch, held_on=D(2025, 6, 10))
        with CaptureQueriesContext(connection) as ctx:
            assert (
                client.get(reverse("activities:meeting_detail", args=[meeting.pk])).status_code
                == 200
            )
        return len(ctx)

    small = queries()
    for _ in range(50):
        member(branch=roster.branch)
    assert queries() == small


def test_the_meeting_list_shows_rates_and_the_make_up_to_do_list(roster, client_for):
    from django.utils import timezone

    meeting = record(
        branch=roster.branch,
        held_on=timezone.localdate() - datetime.timedelta(days=30),
        marks={roster.bedridden.pk: Mark("excused", "卧床")},
    )
    html = (
        client_for("community_secretary")
        .get(reverse("activities:meeting_list", args=[roster.branch.pk]))
        .content.decode()
    )
    assert "90.0%" in html
    assert meeting.topic in html
    assert "待补学" in html
    line = meeting.attendances.get(member=roster.bedridden)
    assert reverse("activities:makeup_create", args=[line.pk]) in html


def test_the_branch_page_links_to_its_meetings_and_compliance(cast, client_for):
    html = (
        client_for("branch_secretary")
        .get(reverse("branches:branch_detail", args=[cast.branch_a.pk]))
        .content.decode()
    )
    assert reverse("activities:meeting_list", args=[cast.branch_a.pk]) in html
    assert reverse("activities:branch_compliance", args=[cast.branch_a.pk]) in html


def test_the_branch_compliance_page_writes_statuses_out(cast, client_for):
    Meeting.objects.create(
        branch=cast.branch_a,
        kind="general_assembly",
        status=MeetingStatus.HELD,
        topic="一季度党员大会",
        planned_on=D(2025, 2, 1),
        held_on=D(2025, 2, 1),
    )
    html = (
        client_for("branch_secretary")
        .get(reverse("activities:branch_compliance", args=[cast.branch_a.pk]) + "?year=2025")
        .content.decode()
    )
    for words in ("达标", "未达标", "一季度", "支部党员大会", "每个党小组"):
        assert words in html


def overview_queries(client, cast):
    url = reverse("activities:org_compliance", args=[cast.community_a.pk]) + "?year=2025"
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx), response.content.decode()


def test_the_community_overview_is_one_aggregate_whatever_the_branches(cast, client_for):
    client = client_for("community_secretary")
    few, html = overview_queries(client, cast)
    assert cast.branch_a.name in html
    for i in range(12):
        Branch.objects.create(organization=cast.community_a, name=f"测试支部{i}")
    many, html = overview_queries(client, cast)
    assert "测试支部11" in html
    assert few == many


def test_the_record_chooser_offers_every_kind_then_the_groups(roster, client_for):
    client = client_for("community_secretary")
    url = reverse("activities:meeting_record_new", args=[roster.branch.pk])
    html = client.get(url).content.decode()
    for label in (
        "支部党员大会",
        "支部委员会会议",
        "党小组会",
        "党课",
        "主题党日",
        "组织生活会",
        "民主评议党员",
    ):
        assert label in html
    html = client.get(url + "?kind=group").content.decode()
    assert f"?kind=group&amp;group={roster.group.pk}" in html


def test_no_page_carries_inline_styles_or_scripts_without_the_nonce(roster, client_for, cast):
    import re

    meeting = record(
        branch=roster.branch,
        held_on=D(2025, 6, 10),
        marks={roster.members[0].pk: Mark("absent")},
    )
    line = meeting.attendances.get(member=roster.members[0])
    pages = {
        "community_secretary": [
            reverse("activities:meeting_list", args=[roster.branch.pk]),
            reverse("activities:meeting_plan", args=[roster.branch.pk]),
            reverse("activities:meeting_record_new", args=[roster.branch.pk]) + "?kind=lecture",
            reverse("activities:meeting_detail", args=[meeting.pk]),
            reverse("activities:meeting_record", args=[meeting.pk]),
            reverse("activities:meeting_edit", args=[meeting.pk]),
            reverse("activities:makeup_create", args=[line.pk]),
            reverse("activities:attachment_upload", args=[meeting.pk]),
            reverse("activities:sign_in_sheet", args=[meeting.pk]),
            reverse("activities:attendance_record", args=[meeting.pk]),
            reverse("activities:attendance_report", args=[roster.branch.pk]),
            reverse("activities:ledger", args=[roster.branch.pk]) + "?year=2025",
            reverse("activities:branch_compliance", args=[roster.branch.pk]),
            reverse("activities:org_compliance", args=[cast.community_a.pk]),
        ],
        "district_staff": [
            reverse("activities:rule_list"),
            reverse("activities:rule_create"),
            reverse("activities:excusal_list"),
            reverse("activities:excusal_create", args=[roster.branch.pk]),
        ],
    }
    for role, urls in pages.items():
        client = client_for(role)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert not re.search(r"\sstyle=", html), url
            for tag in re.findall(r"<script[^>]*>", html):
                assert "nonce=" in tag, (url, tag)
