"""Erasing a member (PIPL art. 47): afterwards neither the database nor the stored files
hold their name, ID number, phone, address or care notes. Audit entries may keep the pk
and the name they were written with (hash-chained, never edited), never the rest."""

import datetime
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from accounts.models import AuditAction, AuditEntry
from activities.models import (
    Attendance,
    AttendanceStatus,
    CareNeed,
    CareVisit,
    CareVisitKind,
    FollowUp,
    Meeting,
    MeetingStatus,
    Reminder,
    ReminderKind,
)
from members import services, uploads
from members.models import BranchMembership, ImportRun, ImportState, Member
from members.validators import make_id_number

NAME = "欧阳清雅"
PHONE = "13912340987"
ADDRESS = "翠园新村88号楼2单元1101室"
CARE_NOTE = "糖尿病并发症，需胰岛素注射"
SUMMARY = "上门看望，血糖控制不稳"
MATTER = "申请居家护理床位"
AUDIT_TABLE = AuditEntry._meta.db_table


def _escaped(text: str) -> str:
    """How a JSON column written with ensure_ascii (SQLite) holds the text."""
    return json.dumps(text)[1:-1]


def _scan_database(needles) -> dict[str, list[str]]:
    """Every row of every table, all columns as text: table -> the needles found."""
    found = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            text = "\n".join(str(value) for row in cursor.fetchall() for value in row)
            hits = sorted(
                needle for needle in needles if needle in text or _escaped(needle) in text
            )
            if hits:
                found[table] = hits
    return found


