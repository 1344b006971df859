"""Self check-in (扫码签到), the rules under the pages: the signed code, when it is
accepted, the service that writes the line (once, audited, merged with the secretary's
save) and the visitors the secretary decides."""

import datetime
import re
import uuid

import pytest
import qrcode
from django.core import signing
from django.utils import timezone
from django.utils.timezone import localdate as today

from accounts.models import AuditAction, AuditEntry
from activities.meetings import checkin
from activities.meetings.models import (
    Attendance,
    AttendanceStatus,
    BranchMonthTally,
    CheckInVisitor,
    Meeting,
    MeetingKind,
    MeetingStatus,
    VisitorStatus,
    masked_person,
)
from activities.meetings.selectors import meeting_roster, tally_roster
from activities.meetings.services import checkins, errors, planning, recording

pytestmark = pytest.mark.django_db


def plan(cast, *, day=None, start=None, kind=MeetingKind.GENERAL_ASSEMBLY):
    day = today() if day is None else day
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={"kind": kind, "topic": "学习党章", "planned_on": day, "start_time": start},
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


@pytest.fixture
def meeting(cast):
    return plan(cast)


# --- The code --------------------------------------------------------------------------


def test_a_token_names_its_meeting_and_round_and_nothing_else_passes(meeting):
    token = checkin.token_for(meeting)
    assert checkin.read_token(token) == (meeting.pk, 0)
    value, signature = token.rsplit(":", 1)
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert checkin.read_token(f"{value}:{flipped}") is None  # tampered
    other = signing.Signer(salt=checkin.SALT).sign_object([meeting.pk + 1, 0])
    assert checkin.read_token(other.split(":")[0] + ":" + signature) is None
    # Signed by us for something else (another salt): refused.
    assert checkin.read_token(signing.Signer(salt="x").sign_object([meeting.pk, 0])) is None
    assert checkin.read_token(signing.Signer(salt=checkin.SALT).sign_object("x")) is None


def test_masked_names_keep_the_first_and_last_character():
    assert masked_person("张三华") == "张*华"
    assert masked_person("李华") == "李*"
    assert masked_person("欧阳明华") == "欧**华"


def test_the_code_works_on_the_meeting_day_until_hours_after_the_start(cast, settings):
    settings.SELF_CHECKIN_HOURS = 3
    meeting = plan(cast, start=datetime.time(9, 0))
    tz = timezone.get_current_timezone()
    at = lambda h, m=0: datetime.datetime.combine(today(), datetime.time(h, m), tzinfo=tz)  # noqa: E731
    assert checkin.window(meeting, now=at(8)).state == checkin.State.OPEN
    assert checkin.window(meeting, now=at(11, 59)).state == checkin.State.OPEN
    assert checkin.window(meeting, now=at(12)).state == checkin.State.EXPIRED
    assert checkin.window(meeting, now=at(0) - datetime.timedelta(minutes=1)).state == "not_yet"
    assert checkin.window(meeting).expires_at == at(12)


def test_without_a_start_time_it_works_until_the_end_of_the_day(cast):
    meeting = plan(cast, day=today() - datetime.timedelta(days=1))
    assert checkin.window(meeting).state == checkin.State.EXPIRED
    assert checkin.window(plan(cast)).state == checkin.State.OPEN
    tomorrow = plan(cast, day=today() + datetime.timedelta(days=1))
    assert checkin.window(tomorrow).state == checkin.State.NOT_YET


def test_closing_refuses_the_code_and_reopening_gives_a_new_one(cast, meeting):
    secretary = cast.user("branch_secretary")
    old = checkin.token_for(meeting)
    checkins.checkin_close(meeting=meeting, actor=secretary)
    meeting.refresh_from_db()
    assert checkin.window(meeting).state == checkin.State.CLOSED
    assert meeting.checkin_closed_by == secretary
    checkins.checkin_reopen(meeting=meeting, actor=secretary)
    meeting.refresh_from_db()
    new = checkin.token_for(meeting)
    assert new != old
    assert checkin.window(meeting, round_=checkin.read_token(new)[1]).is_open
    assert checkin.window(meeting, round_=checkin.read_token(old)[1]).state == "closed"
    entries = AuditEntry.objects.filter(object_type="activities.meeting", object_id=str(meeting.pk))
    assert entries.filter(actor=secretary, action=AuditAction.UPDATE).count() == 2


