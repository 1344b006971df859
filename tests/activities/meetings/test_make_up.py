"""补学 / 送学上门 closes an absence or excusal for that meeting."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from activities.meetings.ledgers import attendance_report
from activities.meetings.models import MakeUp
from activities.meetings.periods import quarter_span
from activities.meetings.selectors import meeting_roster, tally_roster
from activities.meetings.services import makeups
from activities.meetings.services.errors import RecordingError
from activities.meetings.services.recording import Mark

from ..conftest import record

D = datetime.date
DETAILS = {
    "kind": "home_delivery",
    "made_up_on": D(2025, 6, 14),
    "delivered_by": "支部书记 陈书记",
    "material": "党员大会学习材料",
}


def meeting_with_gaps(roster):
    return record(
        branch=roster.branch,
        held_on=D(2025, 6, 10),
        marks={
            roster.bedridden.pk: Mark("excused", "卧床"),
            roster.members[0].pk: Mark("absent"),
        },
    )


def test_a_make_up_closes_the_absence_and_counts_in_the_rate(roster):
    meeting = meeting_with_gaps(roster)
    before = tally_roster(meeting_roster(meeting))
    makeups.makeup_record(
        attendance=meeting.attendances.get(member=roster.bedridden), details=DETAILS, actor=None
    )
    after = tally_roster(meeting_roster(meeting))
    assert (before.rate, after.rate) == (0.8, 0.9)
    assert after.made_up == 1
    assert AuditEntry.objects.filter(object_type="activities.makeup").count() == 1


def test_a_bedridden_members_home_study_makes_the_report_whole(roster):
    meeting = meeting_with_gaps(roster)
    makeups.makeup_record(
        attendance=meeting.attendances.get(member=roster.bedridden), details=DETAILS, actor=None
    )
    report = attendance_report(roster.branch, quarter_span(2025, 2))
    line = next(x for x in report.lines if x.member_id == roster.bedridden.pk)
    assert (line.tally.expected, line.tally.excused, line.tally.made_up) == (1, 1, 1)
    assert line.tally.rate == 1.0


def test_a_present_member_cannot_make_up(roster):
    meeting = meeting_with_gaps(roster)
    with pytest.raises(RecordingError) as error:
        makeups.makeup_record(
            attendance=meeting.attendances.get(member=roster.members[6]),
            details=DETAILS,
            actor=None,
        )
    assert error.value.code == "attended"


def test_an_absence_is_made_up_once(roster):
    meeting = meeting_with_gaps(roster)
    line = meeting.attendances.get(member=roster.members[0])
    makeups.makeup_record(attendance=line, details=DETAILS, actor=None)
    with pytest.raises(RecordingError):
        makeups.makeup_record(attendance=line, details=DETAILS, actor=None)
    assert MakeUp.objects.count() == 1


def test_a_make_up_cannot_be_dated_before_the_meeting(roster, client_for):
    meeting = meeting_with_gaps(roster)
    line = meeting.attendances.get(member=roster.members[0])
    page = client_for("community_secretary").post(
        reverse("activities:makeup_create", args=[line.pk]),
        {**DETAILS, "made_up_on": "2025-06-01"},
    )
    assert "补学日期不能早于会议日期。" in page.content.decode()
    assert not MakeUp.objects.exists()


def test_the_form_offers_home_delivery_for_a_bedridden_member(roster, client_for):
    meeting = meeting_with_gaps(roster)
    line = meeting.attendances.get(member=roster.bedridden)
    page = client_for("community_secretary").get(
        reverse("activities:makeup_create", args=[line.pk])
    )
    html = page.content.decode()
    assert 'value="home_delivery" selected' in html or 'value="home_delivery" checked' in html


def test_the_form_starts_with_the_meetings_topic_as_what_is_made_up(roster, client_for):
    meeting = meeting_with_gaps(roster)
    line = meeting.attendances.get(member=roster.members[0])
    url = reverse("activities:makeup_create", args=[line.pk])
    client = client_for("community_secretary")
    form = client.get(url).context["form"]
    assert form["material"].value() == "学习贯彻党的二十届四中全会精神"
    # Kept as the secretary submits it, empty included (the form then says it is needed).
    page = client.post(url, {**DETAILS, "material": ""})
    assert page.context["form"]["material"].value() == ""
    assert not MakeUp.objects.exists()


def test_the_meeting_page_links_each_gap_to_its_make_up_form(roster, client_for):
    meeting = meeting_with_gaps(roster)
    html = (
        client_for("community_secretary")
        .get(reverse("activities:meeting_detail", args=[meeting.pk]))
        .content.decode()
    )
    for member in (roster.bedridden, roster.members[0]):
        line = meeting.attendances.get(member=member)
        assert reverse("activities:makeup_create", args=[line.pk]) in html
    assert html.count("登记补学") == 2


def test_a_read_only_user_sees_gaps_but_no_make_up_button(roster, client_for):
    meeting = meeting_with_gaps(roster)
    html = (
        client_for("district_staff")
        .get(reverse("activities:meeting_detail", args=[meeting.pk]))
        .content.decode()
    )
    assert "尚未补学" in html
    assert "登记补学" not in html
