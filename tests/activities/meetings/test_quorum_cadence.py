"""A general assembly or committee meeting that failed its quorum was not validly held:
compliance does not count it, says why (the branch's compliance page, the overview and
the heat map), and a later attendance correction that fixes or breaks the quorum moves
the figures (activities.meetings.summaries keeps Meeting.quorum_missed with the attendance)."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import translation

from activities import summaries
from activities.meetings.compliance import CellStatus, compliance
from activities.meetings.models import Meeting, MeetingKind
from activities.meetings.quorum import FOUR_FIFTHS, HALF
from activities.meetings.services import planning, recording
from activities.meetings.services.recording import Mark
from branches.models import Branch

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 11, 29)
Q1 = (D(2025, 1, 1), D(2025, 3, 31))
ELECTION_NOTE = "3月 支部党员大会 到会不足法定人数（选举需4/5），不计入"


def election(roster, *, absent, actor=None):
    """An election assembly on 12 March 2025; `absent` members marked absent."""
    return recording.meeting_record_new(
        branch=roster.branch,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": "支部委员会换届选举",
            "held_on": D(2025, 3, 12),
            "is_election": True,
        },
        marks={m.pk: Mark("absent") for m in absent},
        client_key=uuid.uuid4(),
        actor=actor,
    ).meeting


def cell(branch, kind, start=Q1[0], end=Q1[1]):
    branch = Branch.objects.select_related("organization").get(pk=branch.pk)
    (found,) = compliance([branch], start, end, today=TODAY)[branch.pk][kind]
    return found


def correct(meeting, marks, actor=None):
    recording.meeting_record(
        meeting=meeting, details={}, marks=marks, record_key=uuid.uuid4(), actor=actor
    )


def test_an_election_with_fewer_than_four_fifths_present_does_not_count(roster):
    # Nine voting members (the probationary one has no vote): an election needs 8.
    meeting = election(roster, absent=roster.members[:2])  # 7 of 9 voting attend

    assert Meeting.objects.get(pk=meeting.pk).quorum_missed == FOUR_FIFTHS
    found = cell(roster.branch, MeetingKind.GENERAL_ASSEMBLY)
    assert (found.held, found.counted, found.status) == (0, 0, CellStatus.BEHIND)
    with translation.override("zh-hans"):
        assert found.quorum_notes == [ELECTION_NOTE]


def test_a_correction_that_fixes_or_breaks_the_quorum_moves_compliance(roster):
    meeting = election(roster, absent=roster.members[:2])
    # One of the two did come after all: 8 of 9, the election is valid and counts.
    correct(meeting, {roster.members[0].pk: Mark("present")})
    found = cell(roster.branch, MeetingKind.GENERAL_ASSEMBLY)
    assert (found.counted, found.status, found.quorum_missed) == (1, CellStatus.MET, [])
    # And back: the quorum is lost again, so is the period.
    correct(meeting, {roster.members[0].pk: Mark("absent")})
    assert cell(roster.branch, MeetingKind.GENERAL_ASSEMBLY).status == CellStatus.BEHIND


def test_a_plain_assembly_needs_more_than_half_and_a_committee_half_of_its_members(committee):
    roster = committee
    # Not an election: 7 of 9 is more than half, it counts.
    meeting = election(roster, absent=roster.members[:2])
    planning.meeting_update(meeting=meeting, details={"is_election": False}, actor=None)
    assert Meeting.objects.get(pk=meeting.pk).quorum_missed == ""
    assert cell(roster.branch, MeetingKind.GENERAL_ASSEMBLY).status == CellStatus.MET
    # The committee has five members: two present are not more than half.
    absent = roster.committee[:3]
    recording.meeting_record_new(
        branch=roster.branch,
        details={"kind": MeetingKind.COMMITTEE, "topic": "研究工作", "held_on": D(2025, 3, 5)},
        marks={m.pk: Mark("absent") for m in absent},
        client_key=uuid.uuid4(),
        actor=None,
    )
    march = cell(roster.branch, MeetingKind.COMMITTEE, D(2025, 3, 1), D(2025, 3, 31))
    assert march.status == CellStatus.BEHIND
    assert [miss.rule for miss in march.quorum_missed] == [HALF]
    with translation.override("zh-hans"):
        assert march.quorum_notes == ["3月 支部委员会会议 到会不足法定人数（需过半数），不计入"]


def test_the_rebuild_recomputes_a_quorum_written_past_the_services(roster):
    meeting = election(roster, absent=[])
    meeting.attendances.filter(member__in=roster.members[:3]).update(status="absent")
    assert Meeting.objects.get(pk=meeting.pk).quorum_missed == ""
    summaries.rebuild()
    assert Meeting.objects.get(pk=meeting.pk).quorum_missed == FOUR_FIFTHS


def test_the_compliance_page_and_the_heat_map_say_why(roster, client_for, monkeypatch):
    election(roster, absent=roster.members[:2])
    secretary = client_for("community_secretary")
    page = secretary.get(
        reverse("activities:branch_compliance", args=[roster.branch.pk]) + "?year=2025"
    ).content.decode()
    assert ELECTION_NOTE in page
    overview = secretary.get(
        reverse("activities:org_compliance", args=[roster.branch.organization_id])
        + "?year=2025&quarter=1"
    ).content.decode()
    assert ELECTION_NOTE in overview

    monkeypatch.setattr("reports.views._today", lambda: TODAY)
    heat = (
        client_for("district_staff")
        .get(
            reverse("reports:org_dashboard", args=[roster.branch.organization_id])
            + "?period=quarter&year=2025&quarter=1"
        )
        .content.decode()
    )
    # In the cell itself (its words and its tooltip), and spelled out under the map.
    assert '<span class="hm-note">法定人数不足</span>' in heat
    assert f"· {ELECTION_NOTE}" in heat
    assert f"{roster.branch.name} · {ELECTION_NOTE}</li>" in heat