def test_a_cancelled_meeting_takes_no_check_ins(cast, meeting):
    planning.meeting_cancel(meeting=meeting, reason="天气", actor=None)
    meeting.refresh_from_db()
    assert checkin.window(meeting).state == checkin.State.CANCELLED
    with pytest.raises(errors.RecordingError) as error:
        checkins.self_check_in(meeting=meeting, member_id=meeting.branch_id)
    assert error.value.code == "closed"


def test_the_last_four_digits_of_a_phone_on_record():
    assert checkin.phone_digits("138-1234-5678") == "5678"
    assert checkin.phone_digits("") == ""
    assert checkin.phone_digits("123") == ""


# --- Checking in -----------------------------------------------------------------------


def test_a_check_in_writes_one_present_line_with_the_time_audited_without_an_actor(
    cast, meeting, rf
):
    request = rf.post("/", REMOTE_ADDR="10.1.2.3")
    version = meeting.version
    result = checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk, request=request)
    assert result.outcome == checkins.CheckInOutcome.CHECKED_IN
    line = Attendance.objects.get(meeting=meeting)
    assert (line.member_id, line.status, line.checked_in_at) == (
        cast.member_a.pk,
        AttendanceStatus.PRESENT,
        result.at,
    )
    meeting.refresh_from_db()
    assert meeting.version == version  # merged, not a conflict (see the recording tests)
    assert meeting.status == MeetingStatus.PLANNED
    entry = AuditEntry.objects.get(object_type="activities.attendance")
    assert (entry.actor_id, entry.ip, entry.action) == (None, "10.1.2.3", AuditAction.CREATE)
    assert "checked_in_at" in entry.changes["after"]
    assert "赵德明" not in entry.object_repr  # the trail masks the name

    again = checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk, request=request)
    assert (again.outcome, again.at) == (checkins.CheckInOutcome.ALREADY, result.at)
    assert Attendance.objects.filter(meeting=meeting).count() == 1
    assert AuditEntry.objects.filter(object_type="activities.attendance").count() == 1


def test_someone_not_on_the_list_gets_no_line(cast, meeting):
    result = checkins.self_check_in(meeting=meeting, member_id=cast.member_b.pk)
    assert result.outcome == checkins.CheckInOutcome.NOT_EXPECTED
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_a_closed_code_writes_nothing(cast, meeting):
    checkins.checkin_close(meeting=meeting, actor=None)
    with pytest.raises(errors.RecordingError):
        checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk)
    assert not Attendance.objects.exists()


def test_before_recording_the_roster_is_the_expected_list_with_the_check_ins(cast, meeting):
    checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk)
    roster = meeting_roster(meeting)
    assert {row.member_id for row in roster} == {cast.member_a.pk, cast.member_a_bedridden.pk}
    checked = {row.member_id for row in roster if row.checked_in_at}
    assert checked == {cast.member_a.pk}


# --- The secretary's save and the check-ins --------------------------------------------


def record(meeting, marks, *, seen=(), version=None):
    return recording.meeting_record(
        meeting=meeting,
        details={"held_on": today()},
        marks=marks,
        record_key=uuid.uuid4(),
        actor=None,
        version=version,
        checkins_seen=seen,
    )


def test_a_check_in_the_secretarys_form_had_not_seen_survives_the_save(cast, meeting):
    version = meeting.version  # the secretary loads the form now
    checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk)
    # ... and saves it, with 赵德明 still marked absent from before the check-in.
    record(
        meeting,
        {
            cast.member_a.pk: recording.Mark(AttendanceStatus.ABSENT),
            cast.member_a_bedridden.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床"),
        },
        version=version,
    )
    lines = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    assert len(lines) == 2  # the rest of the list filled in, nobody twice
    assert lines[cast.member_a.pk].status == AttendanceStatus.PRESENT
    assert lines[cast.member_a.pk].checked_in_at is not None
    assert lines[cast.member_a_bedridden.pk].status == AttendanceStatus.EXCUSED
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    tally = tally_roster(meeting_roster(meeting))
    assert (tally.expected, tally.present, tally.excused) == (2, 1, 1)
    month = BranchMonthTally.objects.get(branch=cast.branch_a, month=today().replace(day=1))
    assert month.present == 1 and month.expected == 2


