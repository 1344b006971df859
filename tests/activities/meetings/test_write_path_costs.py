"""The cost of recording a held meeting with 40 attendance lines is pinned, and what the
folded statements replace still holds: an audit entry per changed line on an intact
chain, the meeting's quorum equal to the month's recount, the dashboards' versions
bumped for the branch's district and street only, a stale version refused."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import audit
from accounts.models import AuditEntry
from activities.meetings import summaries
from activities.meetings.models import Attendance, Meeting, MeetingKind
from activities.meetings.services import recording
from activities.meetings.services.errors import MeetingConflict
from activities.meetings.services.recording import Mark
from branches.models import Organization

from ..conftest import member

pytestmark = pytest.mark.django_db
D = datetime.date
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def statements(ctx) -> list[str]:
    """The captured SQL without transaction control (BEGIN, SAVEPOINT...)."""
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


@pytest.fixture
def forty(roster):
    """The roster's branch grown to 40 expected members at a general assembly."""
    for _ in range(40 - len(roster.members)):
        roster.members.append(member(branch=roster.branch))
    return roster


def marks_for(roster, absent=(3, 11, 20), excused=(5, 17)):
    ids = [m.pk for m in roster.members]
    marks = {ids[i]: Mark("absent") for i in absent}
    marks |= {ids[i]: Mark("excused", "住院") for i in excused}
    return marks


def record_new(roster, marks, *, day=None):
    day = day or D(2025, 6, 10)
    return recording.meeting_record_new(
        branch=roster.branch,
        details={"kind": MeetingKind.GENERAL_ASSEMBLY, "topic": "学习党章", "held_on": day},
        marks=marks,
        client_key=uuid.uuid4(),
        actor=None,
    )


def versions(cast):
    return dict(
        Organization.objects.filter(
            pk__in=[cast.district_a.pk, cast.street_a.pk, cast.district_b.pk]
        ).values_list("pk", "figures_version")
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the folded statements")
def test_a_held_meeting_with_40_lines_is_saved_in_eight_statements(
    forty, cast, django_assert_num_queries
):
    chain_before = AuditEntry.objects.count()
    seen = versions(cast)
    # The branch locked with a look for a twin request, the expected list, the meeting,
    # its 40 lines, the summaries, the audit head, the audit entries with the head
    # moved, the dashboards' versions: 8, and the SAVEPOINT / RELEASE the service's
    # transaction becomes inside the test's own.
    with django_assert_num_queries(10) as ctx:
        result = record_new(forty, marks_for(forty))
    assert len(statements(ctx)) == 8
    meeting = result.meeting
    assert result.changed == 40 and meeting.attendances.count() == 40
    # One audit entry for the meeting, one for each line, and the chain intact.
    entries = AuditEntry.objects.order_by("pk")[chain_before:]
    lines = [e for e in entries if e.object_type == "activities.attendance"]
    assert len(lines) == 40
    assert {e.object_id for e in lines} == {f"{meeting.pk}:{m.pk}" for m in forty.members}
    assert audit.verify().ok
    # The district and street of the branch moved on; the other district did not.
    now = versions(cast)
    assert now[cast.district_a.pk] > seen[cast.district_a.pk]
    assert now[cast.street_a.pk] > seen[cast.street_a.pk]
    assert now[cast.district_b.pk] == seen[cast.district_b.pk]

    # Correcting the held meeting's 40 lines: the meeting and branch locked in one
    # statement, its lines, the UPDATE, the changed lines, the summaries, the audit
    # (2), the versions: 8 again.
    ids = [m.pk for m in forty.members]
    with CaptureQueriesContext(connection) as ctx:
        recording.meeting_record(
            meeting=meeting,
            details={"topic": "学习党章（更正）"},
            marks={ids[3]: Mark("present"), ids[7]: Mark("absent")},
            record_key=uuid.uuid4(),
            actor=None,
            version=meeting.version,
        )
    assert len(statements(ctx)) == 8
    assert audit.verify().ok


def test_the_quorum_set_on_save_equals_the_months_recount(forty):
    """The service sets Meeting.quorum_missed from the list it writes; recounting the
    meetings the way the summaries did (one aggregate per month) changes nothing."""
    ids = [m.pk for m in forty.members]
    most_absent = {pk: Mark("absent") for pk in ids[:25]}
    failed = record_new(forty, most_absent).meeting
    passed = record_new(forty, {}, day=D(2025, 6, 20)).meeting
    failed.refresh_from_db()
    passed.refresh_from_db()
    assert failed.quorum_missed and not passed.quorum_missed

    def recounted():
        stored = dict(Meeting.objects.values_list("pk", "quorum_missed"))
        summaries._refresh_quorum(Meeting.objects.all())
        return stored, dict(Meeting.objects.values_list("pk", "quorum_missed"))

    stored, recount = recounted()
    assert stored == recount
    # Corrected: enough came after all; then a kind without a quorum.
    recording.meeting_record(
        meeting=failed,
        details={},
        marks={pk: Mark("present") for pk in ids[:25]},
        record_key=uuid.uuid4(),
        actor=None,
    )
    failed.refresh_from_db()
    assert failed.quorum_missed == ""
    recording.meeting_record(
        meeting=passed,
        details={"kind": MeetingKind.LECTURE},
        marks=most_absent,
        record_key=uuid.uuid4(),
        actor=None,
    )
    stored, recount = recounted()
    assert stored == recount and stored[passed.pk] == ""


def test_a_stale_version_is_still_refused_and_writes_nothing(forty):
    meeting = record_new(forty, {}).meeting
    loaded = meeting.version
    recording.meeting_record(
        meeting=meeting, details={"topic": "先保存"}, marks={}, record_key=uuid.uuid4(),
        actor=None, version=loaded,
    )  # fmt: skip
    entries = AuditEntry.objects.count()
    with pytest.raises(MeetingConflict):
        recording.meeting_record(
            meeting=meeting,
            details={"topic": "后保存"},
            marks={forty.members[0].pk: Mark("absent")},
            record_key=uuid.uuid4(),
            actor=None,
            version=loaded,
        )
    meeting.refresh_from_db()
    assert meeting.topic == "先保存"
    assert not Attendance.objects.filter(meeting=meeting, status="absent").exists()
    assert AuditEntry.objects.count() == entries


def test_a_twin_request_returns_the_first_meeting_and_writes_nothing(forty):
    key = uuid.uuid4()
    details = {"kind": MeetingKind.GENERAL_ASSEMBLY, "topic": "学习", "held_on": D(2025, 6, 1)}

    def send():
        return recording.meeting_record_new(
            branch=forty.branch, details=details, marks={}, client_key=key, actor=None
        )

    first = send()
    entries = AuditEntry.objects.count()
    twin = send()
    assert twin.replayed and twin.meeting.pk == first.meeting.pk
    assert AuditEntry.objects.count() == entries
    assert Meeting.objects.filter(client_key=key).count() == 1
