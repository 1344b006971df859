"""The lists behind a dashboard's figures: its members and its held meetings."""

from __future__ import annotations

import datetime

from activities.meetings.models import MeetingStatus
from activities.meetings.periods import Span
from activities.meetings.selectors import tally_annotations
from members.models import MemberStatus

from .area import inactive_members, registered_exists

MEMBER_LISTS = ("residents", "registered", "unregistered", "placed", "inactive")


def member_list(members, which: str, *, today: datetime.date):
    """Members behind a dashboard figure. `members` is already scoped to the user and
    to the node (by residence for residents, by home branch otherwise)."""
    if which in ("residents", "registered", "unregistered"):
        members = members.filter(status=MemberStatus.ACTIVE)
        if which == "registered":
            members = members.filter(registered_exists())
        elif which == "unregistered":
            members = members.exclude(registered_exists())
    elif which == "placed":
        members = members.filter(status=MemberStatus.ACTIVE)
    elif which == "inactive":
        members = inactive_members(members, today)
    # Only what the list shows: a member's encrypted fields decrypt on load (four each).
    return (
        members.select_related("community", "home_branch")
        .only("pk", "name", "community__name", "home_branch__name")
        .order_by("community__path", "name", "pk")
    )


def held_meetings(meetings, month: Span | None, span: Span):
    """Held meetings of a month (or the period) with their tallies, newest first."""
    window = month or span
    return (
        meetings.filter(
            status=MeetingStatus.HELD, held_on__gte=window.start, held_on__lte=window.end
        )
        .select_related("branch", "party_group")
        .annotate(**tally_annotations("attendances__"))
        .order_by("-held_on", "-pk")
    )
