"""The kinds of batch print the portal knows (registered in `registry`): sign-in sheets
of the meetings planned in a date range, the attendance report of a quarter or year,
the yearly ledger, the roster. Each renders one branch as one PDF from the same
templates and context as the branch's own print page.
"""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.meetings import exports as sheets
from activities.meetings import ledgers
from activities.meetings.models import Meeting, MeetingStatus
from activities.meetings.periods import quarter_span, year_span
from branches.exporting import render_pdf
from branches.models import Branch
from members import exporting as roster_exporting
from members import selectors as member_selectors

from .registry import Kind, register


def area_branches(job):
    """The active branches in the job's area, in the tree's order."""
    return (
        Branch.objects.filter(organization__path__startswith=job.node.path)
        .active()
        .select_related("organization")
        .order_by("organization__path", "name", "pk")
    )


def _date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def document(parts: list[tuple[str, dict]], *, title: str) -> str:
    """One HTML document of several sheets (template, context), each on a new page."""
    printed_on = timezone.localdate()
    bodies = [
        render_to_string(template, {**context, "printed_on": printed_on, "for_pdf": True})
        for template, context in parts
    ]
    return render_to_string(
        "reports/prints/branch_document.html",
        {"title": title, "bodies": [mark_safe(body) for body in bodies]},  # noqa: S308
    )


# --- 签到表: the sign-in sheets of the meetings planned in a date range ------------------


def _planned(job):
    start, end = _date(job.params["date_from"]), _date(job.params["date_to"])
    return Meeting.objects.filter(
        status=MeetingStatus.PLANNED, planned_on__gte=start, planned_on__lte=end
    )


def sign_in_branches(job):
    with_meetings = _planned(job).values("branch_id")
    return area_branches(job).filter(pk__in=with_meetings)


def render_sign_in(job, branch) -> bytes | None:
    meetings = list(
        _planned(job)
        .filter(branch=branch)
        .select_related("branch", "party_group", "venue")
        .order_by("planned_on", "start_time", "pk")
    )
    if not meetings:
        return None
    parts = [(sheets.SIGN_IN_TEMPLATE, sheets.sign_in_context(m)) for m in meetings]
    return render_pdf(document(parts, title=branch.name))


def describe_range(params) -> str:
    return f"{params.get('date_from', '')} – {params.get('date_to', '')}"


# --- 出席情况报告: the attendance report of a quarter or a year ------------------------


def _span(params):
    year, quarter = int(params["year"]), int(params.get("quarter") or 0)
    return quarter_span(year, quarter) if quarter else year_span(year)


def render_attendance(job, branch) -> bytes:
    report = ledgers.attendance_report(branch, _span(job.params))
    context = sheets.attendance_report_context(report)
    return render_pdf(document([(sheets.ATTENDANCE_REPORT_TEMPLATE, context)], title=branch.name))


def describe_period(params) -> str:
    return _span(params).label if params.get("year") else ""


# --- 台账: the yearly ledger -----------------------------------------------------------


def render_ledger(job, branch) -> bytes:
    book = ledgers.ledger(branch, int(job.params["year"]))
    context = sheets.ledger_context(book)
    return render_pdf(document([(sheets.LEDGER_TEMPLATE, context)], title=branch.name))


def describe_year(params) -> str:
    return f"{params.get('year', '')}年" if params.get("year") else ""


# --- 花名册: the roster, masked ---------------------------------------------------------


def render_roster(job, branch) -> bytes:
    """The branch's members as the job's user sees them, always masked."""
    filters = member_selectors.RosterFilters(branch=branch.pk)
    queryset = member_selectors.roster(job.user, filters)
    gate = member_selectors.MemberGate(job.user)
    rows = list(roster_exporting.roster_rows(queryset, gate, reveal=False))
    title = _("Roster of party members: %(branch)s") % {"branch": branch.name}
    full_view = any(row.full_view for row in rows) or not rows
    return roster_exporting.export_pdf(rows, title=title, full_view=full_view)


register(
    Kind(
        "sign_in",
        gettext_lazy("Sign-in sheets of the meetings planned in a date range"),
        render_sign_in,
        sign_in_branches,
        period="range",
        describe=describe_range,
    )
)
register(
    Kind(
        "attendance_report",
        gettext_lazy("Attendance report of every branch"),
        render_attendance,
        area_branches,
        period="period",
        describe=describe_period,
    )
)
register(
    Kind(
        "ledger",
        gettext_lazy("Yearly ledger of every branch"),
        render_ledger,
        area_branches,
        period="year",
        describe=describe_year,
    )
)
register(Kind("roster", gettext_lazy("Roster of every branch"), render_roster, area_branches))
