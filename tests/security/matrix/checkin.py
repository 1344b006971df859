"""Self check-in (扫码签到) of branch A's meeting planned for today.

The secretary's side follows the meetings' rule: whoever reads branch A's meetings
(can_view_members) sees the live panel; those who record them (can_record_meeting) open
the QR page, close or reopen it and decide visitors; the other readers get 403 there.

The member's page (`activities:checkin`) is public: no log-in, the signed token is the
key. So anonymous and every logged-in role alike get 200 for a good token (`everyone`
and `anonymous` both 200) and 404 for a tampered one (case "tampered"): a role changes
nothing on that page. It has no `post` here because no role is refused (the matrix's
refused-POST check needs somebody refused); its POSTs are audited by the service
(checkins.self_check_in and visitor_request, actor None, the client's address), which
tests/activities/meetings/test_self_checkin*.py check.
"""

import uuid

from django.utils import timezone

from activities.meetings import checkin
from activities.meetings.models import CheckInVisitor, Meeting, MeetingKind
from activities.meetings.services import planning

from . import Spec
from .activities import READ_ONLY_A, READERS_A, RECORDERS_A

TOPIC = "矩阵扫码签到"


def today_meeting(cast):
    found = Meeting.objects.filter(branch=cast.branch_a, topic=TOPIC).first()
    if found:
        return found
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={
            "kind": MeetingKind.GENERAL_ASSEMBLY,
            "topic": TOPIC,
            "planned_on": timezone.localdate(),
        },
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


def a_visitor(cast):
    meeting = today_meeting(cast)
    visitor, _ = CheckInVisitor.objects.get_or_create(meeting=meeting, name="矩阵来宾")
    return visitor


def closed_state(cast):
    meeting = Meeting.objects.get(pk=today_meeting(cast).pk)
    return (meeting.checkin_closed_at, meeting.checkin_round)


def visitor_state(cast):
    return CheckInVisitor.objects.get(pk=a_visitor(cast).pk).status


def token(cast):
    return checkin.token_for(today_meeting(cast))


def tampered(cast):
    value, signature = token(cast).rsplit(":", 1)
    return value + ":" + ("A" if signature[0] != "A" else "B") + signature[1:]


SPECS = [
    Spec(
        "activities:checkin_qr",
        kwargs=lambda c: {"pk": today_meeting(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"action": "close"},
        state=closed_state,
    ),
    Spec(
        "activities:checkin_live",
        kwargs=lambda c: {"pk": today_meeting(c).pk},
        ok=READERS_A,
    ),
    Spec(
        "activities:checkin_visitor",
        kwargs=lambda c: {"pk": a_visitor(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"decision": "confirm"},
        state=visitor_state,
    ),
    # Public: the signed token is the key, whoever holds it (logged in or not).
    Spec(
        "activities:checkin",
        kwargs=lambda c: {"token": token(c)},
        everyone=200,
        anonymous=200,
    ),
    Spec(
        "activities:checkin",
        kwargs=lambda c: {"token": tampered(c)},
        everyone=404,
        anonymous=404,
        case="tampered",
    ),
]
