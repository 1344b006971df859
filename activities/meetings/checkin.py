"""Self check-in (扫码签到): the signed code of a meeting, when it is accepted, its QR
image, and the abuse counters. No writes to the database here (services.checkins.self_check_in and
friends do those); the counters live in Django's cache (Redis in production).

The code is the absolute URL of the public check-in page with a token that carries the
meeting's pk and its check-in round, signed with the secret key and a salt of its own
(django.core.signing): nobody can make one for another meeting, and a tampered token is
a 404. When it is accepted comes from the meeting, not from the token: from 00:00 of the
meeting day until settings.SELF_CHECKIN_HOURS after its start time (the end of the day
when it has none), unless the secretary closed it earlier. Closing and opening again
starts a new round, so codes printed or photographed before stay refused.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

import qrcode
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.counters import bump

from .models import Meeting, MeetingStatus

SALT = "activities.meetings.self-checkin"


# --- The code ------------------------------------------------------------------------------


def token_for(meeting: Meeting) -> str:
    return signing.Signer(salt=SALT).sign_object([meeting.pk, meeting.checkin_round])


def read_token(token: str) -> tuple[int, int] | None:
    """(meeting pk, round) from a token, or None when it was not made by us."""
    try:
        value = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return None
    return value[0], value[1]


def checkin_url(request, meeting: Meeting) -> str:
    return request.build_absolute_uri(
        reverse("activities:checkin", kwargs={"token": token_for(meeting)})
    )


def qr_svg(url: str, *, size: int = 320, label_id: str = "checkin-qr-title") -> str:
    """The QR image as inline SVG (no JavaScript, prints sharp, works in the PDF): one
    path with a rectangle per run of dark modules in a row, not one square per module
    (a third of the path to parse and draw, in the browser and in WeasyPrint)."""
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start},{y}h{x - start}v1h-{x - start}z")
    # Sized by attributes (a style attribute would need 'unsafe-inline').
    return (
        f'<svg role="img" aria-labelledby="{label_id}" width="{size}" height="{size}" '
        f'viewBox="0 0 {len(matrix)} {len(matrix)}" xmlns="http://www.w3.org/2000/svg">'
        f'<path d="{"".join(runs)}" fill="#000"/></svg>'
    )


# --- When it is accepted -------------------------------------------------------------------


class State(enum.StrEnum):
    OPEN = "open"
    NOT_YET = "not_yet"  # before the meeting day
    EXPIRED = "expired"
    CLOSED = "closed"  # closed by the secretary, or a code of an earlier round
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Window:
    opens_at: datetime.datetime
    expires_at: datetime.datetime
    state: State

    @property
    def is_open(self) -> bool:
        return self.state == State.OPEN


def window(meeting: Meeting, *, round_: int | None = None, now=None) -> Window:
    """When this meeting's code is accepted, and whether it is now. `round_`: the round a
    token carries (an earlier one is closed)."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    day = meeting.day
    opens_at = datetime.datetime.combine(day, datetime.time(0), tzinfo=tz)
    if meeting.start_time is not None:
        start = datetime.datetime.combine(day, meeting.start_time, tzinfo=tz)
        expires_at = start + datetime.timedelta(hours=settings.SELF_CHECKIN_HOURS)
    else:
        expires_at = opens_at + datetime.timedelta(days=1)
    if meeting.status == MeetingStatus.CANCELLED:
        state = State.CANCELLED
    elif meeting.checkin_closed_at is not None or (
        round_ is not None and round_ != meeting.checkin_round
    ):
        state = State.CLOSED
    elif now < opens_at:
        state = State.NOT_YET
    elif now >= expires_at:
        state = State.EXPIRED
    else:
        state = State.OPEN
    return Window(opens_at, expires_at, state)


# --- Abuse counters ------------------------------------------------------------------------


def _key(*parts) -> str:
    return "checkin:" + ":".join(str(p) for p in parts)


def _lock_seconds() -> int:
    return settings.SELF_CHECKIN_LOCK_MINUTES * 60


def meeting_flooded(meeting_pk: int) -> bool:
    """Counts one submission to the meeting; True when this minute's share is used up."""
    minute = int(timezone.now().timestamp() // 60)
    used = bump(_key("meeting", meeting_pk, minute), 120)
    return used > settings.SELF_CHECKIN_PER_MEETING_PER_MINUTE


def member_locked(meeting_pk: int, member_pk: int) -> bool:
    failures = cache.get(_key("fail-member", meeting_pk, member_pk), 0)
    return failures >= settings.SELF_CHECKIN_MAX_FAILURES


def address_locked(meeting_pk: int, address: str) -> bool:
    failures = cache.get(_key("fail-address", meeting_pk, address), 0)
    return failures >= settings.SELF_CHECKIN_ADDRESS_MAX_FAILURES


def count_failure(meeting_pk: int, *, address: str, member_pk: int | None = None) -> int:
    """One failed attempt (wrong digits, or a name not on the list): counted for the
    address and, for wrong digits, the member. The member's failures so far (0 if none)."""
    bump(_key("fail-address", meeting_pk, address), _lock_seconds())
    if member_pk is None:
        return 0
    return bump(_key("fail-member", meeting_pk, member_pk), _lock_seconds())


def forget_failures(meeting_pk: int, member_pk: int) -> None:
    """The right digits: that member's count starts again (the address's does not)."""
    cache.delete(_key("fail-member", meeting_pk, member_pk))


def phone_digits(phone: str) -> str:
    """The last four digits of a phone number on record ("" when there are fewer)."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""
