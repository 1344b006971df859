"""Meetings through the API x the API twins, on branch_a (community_a, district A): read
by can_view_members over the branch, written by can_record_meeting (the community and
branch secretaries); the other readers are refused with 403, everyone else 404."""

import datetime
import uuid

from activities.meetings.models import Attendance, Meeting, MeetingKind
from activities.meetings.services import planning

from ...security.matrix.activities import (
    READ_ONLY_A,
    READ_ONLY_F,
    READERS_A,
    READERS_F,
    RECORDERS_A,
    RECORDERS_F,
    held,
    planned,
    planned_f,
)
from . import ApiSpec
from .me import SPECS as ME_SPECS

EVERY_TWIN = ME_SPECS[0].ok  # every twin lists: the list is cut to its scope
DAY = datetime.date(2025, 6, 10)


def to_record(cast):
    """A planned meeting of branch_a the write specs record (again and again)."""
    found = Meeting.objects.filter(branch=cast.branch_a, topic="接口矩阵：待记录").first()
    if found:
        return found
    meeting, _ = planning.meeting_plan(
        branch=cast.branch_a,
        details={"kind": MeetingKind.THEME_DAY, "topic": "接口矩阵：待记录", "planned_on": DAY},
        client_key=uuid.uuid4(),
        actor=None,
    )
    return meeting


def meetings_state(cast):
    return [
        *Meeting.objects.order_by("pk").values_list("pk", "status", "topic", "version"),
        *Attendance.objects.order_by("pk").values_list("pk", "status", "reason"),
    ]


def plan_body(cast):
    return {
        "client_key": str(uuid.uuid4()),
        "branch": cast.branch_a.pk,
        "kind": "lecture",
        "topic": "接口矩阵：专题党课",
        "planned_on": "2026-12-20",
        "start_time": "09:30",
    }


def record_body(cast):
    meeting = to_record(cast)
    meeting.refresh_from_db()
    return {
        "record_key": str(uuid.uuid4()),
        "version": meeting.version,
        "held_on": "2025-06-10",
        # A new host each time, so each allowed recording changes something (and is audited).
        "host": f"接口矩阵主持人{uuid.uuid4().hex[:6]}",
    }


def held_body(cast):
    return {
        "client_key": str(uuid.uuid4()),
        "branch": cast.branch_a.pk,
        "kind": "theme_day",
        "topic": "接口矩阵：补录主题党日",
        "held_on": "2025-06-01",
    }


SPECS = [
    ApiSpec(name="meeting-list", ok=EVERY_TWIN),
    ApiSpec(
        name="meeting-list",
        case="filtered",
        query=lambda c: f"branch={c.branch_a.pk}&status=held&held_from=2025-01-01",
        ok=EVERY_TWIN,
    ),
    ApiSpec(name="meeting-detail", kwargs=lambda c: {"pk": held(c).pk}, ok=READERS_A),
    ApiSpec(
        name="meeting-detail",
        case="planned",
        kwargs=lambda c: {"pk": planned(c).pk},
        ok=READERS_A,
    ),
    ApiSpec(
        name="meeting-list",
        case="plan",
        method="post",
        body=plan_body,
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        state=meetings_state,
    ),
    ApiSpec(
        name="meeting-record",
        kwargs=lambda c: {"pk": to_record(c).pk},
        method="post",
        body=record_body,
        created=200,
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        state=meetings_state,
    ),
    ApiSpec(
        name="meeting-held",
        method="post",
        body=held_body,
        ok=RECORDERS_A,
        forbidden=READ_ONLY_A,
        state=meetings_state,
    ),
    # functional_a sits on street_a: the street's staff record its meetings.
    ApiSpec(
        name="meeting-detail",
        case="functional",
        kwargs=lambda c: {"pk": planned_f(c).pk},
        ok=READERS_F,
    ),
    ApiSpec(
        name="meeting-held",
        case="functional",
        method="post",
        body=lambda c: {**held_body(c), "branch": c.functional_a.pk},
        ok=RECORDERS_F,
        forbidden=READ_ONLY_F,
        state=meetings_state,
    ),
]
