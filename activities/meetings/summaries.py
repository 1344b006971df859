"""The dashboards' summaries: per branch x month tallies of held meetings and attendance
(BranchMonthTally), each member's latest participation (Member.last_participated_on),
and whether a held meeting failed its quorum (Meeting.quorum_missed, which compliance reads).

They are derived from Meeting, Attendance and MakeUp and rewritten from those rows, never
incremented: the meeting, attendance, make-up and care services call `refresh` inside their own
transaction with what they touched, so a summary row is exactly what a live aggregate
would give (tests/activities/meetings/test_summaries.py compares them after every write path).
The care summary (CareNeed.last_visit_on) is activities.care.summaries.
`manage.py rebuild_summaries` (and the demo seeders after their bulk inserts) recompute
everything (activities.summaries.rebuild).

Concurrency: `refresh` locks the branches' rows before it aggregates, so two recordings
in one branch and month cannot both write a tally that misses the other's meeting.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Count, DateField, Max, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest, TruncMonth
from django.db.models.sql import UpdateQuery

from branches.models import Branch
from members.models import Member

from .models import (
    ATTENDING,
    QUORUM_KINDS,
    Attendance,
    BranchMonthTally,
    MakeUp,
    Meeting,
    MeetingStatus,
)
from .periods import Period, Span
from .quorum import quorum_for
from .selectors import tally_annotations

TALLY_FIELDS = ("expected", "present", "remote", "excused", "absent", "made_up")
BATCH = 5000


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _tally_rows(meetings):
    """BranchMonthTally objects (unsaved) aggregated from these meetings' held rows."""
    rows = (
        meetings.filter(status=MeetingStatus.HELD)
        .annotate(month=TruncMonth("held_on"))
        .values("branch_id", "month")
        .annotate(n_held=Count("pk", distinct=True), **tally_annotations("attendances__"))
        .order_by()
    )
    return [
        BranchMonthTally(
            branch_id=row["branch_id"],
            month=_date(row["month"]),
            held=row["n_held"],
            **{name: row[f"n_{name}"] for name in TALLY_FIELDS},
        )
        for row in rows
    ]


def _refresh_quorum(meetings) -> None:
    """Store on these held meetings the quorum rule each failed (Meeting.quorum_missed):
    one query to count, one bulk update of those that changed (a kind changed away from
    a quorum kind clears it). A list without voting members cannot be checked and is
    not marked as failed."""
    rows = (
        meetings.filter(status=MeetingStatus.HELD)
        .filter(Q(kind__in=QUORUM_KINDS) | ~Q(quorum_missed=""))
        .annotate(
            n_voting=Count("attendances", filter=Q(attendances__is_voting=True)),
            n_attending=Count(
                "attendances",
                filter=Q(attendances__is_voting=True, attendances__status__in=ATTENDING),
            ),
        )
        .only("pk", "kind", "is_election", "quorum_missed")
        .order_by()
    )
    changed = []
    for meeting in rows.iterator(chunk_size=BATCH):
        quorum = quorum_for(
            meeting.kind, meeting.is_election, meeting.n_voting, meeting.n_attending
        )
        missed = quorum.rule if quorum.voting and not quorum.met else ""
        if missed != meeting.quorum_missed:
            meeting.quorum_missed = missed
            changed.append(meeting)
    Meeting.objects.bulk_update(changed, ["quorum_missed"], batch_size=BATCH)


