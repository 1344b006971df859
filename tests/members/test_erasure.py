"""Erasing a member (PIPL art. 47): afterwards neither the database nor the stored files
hold their name, ID number, phone, address or care notes, the audit table included. Audit
entries are hash-chained and never edited: they name the member only by masked name and
pk ("欧*** #12") from the start."""

import datetime
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from accounts.models import AuditAction, AuditEntry
from activities.care.models import Carer, CareVisit, CareVisitKind, FollowUp
from activities.meetings.models import Attendance, AttendanceStatus, MakeUp, Meeting, MeetingStatus
from activities.messaging.models import Reminder, ReminderKind
from members import uploads
from members.models import ImportRun, ImportState, Member
from members.services.committees import committee_term_create, group_leader_set
from members.services.memberships import membership_add, recognition_create, service_role_create
from members.services.registration import registration_accept
from members.services.roster import member_create, member_update
from members.validators import make_id_number

NAME = "欧阳清雅"
TYPO_NAME = "欧阳青雅"  # entered first, then corrected: the old name is hers too
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
    sheet.append(["姓名", "身份证号", "联系电话", "所在支部", "党小组"])  # groups left empty
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("花名册.xlsx", buffer.getvalue())


@pytest.fixture
def folders(settings, tmp_path):
    """Where stored files go (uploads, import workbooks waiting: imports/members/)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    Path(settings.MEDIA_ROOT).mkdir()
    return [settings.MEDIA_ROOT]


def _member_with_everything(cast):
    """A member created, corrected and placed through the audited services, with every
    kind of record about her, most of them written (and audited) through the services."""
    from activities.care import services as care_services
    from activities.meetings.services import makeups, recording

    secretary = cast.user("community_secretary")
    born = datetime.date(1947, 4, 9)
    member = member_create(
        actor=secretary,
        fields={
            "name": TYPO_NAME,
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
    member_update(member=member, changes={"name": NAME}, actor=secretary)
    member_update(
        member=member, changes={"phone": PHONE[:-1] + "1"}, actor=secretary
    )  # an audited change of a sensitive value
    member_update(member=member, changes={"phone": PHONE}, actor=secretary)
    registration_accept(
        registration=member.registrations.get(),
        branch=cast.branch_a,
        party_group=cast.group_a,
        accepted_on=datetime.date(2025, 5, 2),
        actor=secretary,
    )
    member.refresh_from_db()
    membership_add(
        member=member,
        branch=cast.functional_a,
        joined_on=datetime.date(2025, 5, 3),
        actor=secretary,
    )
    service_role_create(
        member=member,
        fields={"kind": "volunteer", "starts_on": datetime.date(2025, 5, 3)},
        actor=secretary,
    )
    recognition_create(
        member=member,
        fields={"title": "优秀共产党员", "conferred_on": datetime.date(2025, 7, 1)},
        actor=secretary,
    )
    group_leader_set(
        group=cast.group_a, member=member, starts_on=datetime.date(2025, 5, 4), actor=secretary
    )
    committee_term_create(
        branch=cast.branch_a,
        number=9,
        starts_on=datetime.date(2025, 5, 5),
        ends_on=datetime.date(2030, 5, 4),
        has_committee=False,
        holders={"secretary": member},
        actor=secretary,
    )
    need, _created = care_services.need_save(
        member=member,
        data={"poor_health": True, "started_on": datetime.date(2025, 1, 1), "care_note": CARE_NOTE},
        actor=secretary,
    )
    # She pairs up with another member as a carer (the carer's name is hers).
    other_need, _created = care_services.need_save(
        member=cast.member_a_bedridden,
        data={"lives_alone": True, "started_on": datetime.date(2025, 1, 1)},
        actor=secretary,
    )
    care_services.carer_add(
        need=other_need,
        carer=Carer(name=NAME, relation="结对党员", helper_member=member),
        actor=secretary,
    )
    care_services.carer_add(
        need=need, carer=Carer(name="王小明", relation="儿子", is_lead=True), actor=secretary
    )
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
        status=MeetingStatus.PLANNED,
    )
    recording.meeting_record(
        meeting=meeting,
        details={"held_on": datetime.date(2025, 6, 10)},
        marks={member.pk: recording.Mark(AttendanceStatus.EXCUSED, "住院")},
        record_key=None,
        actor=secretary,
    )
    makeups.makeup_record(
        attendance=Attendance.objects.get(meeting=meeting, member=member),
        details={"kind": "study", "made_up_on": datetime.date(2025, 6, 12)},
        actor=secretary,
    )
    # She acted for others: hosted and lectured a meeting, made up another member's
    # absence, visited a bedridden member and took on the follow-up, cares without an
    # account of her own. (Written straight into the tables: the audit keeps such text
    # as typed, docs/privacy "Known limits".)
    hosted = Meeting.objects.create(
        branch=cast.branch_a,
        kind="lecture",
        topic="党课",
        planned_on=datetime.date(2025, 7, 1),
        held_on=datetime.date(2025, 7, 1),
        status=MeetingStatus.HELD,
        host=NAME,
        recorder=f"{NAME}、李四",
        lecturer=NAME,
    )
    MakeUp.objects.create(
        attendance=Attendance.objects.create(
            meeting=hosted, member=cast.member_a, status=AttendanceStatus.ABSENT
        ),
        made_up_on=datetime.date(2025, 7, 3),
        delivered_by=NAME,
        material="党课讲稿",
    )
    FollowUp.objects.create(
        visit=CareVisit.objects.create(
            member=cast.member_a_bedridden,
            visited_on=datetime.date(2025, 7, 2),
            kind=CareVisitKind.ROUTINE,
            visitors=f"张书记、{NAME}",
        ),
        matter="送药",
        owner_name=NAME,
        due_on=datetime.date(2025, 7, 9),
    )
    Carer.objects.create(need=other_need, name=NAME, relation="邻居")
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
    # A confirmed import re-places her (its empty 党小组 cell takes her out of her party
    # group): an audited update.
    done = uploads.store(_workbook(rows), user=secretary, community=cast.community_a)
    uploads.check(done)
    uploads.confirm(done)
    assert ImportRun.objects.get(pk=done.pk).state == ImportState.DONE
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
    client = client_for("community_secretary")
    # Audited reads: the unmasked view, and an export searched by her name.
    assert client.post(reverse("members:member_reveal", args=[member.pk])).status_code == 302
    assert client.get(reverse("members:roster_xlsx"), {"q": NAME}).status_code == 200
    needles = [NAME, TYPO_NAME, member.id_number, PHONE, ADDRESS, CARE_NOTE, SUMMARY, MATTER]
    # The scan sees the data before (so an empty result afterwards means something)...
    before = _scan_database(needles)
    assert NAME in before["members_member"] and NAME in before["activities_reminder"]
    assert NAME in before["members_importrun"] and NAME in before["activities_carer"]
    for table in ("meeting", "makeup", "carevisit", "followup"):  # as a person acting
        assert NAME in before[f"activities_{table}"], table
    assert _scan_files(folders, [NAME, member.id_number])
    # ...and encrypted columns already hide the ID number and the care notes.
    assert all(member.id_number not in hits for hits in before.values())
    assert all(CARE_NOTE not in hits and SUMMARY not in hits for hits in before.values())
    # The audit table is scanned too: every write above left entries that name her only
    # by masked name and pk (her name was never written there).
    shown = f"欧*** #{member.pk}"
    assert AUDIT_TABLE not in before
    assert before_audit_reprs(shown) >= {
        "members.member",
        "members.communityregistration",
        "members.branchmembership",
        "members.servicerole",
        "members.recognition",
        "members.groupleader",
        "activities.careneed",
        "activities.carer",
        "activities.carevisit",
        "activities.followup",
        "activities.attendance",
        "activities.makeup",
    }
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_SENSITIVE, object_repr=shown)
    export = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="members.roster")
    assert export.changes["after"]["query"]["q"] == "欧***"

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
    assert after == {}  # the audit table included
    # Where she acted for others her name is masked; the rows stay.
    hosted = Meeting.objects.get(topic="党课")
    assert (hosted.host, hosted.recorder) == ("欧***", "欧***、李四")
    assert CareVisit.objects.get(member=cast.member_a_bedridden).visitors == "张书记、欧***"
    assert _scan_files(folders, needles) == {}
    # The other upload and the other members are untouched.
    assert default_storage.exists(uploads.name_for(other.token))
    assert Member.objects.filter(pk=cast.member_a.pk).exists()
    run.refresh_from_db()
    assert run.report["create"] == [] and run.report["update"] == []
    uploads.check(run)
    run.refresh_from_db()
    assert run.state == ImportState.INVALID  # its file is gone: upload it again
    erased = AuditEntry.objects.get(action=AuditAction.DELETE, object_id=str(member.pk))
    assert erased.object_repr == shown and erased.actor_name == "community_secretary"
    assert erased.changes["after"]["erased"]["attendance"] == 2  # the line and its make-up
    assert ImportRun.objects.filter(pk=run.pk).exists()


def before_audit_reprs(shown: str) -> set[str]:
    """The object types of the audit entries whose description shows `shown`."""
    return set(
        AuditEntry.objects.filter(object_repr__contains=shown).values_list("object_type", flat=True)
    )


def test_the_scan_finds_a_name_in_the_audit_table(cast):
    """The scan reads the audit table: an entry written with a plain name is found."""
    from accounts import audit

    audit.record(AuditAction.UPDATE, object_type="x.y", object_id="1", object_repr=NAME)
    assert _scan_database([NAME]) == {AUDIT_TABLE: [NAME]}


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
