"""The dashboards' summaries: per branch x month tallies of held meetings and attendance
(BranchMonthTally), each member's latest participation (MemberParticipation) and each
care need's latest in-person visit (CareNeed.last_visit_on).

They are derived from Meeting, Attendance and MakeUp and rewritten from those rows, never
incremented: the meeting, attendance, make-up and care services call `refresh` inside their own
transaction with what they touched, so a summary row is exactly what a live aggregate
would give (tests/activities/test_summaries.py compares them after every write path).
`manage.py rebuild_summaries` (and the data migration, and the demo seeders after their
bulk inserts) recompute everything.

Concurrency: `refresh` locks the branches' rows before it aggregates, so two recordings
in one branch and month cannot both write a tally that misses the other's meeting.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, DateField, Max, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth

from branches.models import Branch

from .models import (
    ATTENDING,
    IN_PERSON_VISITS,
    Attendance,
    BranchMonthTally,
    CareNeed,
    CareVisit,
    MakeUp,
    Meeting,
    MeetingStatus,
    MemberParticipation,
)
from .periods import Period, Span
from .selectors import tally_annotations

TALLY_FIELDS = ("expected", "present", "remote", "excused", "absent", "made_up")
BATCH = 5000


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _tally_rows(meetings, *, models=None):
    """BranchMonthTally objects (unsaved) aggregated from these meetings' held rows."""
    models = models or _live_models()
    rows = (
        meetings.filter(status=MeetingStatus.HELD)
        .annotate(month=TruncMonth("held_on"))
        .values("branch_id", "month")
        .annotate(n_held=Count("pk", distinct=True), **tally_annotations("attendances__"))
        .order_by()
    )
    return [
        models["BranchMonthTally"](
            branch_id=row["branch_id"],
            month=_date(row["month"]),
            held=row["n_held"],
            **{name: row[f"n_{name}"] for name in TALLY_FIELDS},
        )
        for row in rows
    ]


def _participation_rows(attendances, make_ups, *, models=None):
    """MemberParticipation objects (unsaved): the latest attended held meeting or
    make-up of each member these querysets cover."""
    models = models or _live_models()
    last: dict[int, datetime.date] = {}
    attended = (
        attendances.filter(status__in=ATTENDING, meeting__status=MeetingStatus.HELD)
        .values_list("member_id")
        .annotate(last=Max("meeting__held_on"))
        .order_by()
    )
    made_up = (
        make_ups.values_list("attendance__member_id").annotate(last=Max("made_up_on")).order_by()
    )
    for member_id, day in attended.union(made_up, all=True).order_by():  # one round trip
        if member_id not in last or day > last[member_id]:
            last[member_id] = day
    return [models["MemberParticipation"](member_id=m, last_on=d) for m, d in last.items()]


def _last_visit(visits):
    """The latest in-person visit of the need's member (phone calls are not visits)."""
    latest = (
        visits.filter(member_id=OuterRef("member_id"), kind__in=IN_PERSON_VISITS)
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    return Subquery(latest, output_field=DateField())


def _live_models():
    return {
        "Meeting": Meeting,
        "Attendance": Attendance,
        "MakeUp": MakeUp,
        "BranchMonthTally": BranchMonthTally,
        "MemberParticipation": MemberParticipation,
        "CareNeed": CareNeed,
        "CareVisit": CareVisit,
    }


def refresh(
    *, months: Iterable[tuple[int, datetime.date | None]] = (), members=(), cared=()
) -> None:
    """Rewrite the tallies of these (branch id, day in the month) pairs, the latest
    participation of these member ids and the last visit on the care needs of the
    `cared` member ids from the source rows. Call it inside the transaction that changed
    them; days may be None (a meeting never held)."""
    if cared:
        CareNeed.objects.filter(member_id__in=set(cared)).update(
            last_visit_on=_last_visit(CareVisit.objects.all())
        )
    pairs = {(branch_id, _month(day)) for branch_id, day in months if day is not None}
    member_ids = sorted(set(members))
    if pairs:
        branch_ids = sorted({branch_id for branch_id, _month_start in pairs})
        # Serialise rewrites per branch (see the module docstring); ordered, so no deadlock.
        list(
            Branch.objects.select_for_update()
            .filter(pk__in=branch_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        where = Q()
        for branch_id, month in pairs:
            span = Span(month, Period.MONTH)
            where |= Q(branch_id=branch_id, held_on__gte=span.start, held_on__lte=span.end)
        fresh = _tally_rows(Meeting.objects.filter(where))
        if fresh:
            BranchMonthTally.objects.bulk_create(
                fresh,
                update_conflicts=True,
                unique_fields=["branch", "month"],
                update_fields=["held", *TALLY_FIELDS],
            )
        gone = pairs - {(row.branch_id, row.month) for row in fresh}
        if gone:
            stale = Q()
            for branch_id, month in gone:
                stale |= Q(branch_id=branch_id, month=month)
            BranchMonthTally.objects.filter(stale).delete()
    if member_ids:
        fresh = _participation_rows(
            Attendance.objects.filter(member_id__in=member_ids),
            MakeUp.objects.filter(attendance__member_id__in=member_ids),
        )
        if fresh:
            MemberParticipation.objects.bulk_create(
                fresh,
                update_conflicts=True,
                unique_fields=["member"],
                update_fields=["last_on"],
            )
        found = {row.member_id for row in fresh}
        if len(found) < len(member_ids):
            MemberParticipation.objects.filter(
                member_id__in=[m for m in member_ids if m not in found]
            ).delete()


def refresh_meeting(meeting: Meeting, *, months: Iterable = (), members=None) -> None:
    """After a meeting or its attendance changed: its month (and any `months` it was in
    before) and the participation of everyone on its list (or `members`)."""
    if members is None:
        members = meeting.attendances.values_list("member_id", flat=True)
    refresh(
        months=[(meeting.branch_id, meeting.held_on), *((meeting.branch_id, d) for d in months)],
        members=members,
    )


def rebuild(models=None) -> tuple[int, int]:
    """Recompute every summary from the source rows; returns (tallies, participations).
    `models` lets the data migrations pass their historical models."""
    models = models or _live_models()
    models["BranchMonthTally"].objects.all().delete()
    models["MemberParticipation"].objects.all().delete()
    tallies = _tally_rows(models["Meeting"].objects.all(), models=models)
    models["BranchMonthTally"].objects.bulk_create(tallies, batch_size=BATCH)
    participations = _participation_rows(
        models["Attendance"].objects.all(), models["MakeUp"].objects.all(), models=models
    )
    models["MemberParticipation"].objects.bulk_create(participations, batch_size=BATCH)
    if "CareNeed" in models:  # (absent from the migration that created the tallies)
        models["CareNeed"].objects.update(
            last_visit_on=_last_visit(models["CareVisit"].objects.all())
        )
    return len(tallies), len(participations)
