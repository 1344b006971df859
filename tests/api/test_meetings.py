"""/api/v1/meetings/: the list and detail as the meetings pages show them, and the three
writes (plan, record, record a meeting held without a plan) through the pages' forms and
services: idempotent on the client's key, 409 on a stale version, 400 with the forms'
Chinese messages, nothing written when refused, the dashboards' tallies kept."""

import datetime
import uuid
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry
from activities.meetings.models import (
    Attendance,
    AttendanceStatus,
    BranchMonthTally,
    MakeUp,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from activities.meetings.services import makeups, planning, recording
from members.models import Health

from .. import factories as f
from ..activities.conftest import member

LIST = reverse("api_v1:meeting-list")
HELD = reverse("api_v1:meeting-held")
DAY = datetime.date(2025, 6, 10)


def detail(meeting):
    return reverse("api_v1:meeting-detail", kwargs={"pk": meeting.pk})


def record_url(meeting):
    return reverse("api_v1:meeting-record", kwargs={"pk": meeting.pk})


@pytest.fixture
def place(cast):
    """A branch of community_a of its own (the community secretary records there; the
    branch_a secretary does not reach it) with three members, one of them bedridden."""
    branch = f.branch(organization=cast.community_a, name="翠园社区第二党支部")
    a = member(branch=branch, name="王建国")
    b = member(branch=branch, name="李秀英")
    c = member(branch=branch, name="张志伟", health=Health.BEDRIDDEN)
    return branch, a, b, c


def plan(branch, topic="学习会", day=DAY, kind=MeetingKind.LECTURE):
    meeting, _ = planning.meeting_plan(
        branch=branch,
        details={"kind": kind, "topic": topic, "planned_on": day},
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


def snapshot():
    return [
        *Meeting.objects.order_by("pk").values_list("pk", "status", "topic", "version"),
        *Attendance.objects.order_by("pk").values_list("pk", "status", "reason"),
        *BranchMonthTally.objects.order_by("pk").values_list("pk", "held", "expected", "present"),
        AuditEntry.objects.count(),
    ]


# --- Reads -------------------------------------------------------------------------------


def test_the_list_holds_the_scope_newest_first_with_chinese_labels(cast, place, api_for):
    branch, *_ = place
    older = plan(branch, "四月党课", datetime.date(2025, 4, 1))
    newer = plan(branch, "五月党课", datetime.date(2025, 5, 1))
    same_day = plan(branch, "五月第二次党课", datetime.date(2025, 5, 1))
    other = plan(cast.branch_b, "西湖区的会", datetime.date(2025, 5, 2))

    rows = api_for("community_secretary").get(LIST).json()["results"]
    assert [r["id"] for r in rows] == [same_day.pk, newer.pk, older.pk]
    first = rows[0]
    assert first["branch"] == branch.pk and first["branch_name"] == "翠园社区第二党支部"
    assert (first["kind"], first["kind_display"]) == ("lecture", "党课")
    assert (first["status"], first["status_display"]) == ("planned", "计划中")
    assert (first["mode"], first["mode_display"]) == ("on_site", "现场")
    assert first["planned_on"] == "2025-05-01" and first["held_on"] is None
    assert first["version"] == 1
    assert first["updated_at"].endswith("+08:00")

    b_rows = api_for("community_b_secretary").get(LIST).json()["results"]
    assert [r["id"] for r in b_rows] == [other.pk]
    # branch_a's secretary does not reach the second branch; the liaison reads no meeting.
    assert api_for("branch_secretary").get(LIST).json()["results"] == []
    assert api_for("unit_liaison").get(LIST).json()["count"] == 0


def test_the_list_filters(cast, place, api_for):
    branch, *_ = place
    april = plan(branch, "四月党课", datetime.date(2025, 4, 1))
    may = plan(branch, "五月主题党日", datetime.date(2025, 5, 1), kind=MeetingKind.THEME_DAY)
    recording.meeting_record(meeting=may, details={}, marks={}, record_key=uuid.uuid4(), actor=None)
    plan(cast.branch_a, "支部一的会", datetime.date(2025, 4, 2))
    api = api_for("community_secretary")

    def ids(query):
        response = api.get(f"{LIST}?{query}")
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids(f"branch={branch.pk}") == [may.pk, april.pk]
    assert ids(f"branch={branch.pk}&status=held") == [may.pk]
    assert ids(f"branch={branch.pk}&kind=lecture") == [april.pk]
    assert ids(f"branch={branch.pk}&held_from=2025-05-01&held_to=2025-05-01") == [may.pk]
    assert ids(f"branch={branch.pk}&planned_to=2025-04-30") == [april.pk]
    april.refresh_from_db()
    may.refresh_from_db()
    since = urlencode({"updated_since": may.updated_at.isoformat()})
    assert ids(f"branch={branch.pk}&{since}") == [may.pk]
    assert ids(f"branch={cast.branch_b.pk}") == []
    # Every parameter is parsed: a wrong value is a 400 on its name, not a silent default.
    bad = api.get(f"{LIST}?status=over")
    assert bad.status_code == 400 and "status" in bad.json()
    assert api.get(f"{LIST}?held_from=yesterday").status_code == 400


def test_the_detail_has_the_attendance_as_the_meeting_page(cast, place, api_for):
    branch, a, b, c = place
    meeting = recording.meeting_record_new(
        branch=branch,
        details={"kind": MeetingKind.THEME_DAY, "topic": "六月主题党日", "held_on": DAY},
        marks={
            b.pk: recording.Mark(AttendanceStatus.ABSENT),
            c.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床"),
        },
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting
    makeups.makeup_record(
        attendance=Attendance.objects.get(meeting=meeting, member=c),
        details={
            "kind": "home_delivery",
            "made_up_on": datetime.date(2025, 6, 12),
            "delivered_by": "赵书记",
            "material": "会议精神",
        },
        actor=None,
    )
    data = api_for("community_secretary").get(detail(meeting)).json()
    assert (data["status"], data["held_on"], data["topic"]) == (
        "held",
        "2025-06-10",
        "六月主题党日",
    )
    lines = {line["member"]: line for line in data["attendance"]}
    assert lines == {
        a.pk: {
            "member": a.pk,
            "name": "王建国",
            "party_group": "",
            "is_voting": True,
            "status": "present",
            "status_display": "出席",
            "reason": "",
            "make_up": None,
        },
        b.pk: {
            "member": b.pk,
            "name": "李秀英",
            "party_group": "",
            "is_voting": True,
            "status": "absent",
            "status_display": "缺席",
            "reason": "",
            "make_up": None,
        },
        c.pk: {
            "member": c.pk,
            "name": "张志伟",
            "party_group": "",
            "is_voting": True,
            "status": "excused",
            "status_display": "请假",
            "reason": "卧床",
            "make_up": {
                "kind": "home_delivery",
                "kind_display": "送学上门",
                "made_up_on": "2025-06-12",
                "delivered_by": "赵书记",
                "material": "会议精神",
            },
        },
    }
    # A planned meeting shows its expected list, nothing recorded yet.
    planned = plan(branch)
    lines = api_for("district_staff").get(detail(planned)).json()["attendance"]
    assert {(x["member"], x["status"]) for x in lines} == {(a.pk, ""), (b.pk, ""), (c.pk, "")}
    # Outside the read scope: 404 (branch_a's secretary, the other district).
    assert api_for("branch_secretary").get(detail(meeting)).status_code == 404
    assert api_for("district_b_staff").get(detail(meeting)).status_code == 404


def _count(api, url):
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_queries_are_pinned_and_constant_with_data_size(cast, place, api_for):
    branch, *_ = place
    api = api_for("community_secretary")
    api.get(LIST)  # the token's first use and the throttle's first hit are done
    for n in range(2):
        plan(branch, f"党课{n}")
    small_list = _count(api, LIST)
    meeting = recording.meeting_record_new(
        branch=branch,
        details={"kind": MeetingKind.THEME_DAY, "topic": "主题党日", "held_on": DAY},
        marks={},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting
    small_detail = _count(api, detail(meeting))
    for n in range(12):
        plan(branch, f"更多党课{n}")
        plan(cast.branch_a, f"支部一党课{n}")
    for _ in range(15):
        member(branch=branch)
    big = recording.meeting_record_new(
        branch=branch,
        details={"kind": MeetingKind.THEME_DAY, "topic": "大主题党日", "held_on": DAY},
        marks={},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting
    assert big.attendances.count() == 18
    assert _count(api, LIST) == small_list
    assert _count(api, detail(big)) == small_detail
    # Pinned: the door (token, its last use, the request log) plus the scope and the page.
    assert (small_list, small_detail) == (SMALL_LIST, SMALL_DETAIL)


SMALL_LIST, SMALL_DETAIL = 5, 5  # measured


# --- Plan ----------------------------------------------------------------------------------


def plan_body(branch, **extra):
    return {
        "client_key": str(uuid.uuid4()),
        "branch": branch.pk,
        "kind": "lecture",
        "topic": "十二月专题党课",
        "planned_on": "2026-12-20",
        "start_time": "09:30",
        "end_time": "11:00",
        "lecturer": "刘老师",
        **extra,
    }


def test_planning_twice_with_the_same_key_creates_one_meeting(cast, place, api_for):
    branch, *_ = place
    api = api_for("community_secretary")
    body = plan_body(branch)
    audited = AuditEntry.objects.filter(action="create", object_type="activities.meeting")
    first = api.post(LIST, body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["replayed"] is False
    meeting = Meeting.objects.get(pk=first.json()["id"])
    assert (meeting.branch, meeting.status, meeting.topic) == (branch, "planned", "十二月专题党课")
    assert (meeting.start_time, meeting.lecturer) == (datetime.time(9, 30), "刘老师")
    assert str(meeting.client_key) == body["client_key"]
    assert meeting.created_by.api_client.name == "twin of community_secretary"
    assert audited.filter(object_id=str(meeting.pk)).count() == 1
    again = api.post(LIST, body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == meeting.pk and again.json()["replayed"] is True
    assert Meeting.objects.filter(topic="十二月专题党课").count() == 1
    assert audited.filter(object_id=str(meeting.pk)).count() == 1
    # The planned meeting reads back as the list and detail show it.
    assert api.get(detail(meeting)).json()["lecturer"] == "刘老师"


def test_a_key_used_in_another_branch_is_refused(cast, place, api_for):
    branch, *_ = place
    body = plan_body(branch)
    assert api_for("community_secretary").post(LIST, body, format="json").status_code == 201
    before = snapshot()
    reused = api_for("community_b_secretary").post(
        LIST, {**body, "branch": cast.branch_b.pk}, format="json"
    )
    assert reused.status_code == 409
    assert reused.json()["detail"] == "该幂等键已用于另一项写入操作。"
    assert "十二月专题党课" not in reused.content.decode()
    assert snapshot()[:-1] == before[:-1]


def test_plan_validation_answers_the_forms_messages_and_writes_nothing(cast, place, api_for):
    branch, *_ = place
    api = api_for("community_secretary")
    before = snapshot()
    group_without = api.post(LIST, plan_body(branch, kind="group"), format="json")
    assert group_without.status_code == 400
    assert group_without.json() == {"party_group": ["请选择召开会议的党小组。"]}
    backwards = api.post(LIST, plan_body(branch, end_time="09:00"), format="json")
    assert backwards.json() == {"end_time": ["结束时间必须晚于开始时间。"]}
    missing = api.post(LIST, {"branch": branch.pk}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"client_key", "kind", "topic", "planned_on"}
    assert missing.json()["topic"] == ["该字段是必填项。"]
    no_branch = api.post(LIST, {"topic": "无支部"}, format="json")
    assert no_branch.status_code == 400 and no_branch.json() == {"branch": ["该字段是必填项。"]}
    foreign_venue = api.post(LIST, plan_body(branch, venue=cast.venue_b.pk), format="json")
    assert foreign_venue.status_code == 400 and list(foreign_venue.json()) == ["venue"]
    assert snapshot()[:-1] == before[:-1]


def test_planning_outside_the_scope_is_404_and_without_the_right_403(cast, place, api_for):
    branch, *_ = place
    before = snapshot()
    body = plan_body(branch)
    assert api_for("community_b_secretary").post(LIST, body, format="json").status_code == 404
    assert api_for("branch_secretary").post(LIST, body, format="json").status_code == 404
    assert api_for("street_staff").post(LIST, body, format="json").status_code == 403
    # Refused before validation: an invalid body outside the scope is still a 404.
    bad = {"branch": branch.pk, "kind": "nonsense"}
    assert api_for("district_b_staff").post(LIST, bad, format="json").status_code == 404
    assert snapshot()[:-1] == before[:-1]


# --- Record a planned meeting ------------------------------------------------------------------


def test_recording_a_planned_meeting_writes_attendance_and_the_tally(cast, place, api_for):
    branch, a, b, c = place
    meeting = plan(branch, "六月党课", DAY)
    api = api_for("community_secretary")
    body = {
        "record_key": str(uuid.uuid4()),
        "version": meeting.version,
        "held_on": "2025-06-10",
        "host": "赵书记",
        "attendance": [
            {"member": b.pk, "status": "excused", "reason": "住院"},
            {"member": a.pk, "status": "remote"},
        ],
    }
    response = api.post(record_url(meeting), body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["replayed"] is False and data["status"] == "held" and data["version"] == 2
    assert data["host"] == "赵书记" and data["topic"] == "六月党课"
    marks = set(
        Attendance.objects.filter(meeting=meeting).values_list("member", "status", "reason")
    )
    # c was not mentioned: bedridden, so excused (卧床) as the recording screen starts.
    assert marks == {(a.pk, "remote", ""), (b.pk, "excused", "住院"), (c.pk, "excused", "卧床")}
    tally = BranchMonthTally.objects.get(branch=branch, month=datetime.date(2025, 6, 1))
    assert (tally.held, tally.expected, tally.present, tally.remote, tally.excused) == (
        1,
        3,
        0,
        1,
        2,
    )
    audited = AuditEntry.objects.filter(object_type="activities.attendance").count()
    assert audited == 3
    # The same request again (a retry): nothing written, the same meeting.
    before = snapshot()
    again = api.post(record_url(meeting), body, format="json")
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert snapshot() == before


def test_a_stale_version_is_409_and_writes_nothing(cast, place, api_for):
    branch, *_ = place
    meeting = plan(branch, "六月党课", DAY)
    planning.meeting_update(
        meeting=meeting, details={"topic": "六月专题党课"}, actor=None, version=meeting.version
    )
    api = api_for("community_secretary")
    before = snapshot()
    response = api.post(
        record_url(meeting),
        {"record_key": str(uuid.uuid4()), "version": 1, "held_on": "2025-06-10"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "在您填写期间，另一位用户已保存了此会议。"
    assert response.json()["version"] == 2
    assert snapshot() == before


def test_a_line_for_a_member_not_on_the_list_is_400_naming_the_line(cast, place, api_for):
    branch, a, b, _c = place
    meeting = plan(branch, "六月党课", DAY)
    api = api_for("community_secretary")
    before = snapshot()
    response = api.post(
        record_url(meeting),
        {
            "record_key": str(uuid.uuid4()),
            "version": 1,
            "held_on": "2025-06-10",
            "attendance": [
                {"member": a.pk, "status": "present"},
                {"member": cast.member_b.pk, "status": "present"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "attendance": [
            {},
            {"member": [f"编号为{cast.member_b.pk}的党员不在本次会议的名单上。"]},
        ]
    }
    excused = api.post(
        record_url(meeting),
        {
            "record_key": str(uuid.uuid4()),
            "version": 1,
            "held_on": "2025-06-10",
            "attendance": [{"member": b.pk, "status": "excused"}],
        },
        format="json",
    )
    assert excused.status_code == 400
    assert excused.json() == {"attendance": [{"reason": ["请填写李秀英的请假原因。"]}]}
    future = api.post(
        record_url(meeting),
        {"record_key": str(uuid.uuid4()), "version": 1, "held_on": "2999-01-01"},
        format="json",
    )
    assert future.json() == {"held_on": ["召开日期不能晚于今天。"]}
    no_version = api.post(record_url(meeting), {"record_key": str(uuid.uuid4())}, format="json")
    assert no_version.status_code == 400 and list(no_version.json()) == ["version"]
    assert snapshot() == before


def test_recording_is_scoped_like_the_recording_page(cast, place, api_for):
    branch, *_ = place
    meeting = plan(branch, "六月党课", DAY)
    body = {"record_key": str(uuid.uuid4()), "version": 1, "held_on": "2025-06-10"}
    before = snapshot()
    assert (
        api_for("district_staff").post(record_url(meeting), body, format="json").status_code == 403
    )
    for outside in ("branch_secretary", "district_b_staff", "unit_liaison", "outsider"):
        response = api_for(outside).post(record_url(meeting), body, format="json")
        assert response.status_code == 404, outside
    assert snapshot()[:-1] == before[:-1]


def test_a_cancelled_meeting_cannot_be_recorded(cast, place, api_for):
    branch, *_ = place
    meeting = plan(branch, "六月党课", DAY)
    meeting = planning.meeting_cancel(meeting=meeting, reason="暴雨", actor=None)
    api = api_for("community_secretary")
    before = snapshot()
    response = api.post(
        record_url(meeting),
        {"record_key": str(uuid.uuid4()), "version": meeting.version, "held_on": "2025-06-10"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "已取消的会议不能登记出席。"
    assert snapshot() == before


# --- Record a meeting held without a plan --------------------------------------------------


def held_body(branch, **extra):
    return {
        "client_key": str(uuid.uuid4()),
        "branch": branch.pk,
        "kind": "theme_day",
        "topic": "六月主题党日",
        "held_on": "2025-06-10",
        **extra,
    }


def test_a_held_meeting_sent_twice_is_recorded_once(cast, place, api_for):
    branch, a, b, c = place
    api = api_for("community_secretary")
    body = held_body(branch, attendance=[{"member": a.pk, "status": "absent"}])
    first = api.post(HELD, body, format="json")
    assert first.status_code == 201, first.content
    meeting = Meeting.objects.get(pk=first.json()["id"])
    assert (meeting.status, meeting.held_on, meeting.planned_on) == ("held", DAY, DAY)
    assert str(meeting.client_key) == body["client_key"]
    lines = {x["member"]: x["status"] for x in first.json()["attendance"]}
    assert lines == {a.pk: "absent", b.pk: "present", c.pk: "excused"}
    before = snapshot()
    again = api.post(HELD, body, format="json")
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["id"] == meeting.pk
    assert snapshot() == before
    assert Meeting.objects.filter(client_key=body["client_key"]).count() == 1
    tally = BranchMonthTally.objects.get(branch=branch, month=datetime.date(2025, 6, 1))
    assert (tally.held, tally.expected, tally.present, tally.absent) == (1, 3, 1, 1)


def test_a_held_group_meeting_needs_the_branchs_group(cast, place, api_for):
    branch, *_ = place
    api = api_for("community_secretary")
    before = snapshot()
    none = api.post(HELD, held_body(branch, kind="group"), format="json")
    assert none.json() == {"party_group": ["请选择召开会议的党小组。"]}
    foreign = api.post(
        HELD, held_body(branch, kind="group", party_group=cast.group_b.pk), format="json"
    )
    assert foreign.json() == {"party_group": ["请选择本支部的党小组。"]}
    stray = api.post(HELD, held_body(branch, party_group=cast.group_a.pk), format="json")
    assert stray.status_code == 400
    assert snapshot()[:-1] == before[:-1]


def test_the_branch_figures_change_with_a_write(cast, api_for):
    """The dashboards read BranchMonthTally: the API's write keeps it like the page."""
    month = datetime.date(2025, 6, 1)
    assert not BranchMonthTally.objects.filter(branch=cast.branch_a, month=month).exists()
    response = api_for("branch_secretary").post(HELD, held_body(cast.branch_a), format="json")
    assert response.status_code == 201
    expected = len(response.json()["attendance"])
    tally = BranchMonthTally.objects.get(branch=cast.branch_a, month=month)
    assert (tally.held, tally.expected) == (1, expected)
    assert expected >= 1
    assert MakeUp.objects.count() == 0
    assert Meeting.objects.get(pk=response.json()["id"]).status == MeetingStatus.HELD
