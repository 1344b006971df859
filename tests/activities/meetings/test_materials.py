"""Study materials at meetings: linking one of the branch's library to a meeting (and
only such), unlinking, where they are printed, and a 送学上门 make-up's material."""

import datetime
import io
import uuid

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEntry
from activities.meetings.models import (
    Attendance,
    AttendanceStatus,
    MakeUp,
    MeetingKind,
    MeetingMaterial,
)
from activities.meetings.services import recording
from members.models import Member
from notices.models import NoticeKind

from ...notices.study import sent_notice

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 6, 10)
WRONG = "请从本支部的学习资料库中选择学习资料。"


def a_member(cast):
    return Member.objects.create(
        name="送学党员",
        gender="male",
        birth_date=datetime.date(1945, 3, 1),
        id_number="110101194503019996",
        community=cast.community_a,
        home_branch=cast.branch_a,
        party_group=cast.group_a,
        full_member_on=datetime.date(1975, 1, 1),
        health="bedridden",
    )


@pytest.fixture
def meeting(cast):
    member = a_member(cast)
    return recording.meeting_record_new(
        branch=cast.branch_a,
        details={"kind": MeetingKind.THEME_DAY, "topic": "六月主题党日", "held_on": DAY},
        marks={member.pk: recording.Mark(AttendanceStatus.EXCUSED, "卧床")},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting


@pytest.fixture
def material(cast):
    return sent_notice(by=cast.district_a, to=[cast.community_a], title="党章学习读本")


def link(client, meeting, notice_pk):
    return client.post(
        reverse("activities:material_link", args=[meeting.pk]), {"notice": notice_pk}
    )


def entries(action, object_type="activities.meetingmaterial"):
    return AuditEntry.objects.filter(action=action, object_type=object_type).count()


def test_a_secretary_links_a_material_and_it_shows_on_the_meeting_page(
    cast, client_for, meeting, material
):
    client = client_for("branch_secretary")
    page = client.get(reverse("activities:meeting_detail", args=[meeting.pk])).content.decode()
    assert "党章学习读本" in page  # offered in the form
    assert "本次会议尚未添加学习资料" in page

    response = link(client, meeting, material.pk)
    assert response.status_code == 302
    used = MeetingMaterial.objects.get()
    assert (used.meeting, used.notice, used.linked_by) == (
        meeting,
        material,
        cast.user("branch_secretary"),
    )
    assert entries(AuditAction.CREATE) == 1
    page = client.get(reverse("activities:meeting_detail", args=[meeting.pk])).content.decode()
    assert "《党章学习读本》" in page
    assert reverse("activities:material_unlink", args=[meeting.pk, material.pk]) in page


def test_linking_twice_links_once_and_says_no_error(client_for, meeting, material):
    client = client_for("community_secretary")
    assert link(client, meeting, material.pk).status_code == 302
    second = link(client, meeting, material.pk)
    assert second.status_code == 302
    assert MeetingMaterial.objects.count() == 1
    assert entries(AuditAction.CREATE) == 1


def test_a_material_not_addressed_to_the_branch_is_refused_in_chinese(
    cast, client_for, meeting, material
):
    elsewhere = sent_notice(by=cast.district_b, to=[cast.community_b], title="西湖区的资料")
    plain = sent_notice(
        by=cast.district_a, to=[cast.community_a], title="普通通知", kind=NoticeKind.NOTICE
    )
    client = client_for("branch_secretary")
    for crafted in (elsewhere.pk, plain.pk, 999999):
        response = link(client, meeting, crafted)
        assert response.status_code == 200
        assert WRONG in response.content.decode()
    assert MeetingMaterial.objects.count() == 0
    assert entries(AuditAction.CREATE) == 0


def test_who_only_reads_the_meeting_cannot_link(client_for, meeting, material):
    assert link(client_for("street_staff"), meeting, material.pk).status_code == 403
    assert link(client_for("community_b_secretary"), meeting, material.pk).status_code == 404
    assert MeetingMaterial.objects.count() == 0


def test_unlinking_removes_the_link_once_and_audits_it(client_for, meeting, material):
    client = client_for("branch_secretary")
    link(client, meeting, material.pk)
    url = reverse("activities:material_unlink", args=[meeting.pk, material.pk])
    assert "《党章学习读本》" in client.get(url).content.decode()  # asks first
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a doubled submit: nothing more
    assert MeetingMaterial.objects.count() == 0
    assert entries(AuditAction.DELETE) == 1
    assert material.receipts.filter(branch__name__contains="翠园").exists()  # still in the library


def test_the_materials_are_printed_on_the_sign_in_sheet_and_in_the_ledger(
    cast, client_for, meeting, material
):
    client = client_for("branch_secretary")
    link(client, meeting, material.pk)
    sheet = client.get(reverse("activities:sign_in_sheet", args=[meeting.pk])).content.decode()
    assert "学习资料" in sheet and "《党章学习读本》" in sheet
    ledger_url = reverse("activities:ledger", args=[cast.branch_a.pk])
    html = client.get(ledger_url, {"year": 2025}).content.decode()
    assert "《党章学习读本》" in html
    book = load_workbook(
        io.BytesIO(client.get(ledger_url, {"year": 2025, "format": "xlsx"}).content)
    )
    rows = list(book.worksheets[0].values)
    header = next(r for r in rows if r and "学习资料" in r)
    column = header.index("学习资料")
    assert [r[column] for r in rows[rows.index(header) + 1 :]] == ["《党章学习读本》"]


# --- 送学上门: the material taken to the member -------------------------------------


def make_up_url(meeting):
    line = Attendance.objects.get(meeting=meeting, member__name="送学党员")
    return reverse("activities:makeup_create", args=[line.pk])


def make_up_form(**fields):
    return {
        "kind": "home_delivery",
        "made_up_on": "2025-06-15",
        "delivered_by": "支部书记 陈书记",
        "material": "",
        **fields,
    }


def test_the_make_up_offers_the_meetings_materials_first(cast, client_for, meeting, material):
    sent_notice(by=cast.street_a, to=[cast.community_a], title="街道的新资料")
    MeetingMaterial.objects.create(meeting=meeting, notice=material)
    html = client_for("branch_secretary").get(make_up_url(meeting)).content.decode()
    assert html.index("《党章学习读本》") < html.index(
        "《街道的新资料》"
    )  # newer, but not this meeting's
    assert "本次会议资料" in html


def test_a_home_delivery_records_the_study_material_and_its_title(
    cast, client_for, meeting, material
):
    client = client_for("branch_secretary")
    response = client.post(make_up_url(meeting), make_up_form(study_material=material.pk))
    assert response.status_code == 302
    make_up = MakeUp.objects.get()
    assert (make_up.study_material, make_up.material) == (material, "党章学习读本")
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="activities.makeup")
    assert entry.changes["after"]["study_material"] == material.pk

    report = client.get(
        reverse("activities:attendance_report", args=[cast.branch_a.pk]),
        {"year": 2025, "quarter": 2},
    ).content.decode()
    assert "送学上门 2025-06-15 《党章学习读本》" in " ".join(report.split())
    ledger = client.get(reverse("activities:ledger", args=[cast.branch_a.pk]), {"year": 2025})
    assert "《党章学习读本》" in ledger.content.decode()
    record = client.get(reverse("activities:attendance_record", args=[meeting.pk]))
    assert "《党章学习读本》" in record.content.decode()


