"""The attendance-rate arithmetic (DOMAIN.md) and the quorum rules (activities.meetings.quorum)."""

import datetime

import pytest

from activities.meetings.quorum import FOUR_FIFTHS, HALF, needed, quorum_for
from activities.meetings.selectors import Tally, meeting_roster, roster_quorum, tally_roster
from activities.meetings.services import makeups
from activities.meetings.services.recording import Mark

from ..conftest import record

D = datetime.date


def test_the_rate_is_present_plus_remote_plus_made_up_over_expected():
    tally = Tally(expected=10, present=6, remote=1, excused=2, absent=1, made_up=1)
    assert tally.rate == pytest.approx(0.8)
    assert tally.rate_label == "80.0%"
    assert tally.attended == 7
    assert tally.not_made_up == 2


def test_no_one_expected_has_no_rate():
    assert Tally().rate is None
    assert Tally().rate_label == "—"


def test_a_recorded_meeting_adds_up_by_hand(roster):
    m = roster.members
    meeting = record(
        branch=roster.branch,
        held_on=D(2025, 6, 10),
        marks={
            m[0].pk: Mark("remote"),
            m[1].pk: Mark("excused", "住院"),
            m[2].pk: Mark("excused", "外出"),
            m[3].pk: Mark("absent"),
        },
    )
    line = meeting.attendances.get(member=m[1])
    makeups.makeup_record(
        attendance=line,
        details={
            "kind": "study",
            "made_up_on": D(2025, 6, 15),
            "delivered_by": "组织委员",
            "material": "会议精神",
        },
        actor=None,
    )
    tally = tally_roster(meeting_roster(meeting))
    # 10 expected: 6 present, 1 remote, 2 excused (1 made up), 1 absent -> 8 / 10.
    assert (tally.expected, tally.present, tally.remote) == (10, 6, 1)
    assert (tally.excused, tally.absent, tally.made_up) == (2, 1, 1)
    assert tally.rate == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("rule", "voting", "smallest"),
    [
        (HALF, 10, 6),  # more than half of 10: 6 (5 is exactly half)
        (HALF, 9, 5),
        (HALF, 1, 1),
        (FOUR_FIFTHS, 10, 9),  # more than 8
        (FOUR_FIFTHS, 5, 5),  # more than 4
        (FOUR_FIFTHS, 7, 6),  # 4/5 of 7 is 5.6
        ("", 10, 0),
    ],
)
def test_the_quorum_needs_more_than_the_fraction(rule, voting, smallest):
    assert needed(rule, voting) == smallest


def test_only_general_assemblies_and_committee_meetings_have_a_quorum():
    assert quorum_for("general_assembly", False, 10, 6).met
    assert not quorum_for("general_assembly", False, 10, 5).met
    assert quorum_for("committee", False, 5, 3).met
    assert not quorum_for("general_assembly", True, 10, 8).met  # an election: 9 needed
    assert not quorum_for("theme_day", False, 10, 1).applies
    assert not quorum_for("general_assembly", False, 0, 0).met


def test_the_quorum_counts_voting_members_present_or_remote_but_not_made_up(roster):
    m = roster.members
    # Nine voting members (the probationary member has none); the bedridden one votes.
    absent = [m[0], m[1], m[2], m[3]]
    meeting = record(
        branch=roster.branch,
        held_on=D(2025, 6, 10),
        marks={
            **{x.pk: Mark("absent") for x in absent},
            roster.bedridden.pk: Mark("excused", "卧床"),
            m[6].pk: Mark("remote"),
        },
    )
    quorum = roster_quorum(meeting, meeting_roster(meeting))
    # Attending voters: 10 - 4 absent - bedridden - probationary = 4 (one remote).
    assert (quorum.voting, quorum.attending, quorum.needed, quorum.met) == (9, 4, 5, False)
    assert "到会人数不足" in quorum.label

    makeups.makeup_record(
        attendance=meeting.attendances.get(member=m[0]),
        details={
            "kind": "study",
            "made_up_on": D(2025, 6, 11),
            "delivered_by": "书记",
            "material": "会议精神",
        },
        actor=None,
    )
    assert not roster_quorum(meeting, meeting_roster(meeting)).met


def test_a_committee_meetings_quorum_counts_the_committee_only(committee):
    holders = committee.committee
    meeting = record(
        branch=committee.branch,
        kind="committee",
        held_on=D(2025, 6, 3),
        marks={holders[0].pk: Mark("absent"), holders[1].pk: Mark("absent")},
    )
    quorum = roster_quorum(meeting, meeting_roster(meeting))
    assert (quorum.voting, quorum.attending, quorum.met) == (5, 3, True)


def test_an_election_needs_more_than_four_fifths(roster):
    meeting = record(
        branch=roster.branch,
        held_on=D(2025, 6, 10),
        marks={roster.members[0].pk: Mark("absent")},
    )
    meeting.is_election = True
    quorum = roster_quorum(meeting, meeting_roster(meeting))
    # 9 voting (not the probationary member); 8 of them attend; more than 4/5 of 9 is 8.
    assert (quorum.voting, quorum.attending, quorum.needed, quorum.met) == (9, 8, 8, True)
    meeting.attendances.filter(member=roster.members[1]).update(status="absent")
    assert not roster_quorum(meeting, meeting_roster(meeting)).met