def test_a_check_in_the_secretary_saw_can_be_corrected(cast, meeting):
    checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk)
    record(
        meeting,
        {cast.member_a.pk: recording.Mark(AttendanceStatus.ABSENT)},
        seen={cast.member_a.pk},
    )
    line = Attendance.objects.get(meeting=meeting, member=cast.member_a)
    assert (line.status, line.checked_in_at) == (AttendanceStatus.ABSENT, None)


def test_a_check_in_after_the_meeting_was_recorded_turns_an_absence_present(cast, meeting):
    record(
        meeting,
        {
            cast.member_a.pk: recording.Mark(AttendanceStatus.ABSENT),
            cast.member_a_bedridden.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床"),
        },
    )
    month = BranchMonthTally.objects.get(branch=cast.branch_a, month=today().replace(day=1))
    assert month.present == 0
    result = checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk)
    assert result.outcome == checkins.CheckInOutcome.CHECKED_IN
    line = Attendance.objects.get(meeting=meeting, member=cast.member_a)
    assert line.status == AttendanceStatus.PRESENT and line.checked_in_at
    month.refresh_from_db()
    assert month.present == 1  # the dashboards' summary follows
    # The secretary, having recorded them present, is not overruled the other way.
    again = checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk)
    assert again.outcome == checkins.CheckInOutcome.ALREADY


def test_someone_the_secretary_marked_present_is_told_so(cast, meeting):
    record(meeting, {})
    result = checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk)
    assert result.outcome == checkins.CheckInOutcome.MARKED
    assert Attendance.objects.get(meeting=meeting, member=cast.member_a).checked_in_at is None


def test_the_same_record_key_twice_still_writes_once_after_check_ins(cast, meeting):
    checkins.self_check_in(meeting=meeting, member_id=cast.member_a.pk)
    key = uuid.uuid4()
    for _ in range(2):
        result = recording.meeting_record(
            meeting=meeting, details={"held_on": today()}, marks={}, record_key=key, actor=None
        )
    assert result.replayed
    assert Attendance.objects.filter(meeting=meeting).count() == 2


# --- Visitors ----------------------------------------------------------------------------


def test_a_visitor_is_a_request_until_the_secretary_confirms_it(cast, meeting, rf):
    visitor, created = checkins.visitor_request(
        meeting=meeting, name=" 王 来宾 ", note="长江街道支部", request=rf.post("/")
    )
    assert created and visitor.name == "王 来宾" and visitor.status == VisitorStatus.PENDING
    _, again = checkins.visitor_request(meeting=meeting, name="王 来宾")
    assert not again and CheckInVisitor.objects.count() == 1
    entry = AuditEntry.objects.get(object_type="activities.checkinvisitor")
    assert entry.actor_id is None and "来宾" not in str(entry.changes)
    secretary = cast.user("branch_secretary")
    checkins.visitor_decide(visitor=visitor, confirm=True, actor=secretary)
    visitor.refresh_from_db()
    assert (visitor.status, visitor.decided_by) == (VisitorStatus.CONFIRMED, secretary)
    with pytest.raises(errors.RecordingError):
        checkins.visitor_decide(visitor=visitor, confirm=False, actor=secretary)
    # A visitor is never an attendance line: the rates are untouched.
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_no_visitor_requests_once_the_code_is_closed(meeting):
    checkins.checkin_close(meeting=meeting, actor=None)
    with pytest.raises(errors.RecordingError):
        checkins.visitor_request(meeting=meeting, name="王来宾")


def test_a_meeting_can_be_loaded_with_its_check_in_fields(meeting):
    loaded = Meeting.objects.get(pk=meeting.pk)
    assert (loaded.checkin_round, loaded.checkin_closed_at) == (0, None)


def test_the_qr_svg_draws_the_code_s_modules_one_rectangle_per_run():
    url = "https://portal.example/checkin/abc"
    svg = checkin.qr_svg(url, size=130, label_id="t")
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    matrix = code.get_matrix()
    drawn = set()
    runs = [tuple(map(int, run)) for run in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\3z", svg)]
    for x, y, width in runs:
        drawn.update((x + dx, y) for dx in range(width))
    dark = {(x, y) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark}
    assert drawn == dark  # the same picture as a square per module
    assert len(runs) < len(dark) * 2 / 3  # in fewer pieces
    assert f'viewBox="0 0 {len(matrix)} {len(matrix)}"' in svg and 'width="130"' in svg