def _last_participation():
    """The member's latest held meeting attended (present or remote) or make-up, as an
    expression on Member (NULL when none). PostgreSQL's GREATEST skips NULLs, so each
    subquery runs once; SQLite's MAX() of several values is NULL if any is, hence
    Greatest over Coalesce'd pairs there (each subquery twice)."""
    attended = Subquery(
        Attendance.objects.filter(
            member=OuterRef("pk"), status__in=ATTENDING, meeting__status=MeetingStatus.HELD
        )
        .order_by()
        .values("member")
        .annotate(last=Max("meeting__held_on"))
        .values("last"),
        output_field=DateField(),
    )
    made_up = Subquery(
        MakeUp.objects.filter(attendance__member=OuterRef("pk"))
        .order_by()
        .values("attendance__member")
        .annotate(last=Max("made_up_on"))
        .values("last"),
        output_field=DateField(),
    )
    if connection.vendor == "postgresql":
        return Greatest(attended, made_up)
    return Greatest(Coalesce(attended, made_up), Coalesce(made_up, attended))


def quorum_missed(meeting: Meeting, lines: Iterable[tuple[str, bool]]) -> str:
    """What _refresh_quorum would store on this meeting, from its complete list of
    (status, is_voting) lines: a service that has the list in hand sets it on the
    meeting it saves and calls `refresh(..., quorum=False)`."""
    if meeting.status != MeetingStatus.HELD:
        return meeting.quorum_missed
    voting = attending = 0
    for status, is_voting in lines:
        if is_voting:
            voting += 1
            attending += status in ATTENDING
    quorum = quorum_for(meeting.kind, meeting.is_election, voting, attending)
    return quorum.rule if quorum.voting and not quorum.met else ""


def _month_filter(pairs) -> Q:
    where = Q()
    for branch_id, month in pairs:
        span = Span(month, Period.MONTH)
        where |= Q(branch_id=branch_id, held_on__gte=span.start, held_on__lte=span.end)
    return where


