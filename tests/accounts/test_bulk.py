"""accounts.bulk: many rows in one statement (the audit trail, meeting attendance, the
roster import). json_insert checks the columns it is not given before sending anything."""

import datetime
import uuid

import pytest
from django.db import DataError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import bulk
from activities.meetings.models import Attendance, AttendanceStatus, MeetingKind
from activities.meetings.services import planning
from branches.models import Level, Organization

pytestmark = pytest.mark.django_db

ORG_FIELDS = ("name", "code", "level", "path", "address")


def run(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def orgs(*codes):
    return [(f"社区{code}", code, Level.COMMUNITY, f"BULK/{code}", "") for code in codes]


@pytest.fixture
def meeting(cast):
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.THEME_DAY,
            "topic": "学习党章",
            "planned_on": timezone.localdate(),
        },
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


def test_a_not_null_column_left_out_fails_before_anything_is_sent():
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValueError) as error:
        bulk.json_insert(Organization, ("name", "code", "path", "address"), orgs("B1"))
    assert "branches.Organization.level is NOT NULL" in str(error.value)
    assert len(queries) == 0


def test_columns_left_out_take_the_database_default_or_null():
    run(*bulk.json_insert(Organization, ORG_FIELDS, orgs("B1")))
    row = Organization.objects.get(code="B1")
    assert (row.name, row.level, row.path) == ("社区B1", Level.COMMUNITY, "BULK/B1")
    assert row.figures_version == 0  # db_default
    assert (row.parent_id, row.closed_on) == (None, None)


def test_columns_left_out_take_their_field_default(cast, meeting):
    # status and is_voting have defaults (present, voting); reason has none.
    run(
        *bulk.json_insert(
            Attendance,
            ("member_id", "reason"),
            [(cast.member_a.pk, "")],
            shared={"meeting": meeting.pk},
        )
    )
    line = Attendance.objects.get(meeting=meeting)
    assert (line.status, line.is_voting) == (AttendanceStatus.PRESENT, True)
    with pytest.raises(ValueError, match=r"Attendance\.reason is NOT NULL"):
        bulk.json_insert(Attendance, ("member_id",), [], shared={"meeting": meeting.pk})


def test_rows_go_in_in_the_order_given_and_return_their_ids():
    ids = run(*bulk.json_insert(Organization, ORG_FIELDS, orgs("B3", "B1", "B2"), returning=["id"]))
    by_id = dict(Organization.objects.filter(code__startswith="B").values_list("pk", "code"))
    assert [by_id[pk] for (pk,) in ids] == ["B3", "B1", "B2"]
    assert [pk for (pk,) in ids] == sorted(pk for (pk,) in ids)


def test_values_of_every_type_come_back_as_they_were(cast, meeting):
    at = timezone.now().replace(microsecond=123456)
    run(
        *bulk.json_insert(
            Attendance,
            ("member", "status", "reason", "is_voting", "checked_in_at"),
            [(cast.member_a.pk, AttendanceStatus.EXCUSED, "住院", False, at)],
            shared={"meeting_id": meeting.pk},
        )
    )
    line = Attendance.objects.get(meeting=meeting)
    assert (line.member_id, line.status, line.reason) == (cast.member_a.pk, "excused", "住院")
    assert (line.is_voting, line.checked_in_at) == (False, at)


def test_an_upsert_changes_only_the_fields_named(cast, meeting):
    def write(status, reason, is_voting):
        run(
            *bulk.json_insert(
                Attendance,
                ("member", "status", "reason", "is_voting"),
                [(cast.member_a.pk, status, reason, is_voting)],
                shared={"meeting": meeting.pk},
                unique_fields=["meeting", "member"],
                update_fields=["status", "reason"],
            )
        )

    write(AttendanceStatus.PRESENT, "", True)
    first = Attendance.objects.get(meeting=meeting)
    write(AttendanceStatus.ABSENT, "外出", False)
    line = Attendance.objects.get(meeting=meeting)
    assert (line.pk, line.status, line.reason) == (first.pk, "absent", "外出")
    assert line.is_voting is True  # not named: kept


def test_a_value_too_long_fails_as_in_any_insert(cast, meeting):
    sql, params = bulk.json_insert(
        Attendance,
        ("member", "status", "reason", "is_voting"),
        [(cast.member_a.pk, AttendanceStatus.ABSENT, "长" * 101, True)],
        shared={"meeting": meeting.pk},
    )
    with pytest.raises(DataError):
        run(sql, params)


def test_copy_create_takes_ids_from_the_sequence_and_writes_every_column():
    objs = [
        Organization(name=f"社区{code}", code=code, level=Level.COMMUNITY, path=f"BULK/{code}")
        for code in ("C1", "C2")
    ]
    objs[1].closed_on = datetime.date(2026, 1, 1)
    bulk.copy_create(Organization, objs)
    assert objs[0].pk + 1 == objs[1].pk
    assert not objs[0]._state.adding
    saved = {o.code: o for o in Organization.objects.filter(code__in=["C1", "C2"])}
    assert saved["C1"].pk == objs[0].pk
    assert (saved["C1"].address, saved["C2"].closed_on) == ("", datetime.date(2026, 1, 1))
    assert saved["C1"].figures_version == 0  # left to the database default


def test_copy_create_refuses_a_database_default_given_to_some_rows_only():
    objs = [
        Organization(name=f"社区{code}", code=code, level=Level.COMMUNITY, path=f"BULK/{code}")
        for code in ("C1", "C2")
    ]
    objs[1].figures_version = 7
    with pytest.raises(ValueError, match="figures_version"):
        bulk.copy_create(Organization, objs)
