"""Organisational life: meetings of branch_a (community_a, district A), its compliance
and reports, and the district's cadence rules and excusals."""

import datetime
import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile

from activities.meetings.models import (
    Attendance,
    AttendanceStatus,
    CadenceRule,
    Excusal,
    MakeUp,
    Meeting,
    MeetingAttachment,
    MeetingKind,
)
from activities.meetings.services import attachments, planning, recording
from members.models import Member

from . import COMMUNITY_A_VIEWERS, Spec, row

# Who reads branch_a's meetings (can_view_members over it) and who records them.
READERS_A = frozenset(
    {"city_admin", "district_staff", "street_staff", "community_secretary", "branch_secretary"}
)
RECORDERS_A = frozenset({"community_secretary", "branch_secretary"})
READ_ONLY_A = READERS_A - RECORDERS_A
# can_approve_excusals over branch_a; everyone else who reads it is refused with 403.
EXCUSERS_A = frozenset({"district_staff", "street_staff"})
RULE_EDITORS = frozenset({"city_admin", "district_staff", "district_b_staff"})
EXCUSAL_APPROVERS = frozenset(
    {"district_staff", "street_staff", "district_b_staff", "street_a2_staff"}
)
DAY = datetime.date(2025, 6, 10)
# functional_a sits on street_a itself: the street's staff record its meetings (its own
# branch secretary too; tests/activities/meetings/test_street_functional.py), the district and
# the city read them.
READERS_F = frozenset({"city_admin", "district_staff", "street_staff"})
RECORDERS_F = frozenset({"street_staff"})
READ_ONLY_F = READERS_F - RECORDERS_F
SHEET_FORMATS = ("", "format=pdf", "format=xlsx")  # the print page, the PDF, the Excel file


def png_file():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return SimpleUploadedFile("签到表.png", buffer.getvalue(), content_type="image/png")


def a_member(cast):
    found = Member.objects.filter(home_branch=cast.branch_a, name="矩阵党员").first()
    return found or Member.objects.create(
        name="矩阵党员",
        gender="male",
        birth_date=datetime.date(1950, 1, 1),
        id_number="110101195001019999",
        community=cast.community_a,
        home_branch=cast.branch_a,
        party_group=cast.group_a,
        full_member_on=datetime.date(1980, 1, 1),
    )