def refresh(
    *,
    months: Iterable[tuple[int, datetime.date | None]] = (),
    members=(),
    locked: bool = False,
    quorum: bool = True,
) -> None:
    """Rewrite the tallies of these (branch id, day in the month) pairs and the latest
    participation of these member ids from the source rows. Call it inside the
    transaction that changed them; days may be None (a meeting never held).

    `locked`: the caller already holds the branches' row locks (taken before it wrote);
    `quorum=False`: the caller has set Meeting.quorum_missed on the only meeting whose
    list changed (quorum_missed()). On PostgreSQL the tallies (upserted, and deleted for
    a month left without a held meeting) and the participation are one statement."""
    pairs = {(branch_id, _month(day)) for branch_id, day in months if day is not None}
    member_ids = sorted(set(members))
    if pairs and not locked:
        branch_ids = sorted({branch_id for branch_id, _month_start in pairs})
        # Serialise rewrites per branch (see the module docstring); ordered, so no deadlock.
        list(
            Branch.objects.select_for_update()
            .filter(pk__in=branch_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    if pairs and quorum:
        _refresh_quorum(Meeting.objects.filter(_month_filter(pairs)))
    if connection.vendor == "postgresql" and (pairs or member_ids):
        _refresh_in_one(pairs, member_ids)
        return
    if pairs:
        where = _month_filter(pairs)
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
        Member.objects.filter(pk__in=member_ids).update(last_participated_on=_last_participation())


class _Slot(list):
    """A stand-in parameter of a statement compiled once (_statement): found again by
    identity among the compiled parameters and replaced by the call's array."""

    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other


_STATEMENTS: dict[tuple[bool, bool], tuple[str, list, tuple]] = {}


def _statement(with_months: bool, with_members: bool) -> tuple[str, list, tuple]:
    """The SQL of _refresh_in_one and its parameters, compiled from the querysets once
    per process (compiling them took more time than running them). The branch ids,
    months and member ids are array parameters, so the text never changes."""
    key = (with_months, with_members)
    if key in _STATEMENTS:
        return _STATEMENTS[key]
    branches, months, members = _Slot(), _Slot(), _Slot()
    parts, params = [], []
    quote = connection.ops.quote_name
    if with_months:
        meeting = quote(Meeting._meta.db_table)
        wanted = RawSQL(  # noqa: S611 (names from the model, values as parameters)
            f"{meeting}.branch_id = ANY(%s::bigint[]) AND ({meeting}.branch_id, "  # noqa: S608
            f"date_trunc('month', {meeting}.held_on)::date) IN "
            f"(SELECT * FROM unnest(%s::bigint[], %s::date[]))",
            (branches, branches, months),
            output_field=BooleanField(),
        )
        rows = (
            Meeting.objects.filter(wanted)
            .filter(status=MeetingStatus.HELD)
            .annotate(month=TruncMonth("held_on"))
            .values("branch_id", "month")
            .annotate(n_held=Count("pk", distinct=True), **tally_annotations("attendances__"))
            .order_by()
        )
        sql, values = rows.query.sql_with_params()
        parts.append(f"agg AS ({sql})")
        params += values
        table = quote(BranchMonthTally._meta.db_table)
        counts = ["held", *TALLY_FIELDS]
        columns = ", ".join(quote(name) for name in ["branch_id", "month", *counts])
        parts.append(
            f"up AS (INSERT INTO {table} ({columns}) "  # noqa: S608
            f"SELECT agg.branch_id, agg.month::date, "
            + ", ".join(f"agg.n_{name}" for name in counts)
            + " FROM agg ON CONFLICT (branch_id, month) DO UPDATE SET "
            + ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in counts)
            + ")"
        )
        parts.append(
            f"gone AS (DELETE FROM {table} b WHERE (b.branch_id, b.month) IN "  # noqa: S608
            f"(SELECT * FROM unnest(%s::bigint[], %s::date[])) AND NOT EXISTS ("
            f"SELECT 1 FROM agg WHERE agg.branch_id = b.branch_id "
            f"AND agg.month::date = b.month))"
        )
        params += [branches, months]
    if with_members:
        who = RawSQL("SELECT unnest(%s::bigint[])", (members,))
        query = Member.objects.filter(pk__in=who).order_by().query.chain(UpdateQuery)
        query.add_update_values({"last_participated_on": _last_participation()})
        sql, values = query.get_compiler(connection=connection).as_sql()
        parts.append(f"who AS ({sql})")
        params += values
    statement = (f"WITH {', '.join(parts)} SELECT 1", params, (branches, months, members))
    _STATEMENTS[key] = statement
    return statement


def _refresh_in_one(pairs, member_ids) -> None:
    """refresh's tallies and participation as one statement of data-modifying CTEs (they
    all read the rows the transaction wrote before it, none reads another's writes)."""
    sql, params, slots = _statement(bool(pairs), bool(member_ids))
    ordered = sorted(pairs)
    arrays = (
        [branch_id for branch_id, _month in ordered],
        [month for _branch_id, month in ordered],
        list(member_ids),
    )
    values = []
    for param in params:
        for slot, array in zip(slots, arrays, strict=True):
            if param is slot:
                param = array
                break
        values.append(param)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def refresh_meeting(meeting: Meeting, *, months: Iterable = (), members=None, **options) -> None:
    """After a meeting or its attendance changed: its month (and any `months` it was in
    before) and the participation of everyone on its list (or `members`). `options`:
    refresh's `locked` and `quorum`."""
    if members is None:
        members = meeting.attendances.values_list("member_id", flat=True)
    refresh(
        months=[(meeting.branch_id, meeting.held_on), *((meeting.branch_id, d) for d in months)],
        members=members,
        **options,
    )


def rebuild() -> tuple[int, int]:
    """Recompute the meeting summaries from the source rows; returns (branch-month
    tallies, members who ever took part). activities.summaries.rebuild runs it with the
    care summaries."""
    BranchMonthTally.objects.all().delete()
    _refresh_quorum(Meeting.objects.all())
    tallies = _tally_rows(Meeting.objects.all())
    BranchMonthTally.objects.bulk_create(tallies, batch_size=BATCH)
    Member.objects.update(last_participated_on=_last_participation())
    return len(tallies), Member.objects.filter(last_participated_on__isnull=False).count()
