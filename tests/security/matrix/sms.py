"""SMS notices of branch A's recorded meeting (the member's answers by text message) and
the provider's callbacks.

Whoever reads branch A's meetings sees the notices and answers; those who record them
turn the declines into 请假 (a 403 for the other readers, and the refused POST changes no
attendance line). The callbacks are public (the provider has no log-in): POST only, so a
GET answers 405 to everybody, anonymous included; the token in the URL, the provider and
the message ids are checked by the view (tests/activities/messaging/test_sms_providers.py).
"""

from activities.meetings.models import Attendance, Meeting
from activities.messaging.models import ReplyAnswer, SmsReply

from . import Spec
from .activities import READ_ONLY_A, READERS_A, RECORDERS_A, held


def declined(cast):
    """The recorded meeting, with one present member who declined by SMS with a reason."""
    meeting = held(cast)
    line = Attendance.objects.filter(meeting=meeting).order_by("pk").first()
    SmsReply.objects.get_or_create(
        key="matrix-decline",
        defaults={
            "member_id": line.member_id,
            "meeting": meeting,
            "answer": ReplyAnswer.CANNOT_COME,
            "reason": "住院复查",
        },
    )
    return Meeting.objects.get(pk=meeting.pk)


def lines(cast):
    return list(
        Attendance.objects.filter(meeting=declined(cast))
        .order_by("pk")
        .values_list("pk", "status", "reason")
    )


SPECS = [
    Spec(
        "reminders:meeting_notices",
        kwargs=lambda c: {"pk": declined(c).pk},
        ok=READERS_A,
    ),
    Spec(
        "reminders:declines_excuse",
        kwargs=lambda c: {"pk": declined(c).pk},
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        post=lambda c: {"version": declined(c).version},
        state=lines,
    ),
    Spec(
        "reminders:sms_status",
        kwargs=lambda c: {"provider": "tencent", "token": "matrix"},
        everyone=405,
        anonymous=405,
    ),
    Spec(
        "reminders:sms_reply",
        kwargs=lambda c: {"provider": "aliyun", "token": "matrix"},
        everyone=405,
        anonymous=405,
    ),
]