def test_a_typed_material_stays_when_a_study_material_is_chosen(client_for, meeting, material):
    form = make_up_form(study_material=material.pk, material="党章第一章和第二章")
    client_for("branch_secretary").post(make_up_url(meeting), form)
    assert MakeUp.objects.get().material == "党章第一章和第二章"


def test_a_make_up_needs_a_material_typed_or_chosen(client_for, meeting):
    response = client_for("branch_secretary").post(make_up_url(meeting), make_up_form())
    assert response.status_code == 200
    assert "请填写学习或送达的内容，或选择一份学习资料。" in response.content.decode()
    assert MakeUp.objects.count() == 0


def test_a_make_up_refuses_a_material_of_another_branch_in_chinese(cast, client_for, meeting):
    elsewhere = sent_notice(by=cast.district_b, to=[cast.community_b], title="西湖区的资料")
    response = client_for("branch_secretary").post(
        make_up_url(meeting), make_up_form(study_material=elsewhere.pk, material="学习")
    )
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert MakeUp.objects.count() == 0


def test_the_demo_material_reaches_the_street_and_is_used_at_the_branchs_meeting(cast, meeting):
    from activities.meetings.demo import STUDY_TITLE, seed_study_material
    from notices.library_selectors import branch_library

    reached = seed_study_material(
        district=cast.district_a,
        street=cast.street_a,
        branch=cast.branch_a,
        author=cast.user("district_staff"),
        today=DAY,
    )
    assert reached == 2  # branch A and the street's functional branch
    assert [r.notice.title for r in branch_library(cast.branch_a.pk)] == [STUDY_TITLE]
    assert [m.notice.title for m in meeting.materials.all()] == [STUDY_TITLE]