def _file_text(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as book:
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    except zipfile.BadZipFile:
        return path.read_bytes().decode("utf-8", "replace")


def _scan_files(folders, needles) -> dict[str, list[str]]:
    found = {}
    for folder in folders:
        for path in Path(folder).rglob("*"):
            if path.is_file():
                text = _file_text(path)
                hits = sorted(needle for needle in needles if needle in text)
                if hits:
                    found[str(path)] = hits
    return found


def _workbook(rows) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "联系电话", "所在支部"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("花名册.xlsx", buffer.getvalue())


@pytest.fixture
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MEMBER_IMPORT_DIR = str(tmp_path / "imports")
    Path(settings.MEDIA_ROOT).mkdir()
    return [settings.MEDIA_ROOT, settings.MEMBER_IMPORT_DIR]


def _member_with_everything(cast):
    secretary = cast.user("community_secretary")
    born = datetime.date(1947, 4, 9)
    member = services.member_create(
        actor=secretary,
        fields={
            "name": NAME,
            "gender": "female",
            "birth_date": born,
            "id_number": make_id_number("319901", born, 481, male=False),
            "phone": PHONE,
            "address": ADDRESS,
            "community": cast.community_a,
            "health": "poor",
        },
        reported_on=datetime.date(2025, 5, 1),
    )
    services.member_update(
        member=member, changes={"phone": PHONE[:-1] + "1"}, actor=secretary
    )  # an audited change of a sensitive value
    services.member_update(member=member, changes={"phone": PHONE}, actor=secretary)
    BranchMembership.objects.create(member=member, branch=cast.functional_a)
    need = CareNeed.objects.create(
        member=member, started_on=datetime.date(2025, 1, 1), care_note=CARE_NOTE
    )
    from activities import care_services

    visit, _created = care_services.visit_record(
        member=member,
        data={
            "visited_on": datetime.date(2025, 6, 1),
            "kind": CareVisitKind.SICK_VISIT,
            "visitors": "张书记",
            "summary": SUMMARY,
            "matters_raised": MATTER,
        },
        follow_up={"matter": MATTER, "owner_name": "李主任", "due_on": datetime.date(2025, 7, 1)},
        actor=secretary,
    )
    assert FollowUp.objects.filter(visit=visit).exists()
    meeting = Meeting.objects.create(
        branch=cast.branch_a,
        kind="general_assembly",
        topic="学习会",
        planned_on=datetime.date(2025, 6, 10),
        held_on=datetime.date(2025, 6, 10),
        status=MeetingStatus.HELD,
    )
    Attendance.objects.create(
        meeting=meeting, member=member, status=AttendanceStatus.EXCUSED, reason="住院"
    )
    Reminder.objects.create(
        kind=ReminderKind.MEETING_NOTICE,
        subject=f"meeting:{meeting.pk}",
        member=member,
        period="2025-06-10",
        title=f"{NAME}：6月10日学习会",
    )
    Reminder.objects.create(
        kind=ReminderKind.CARE_OVERDUE,
        subject=f"care:{need.pk}",
        recipient=secretary,
        period="2025-W30",
        title=f"Visit overdue: {NAME}",
    )
    # An import of a workbook naming her: checked (the report previews her row), not
    # confirmed (the file waits in the import folder). And one that does not name her.
    rows = [[NAME, member.id_number, PHONE, cast.branch_a.name]]
    run = uploads.store(_workbook(rows), user=secretary, community=cast.community_a)
    uploads.check(run)
    other = uploads.store(
        _workbook([["路人甲", make_id_number("319901", born, 483, male=True), "", ""]]),
        user=secretary,
        community=cast.community_a,
    )
    return member, run, other


def test_erasing_a_member_leaves_no_personal_data_behind(
    cast, client_for, folders, django_capture_on_commit_callbacks
):
    member, run, other = _member_with_everything(cast)
    needles = [NAME, member.id_number, PHONE, ADDRESS, CARE_NOTE, SUMMARY, MATTER]
    # The scan sees the data before (so an empty result afterwards means something)...
    before = _scan_database(needles)
    assert NAME in before["members_member"] and NAME in before["activities_reminder"]
    assert NAME in before["members_importrun"]
    assert _scan_files(folders, [NAME, member.id_number])
    # ...and encrypted columns already hide the ID number and the care notes.
    assert all(member.id_number not in hits for hits in before.values())
    assert all(CARE_NOTE not in hits and SUMMARY not in hits for hits in before.values())

    client = client_for("community_secretary")
    url = reverse("members:member_erase", args=[member.pk])
    page = client.get(url)
    assert "不可撤销" in page.content.decode() or "无法撤销" in page.content.decode()
    refused = client.post(url, {"name": "别人"})
    assert refused.status_code == 200 and Member.objects.filter(pk=member.pk).exists()
    # The workbook deletion waits for the commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"name": NAME})
    assert response.status_code == 302

    assert not Member.objects.filter(pk=member.pk).exists()
    assert not CareVisit.objects.filter(member_id=member.pk).exists()
    assert not Attendance.objects.filter(member_id=member.pk).exists()
    after = _scan_database(needles)
    # Audit entries may keep the name they were written with, nothing else.
    assert after.pop(AUDIT_TABLE, [NAME]) == [NAME]
    assert after == {}
    assert _scan_files(folders, needles) == {}
    # The other upload and the other members are untouched.
    assert uploads.file_for(other.token).exists()
    assert Member.objects.filter(pk=cast.member_a.pk).exists()
    run.refresh_from_db()
    assert run.report["create"] == [] and run.report["update"] == []
    uploads.check(run)
    run.refresh_from_db()
    assert run.state == ImportState.INVALID  # its file is gone: upload it again
    erased = AuditEntry.objects.get(action=AuditAction.DELETE, object_id=str(member.pk))
    assert erased.object_repr == "欧***" and erased.actor_name == "community_secretary"
    assert erased.changes["after"]["erased"]["attendance"] == 1
    assert ImportRun.objects.filter(pk=run.pk).exists()


def test_audit_entries_never_hold_the_sensitive_values(cast):
    from accounts import audit

    audit.record(
        AuditAction.UPDATE,
        cast.member_a,
        before={"id_number": "110101194910010012", "phone": "13812345678"},
        after={"address": "翠园新村12号楼3单元501室", "care_note": "高血压", "summary": "住院"},
    )
    stored = str(AuditEntry.objects.latest("pk").changes)
    for value in ("110101194910010012", "13812345678", "12号楼3单元501室", "高血压", "住院"):
        assert value not in stored
    assert "110***********0012" in stored and "138****5678" in stored
