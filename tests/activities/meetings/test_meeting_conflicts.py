"""Two people saving the same meeting at once (issue 13, item 25): the later save is
refused with what the earlier one changed, in Chinese, and the later one's input kept;
nothing is overwritten unless they save again knowing it."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities.meetings.models import Meeting, MeetingKind
from activities.meetings.selectors import meeting_roster
from activities.meetings.services import errors, planning
from tests.otp import login_as

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() - datetime.timedelta(days=3)


@pytest.fixture
def meeting(cast):
    meeting, _created = planning.meeting_plan(
        branch=cast.branch_a,
        details={"kind": MeetingKind.GENERAL_ASSEMBLY, "topic": "学习党章", "planned_on": DAY},
        client_key="5b0d7f0e-1c44-4b8e-9a39-5f7f3c1c2a10",
        actor=None,
    )
    return meeting


def secretaries(cast):
    """Two secretaries who may both write branch A's meetings, each in a browser."""
    return [
        login_as(Client(), cast.user(key), key=key)
        for key in ("community_secretary", "branch_secretary")
    ]


def loaded(client, url) -> dict:
    """The form as the page loaded it: the data a browser would post back unchanged."""
    form = client.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            data[name] = getattr(value, "pk", value)
    return data


def test_the_later_of_two_edits_gets_the_changes_in_chinese_and_overwrites_nothing(cast, meeting):
    first, second = secretaries(cast)
    url = reverse("activities:meeting_edit", args=[meeting.pk])
    mine, theirs = loaded(first, url), loaded(second, url)

    saved = first.post(url, {**mine, "topic": "学习新党章", "host": "张主持"})
    assert saved.status_code == 302
    refused = second.post(url, {**theirs, "topic": "乙的主题"})

    assert refused.status_code == 409
    html = refused.content.decode()
    assert "在您填写期间，另一位用户已保存了此会议" in html
    assert "主题：学习新党章" in html and "主持人：张主持" in html
    assert "计划日期" not in html.split("alert-warning")[1].split("</div>")[0]  # unchanged
    assert 'value="乙的主题"' in html  # their input stays in the form
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.host) == ("学习新党章", "张主持")

    # Saving again, having seen the changes, is a choice: the form as it stands goes in.
    again = refused.context["form"].data
    assert second.post(url, again).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.host) == ("乙的主题", "")


def test_the_later_of_two_attendance_recordings_is_refused_and_shows_who_changed(cast, meeting):
    first, second = secretaries(cast)
    url = reverse("activities:meeting_record", args=[meeting.pk])
    mine, theirs = loaded(first, url), loaded(second, url)
    member = meeting_roster(meeting)[0]

    absent = {**mine, f"s{member.member_id}": "absent"}
    assert first.post(url, absent).status_code == 302
    refused = second.post(url, {**theirs, "topic": "乙记录的主题"})

    assert refused.status_code == 409
    html = refused.content.decode()
    assert "在您填写期间，另一位用户已保存了此会议" in html
    assert f"以下人员的出席情况有变：{member.name}" in html
    assert 'value="乙记录的主题"' in html
    meeting.refresh_from_db()
    assert meeting.topic == "学习党章"
    assert meeting.attendances.get(member_id=member.member_id).status == "absent"


def test_an_update_touches_only_the_fields_its_input_carries(meeting):
    stale = Meeting.objects.get(pk=meeting.pk)  # loaded before the other save
    planning.meeting_update(meeting=meeting, details={"host": "李主持"}, actor=None, version=1)
    planning.meeting_update(meeting=stale, details={"topic": "新主题"}, actor=None, version=2)
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.host, meeting.version) == ("新主题", "李主持", 3)

    with pytest.raises(errors.MeetingConflict):
        planning.meeting_update(meeting=stale, details={"host": "旧"}, actor=None, version=2)
    meeting.refresh_from_db()
    assert (meeting.host, meeting.version) == ("李主持", 3)