def _planned_once(branch, topic, kind):
    found = Meeting.objects.filter(branch=branch, topic=topic).first()
    if found:
        return found
    meeting, _ = planning.meeting_plan(
        branch=branch,
        details={"kind": kind, "topic": topic, "planned_on": DAY},
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


def planned(cast):
    return _planned_once(cast.branch_a, "矩阵：计划中", MeetingKind.GENERAL_ASSEMBLY)


def held(cast):
    found = Meeting.objects.filter(branch=cast.branch_a, topic="矩阵：已召开").first()
    if found:
        return found
    member = a_member(cast)
    return recording.meeting_record_new(
        branch=cast.branch_a,
        details={"kind": MeetingKind.THEME_DAY, "topic": "矩阵：已召开", "held_on": DAY},
        marks={member.pk: recording.Mark(AttendanceStatus.ABSENT)},
        client_key=uuid.uuid4(),
        actor=None,
    ).meeting


def absence(cast):
    return Attendance.objects.get(meeting=held(cast), member=a_member(cast))


def planned_f(cast):
    return _planned_once(cast.functional_a, "矩阵：志愿队计划", MeetingKind.THEME_DAY)


def absence_f(cast):
    """member_a missed a held meeting of the functional branch they take part in."""
    meeting = Meeting.objects.filter(branch=cast.functional_a, topic="矩阵：志愿队已召开").first()
    if meeting is None:
        meeting = recording.meeting_record_new(
            branch=cast.functional_a,
            details={"kind": MeetingKind.THEME_DAY, "topic": "矩阵：志愿队已召开", "held_on": DAY},
            marks={},
            client_key=uuid.uuid4(),
            actor=None,
        ).meeting
    found, _ = Attendance.objects.get_or_create(
        meeting=meeting, member=cast.member_a, defaults={"status": AttendanceStatus.ABSENT}
    )
    return found


def attachment(cast):
    meeting = held(cast)
    found = meeting.attachments.first()
    if found:
        return found
    upload = png_file()
    return attachments.attachment_add(
        meeting=meeting, upload=upload, kind="sign_sheet", content_type="image/png", actor=None
    )


def district_rule(cast):
    found = CadenceRule.objects.filter(district=cast.district_a).first()
    return found or CadenceRule.objects.create(
        district=cast.district_a,
        kind=MeetingKind.LECTURE,
        period="month",
        minimum_count=1,
        valid_from=datetime.date(2026, 1, 1),
        source_note="东城区：党课每月一次",
    )


def excusal(cast):
    found = Excusal.objects.filter(branch=cast.branch_a).first()
    return found or Excusal.objects.create(
        branch=cast.branch_a,
        period="quarter",
        period_start=datetime.date(2025, 1, 1),
        reason="活动室改造",
        approved_by="区委老干部局 李科长",
        approved_on=datetime.date(2025, 1, 5),
    )


def meetings_state(cast):
    return list(Meeting.objects.order_by("pk").values_list("pk", "status", "topic"))


def record_form(cast):
    return {
        "record_key": str(uuid.uuid4()),
        "topic": "矩阵：补录主题党日",
        "held_on": "2025-06-01",
        "mode": "on_site",
        "kind": "theme_day",
    }


def recorded_state(cast):
    return [
        *meetings_state(cast),
        *Attendance.objects.order_by("pk").values_list("pk", "status"),
    ]


FUNCTIONAL_SPECS = [
    Spec(
        "activities:meeting_list",
        case="functional_a",
        kwargs=lambda c: {"branch_pk": c.functional_a.pk},
        ok=READERS_F,
    ),
    Spec(
        "activities:branch_compliance",
        case="functional_a",
        kwargs=lambda c: {"branch_pk": c.functional_a.pk},
        ok=READERS_F,
    ),
    Spec(
        "activities:meeting_plan",
        case="functional_a",
        kwargs=lambda c: {"branch_pk": c.functional_a.pk},
        ok=RECORDERS_F,
        forbidden=READ_ONLY_F,
        post=lambda c: {
            "kind": "lecture",
            "topic": "矩阵：志愿队党课",
            "planned_on": "2025-07-01",
            "mode": "on_site",
            "client_key": str(uuid.uuid4()),
        },
        state=meetings_state,
    ),
    Spec(
        "activities:meeting_record_new",
        case="functional_a",
        kwargs=lambda c: {"branch_pk": c.functional_a.pk},
        query=lambda c: "kind=theme_day",
        ok=RECORDERS_F,
        forbidden=READ_ONLY_F,
        post=record_form,
        state=recorded_state,
    ),
    Spec(
        "activities:meeting_record",
        case="functional_a",
        kwargs=lambda c: {"pk": planned_f(c).pk},
        ok=RECORDERS_F,
        forbidden=READ_ONLY_F,
        post=lambda c: {
            "record_key": str(uuid.uuid4()),
            "topic": "矩阵：志愿队计划",
            "held_on": "2025-06-10",
            "mode": "on_site",
        },
        state=recorded_state,
    ),
    Spec(
        "activities:meeting_edit",
        case="functional_a",
        kwargs=lambda c: {"pk": planned_f(c).pk},
        ok=RECORDERS_F,
        forbidden=READ_ONLY_F,
        post=lambda c: {
            "kind": "theme_day",
            "topic": "矩阵：志愿队改过的主题",
            "planned_on": "2025-06-12",
            "mode": "on_site",
        },
        state=lambda c: row(planned_f(c)),
    ),
    Spec(
        "activities:makeup_create",
        case="functional_a",
        kwargs=lambda c: {"attendance_pk": absence_f(c).pk},
        ok=RECORDERS_F,
        forbidden=READ_ONLY_F,
        post=lambda c: {
            "kind": "study",
            "made_up_on": "2025-06-20",
            "delivered_by": "街道 王委员",
            "material": "主题党日学习材料",
        },
        state=lambda c: list(MakeUp.objects.values_list("pk", flat=True)),
    ),
]

SPECS = [
    Spec("activities:meeting_list", kwargs=lambda c: {"branch_pk": c.branch_a.pk}, ok=READERS_A),
    Spec("activities:makeup_list", kwargs=lambda c: {"branch_pk": c.branch_a.pk}, ok=READERS_A),
    Spec(
        "activities:meeting_plan",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {
            "kind": "lecture",
            "topic": "矩阵：计划党课",
            "planned_on": "2025-07-01",
            "mode": "on_site",
            "client_key": str(uuid.uuid4()),
        },
        state=meetings_state,
    ),
    Spec(
        "activities:meeting_record_new",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        query=lambda c: "kind=theme_day",
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=record_form,
        state=recorded_state,
    ),
    Spec(
        "activities:branch_compliance",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=READERS_A,
    ),
    Spec(
        "activities:attendance_report",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        query=lambda c: "year=2025&quarter=2",
        ok=READERS_A,
        exports=SHEET_FORMATS,
    ),
    Spec(
        "activities:ledger",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        query=lambda c: "year=2025",
        ok=READERS_A,
        exports=SHEET_FORMATS,
    ),
    Spec(
        "activities:excusal_create",
        kwargs=lambda c: {"branch_pk": c.branch_a.pk},
        ok=EXCUSERS_A,
        forbidden=READERS_A - EXCUSERS_A,
        post=lambda c: {
            "period": "quarter",
            "period_start": "2025-08-15",
            "kind": "",
            "reason": "支部换届",
            "approved_by": "区委老干部局 李科长",
            "approved_on": "2025-07-01",
        },
        state=lambda c: list(Excusal.objects.values_list("pk", "period_start")),
    ),
    Spec("activities:meeting_detail", kwargs=lambda c: {"pk": held(c).pk}, ok=READERS_A),
    Spec(
        "activities:meeting_edit",
        kwargs=lambda c: {"pk": planned(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {
            "kind": "general_assembly",
            "topic": "矩阵：改过的主题",
            "planned_on": "2025-06-10",
            "mode": "mixed",
        },
        state=lambda c: row(planned(c)),
    ),
    Spec(
        "activities:meeting_record",
        kwargs=lambda c: {"pk": planned(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {
            "record_key": str(uuid.uuid4()),
            "topic": "矩阵：计划中",
            "held_on": "2025-06-10",
            "mode": "on_site",
        },
        state=recorded_state,
    ),
    Spec(
        "activities:meeting_cancel",
        kwargs=lambda c: {"pk": planned(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"reason": "天气原因"},
        state=lambda c: row(planned(c)),
    ),
    Spec(
        "activities:attachment_upload",
        kwargs=lambda c: {"pk": held(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"kind": "sign_sheet", "file": png_file()},
        state=lambda c: list(MeetingAttachment.objects.values_list("pk", flat=True)),
    ),
    Spec(
        "activities:sign_in_sheet",
        kwargs=lambda c: {"pk": planned(c).pk},
        ok=READERS_A,
        exports=SHEET_FORMATS,
    ),
    Spec(
        "activities:attendance_record",
        kwargs=lambda c: {"pk": held(c).pk},
        ok=READERS_A,
        exports=SHEET_FORMATS,
    ),
    Spec(
        "activities:attachment_download",
        kwargs=lambda c: {"pk": attachment(c).pk},
        ok=READERS_A,
        exports=("",),
    ),
    Spec(
        "activities:makeup_create",
        kwargs=lambda c: {"attendance_pk": absence(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {
            "kind": "home_delivery",
            "made_up_on": "2025-06-20",
            "delivered_by": "支部书记 陈书记",
            "material": "主题党日学习材料",
        },
        state=lambda c: list(MakeUp.objects.values_list("pk", flat=True)),
    ),
    Spec(
        "activities:org_compliance",
        kwargs=lambda c: {"pk": c.community_a.pk},
        ok=COMMUNITY_A_VIEWERS - {"system_admin"},
    ),
    Spec("activities:rule_list", ok=RULE_EDITORS),
    Spec(
        "activities:rule_create",
        ok=RULE_EDITORS,
        post=lambda c: {
            "district": c.district_a.pk,
            "kind": "theme_day",
            "period": "month",
            "minimum_count": 2,
            "valid_from": "2027-01-01",
            "source_note": "东城区：主题党日每月两次",
        },
        state=lambda c: list(CadenceRule.objects.values_list("pk", "minimum_count")),
    ),
    Spec(
        "activities:rule_edit",
        kwargs=lambda c: {"pk": district_rule(c).pk},
        ok=RULE_EDITORS - {"district_b_staff"},
        post=lambda c: {
            "district": c.district_a.pk,
            "kind": "lecture",
            "period": "month",
            "minimum_count": 3,
            "valid_from": "2026-01-01",
            "source_note": "东城区：党课每月三次",
        },
        state=lambda c: row(district_rule(c)),
    ),
    Spec("activities:excusal_list", ok=EXCUSAL_APPROVERS),
    Spec(
        "activities:excusal_delete",
        kwargs=lambda c: {"pk": excusal(c).pk},
        ok=EXCUSERS_A,
        forbidden=READERS_A - EXCUSERS_A,
        post=lambda c: {},
        state=lambda c: list(Excusal.objects.values_list("pk", flat=True)),
    ),
    *FUNCTIONAL_SPECS,
]
