"""The printable sheets, each as an HTML page, a PDF and an Excel file built from the
same selector rows (the HTML page and the PDF even share the same template include).

They name members and print reasons such as 住院: every sheet given out, in any of the
three formats, writes one audit entry (who, which sheet of which branch, the format)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts import audit
from accounts.models import AuditAction
from branches.access import RECORD_MEETING, scope_for
from branches.exporting import Percent, Sheet, pdf_response, xlsx_response

from . import checkin, materials, selectors
from .ledgers import AttendanceReport, Ledger
from .models import Meeting


def _audit(request, fmt, *, sheet: str, branch, object_id, label: str, **details) -> None:
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type=f"activities.{sheet}",
        object_id=str(object_id),
        object_repr=f"{branch.name} {label}"[:200],
        after={"format": fmt, "branch": branch.pk, **details},
    )


def _respond(request, fmt, *, audit, template, context, filename, sheets, wide=False, page=None):
    """The sheet as PDF, Excel or print page, each audited once (`audit`: `_audit`'s
    keywords). `page`: extra context for the HTML page only (the period chooser)."""
    _audit(request, fmt, **audit)
    context = {**context, "printed_on": timezone.localdate()}
    if fmt == "pdf":
        return pdf_response(template, context, f"{filename}.pdf", request=request, wide=wide)
    if fmt == "xlsx":
        return xlsx_response(sheets(), f"{filename}.xlsx")
    return render(
        request,
        "activities/print_page.html",
        {**context, **(page or {}), "sheet_template": template, "for_pdf": False},
    )


def _meeting_facts(meeting: Meeting) -> list[tuple[str, str]]:
    facts = [
        (_("Branch"), meeting.branch.name),
        (_("Meeting"), meeting.get_kind_display()),
    ]
    if meeting.party_group_id:
        facts.append((_("Party group"), meeting.party_group.name))
    facts.append((_("Topic"), meeting.topic))
    when = f"{meeting.day:%Y-%m-%d}"
    if meeting.start_time:
        when += f" {meeting.start_time:%H:%M}"
        if meeting.end_time:
            when += f"–{meeting.end_time:%H:%M}"
    facts.append((_("Date"), when))
    if meeting.place:
        facts.append((_("Place"), meeting.place))
    facts.append((_("Mode"), meeting.get_mode_display()))
    if meeting.host:
        facts.append((_("Host"), meeting.host))
    if meeting.lecturer:
        facts.append((_("Lecturer"), meeting.lecturer))
    if meeting.recorder:
        facts.append((_("Recorder"), meeting.recorder))
    return facts


def titles(notices) -> str:
    """Study materials as printed: 《甲》、《乙》."""
    return "、".join(f"《{notice.title}》" for notice in notices)


def _with_materials(facts: list, meeting: Meeting) -> None:
    """The meeting's study materials as a line of its header, when it has any."""
    used = [m.notice for m in materials.meeting_materials(meeting)]
    if used:
        facts.append((_("Study materials"), titles(used)))


def make_up_material(make_up) -> str:
    """The study material taken to the member (送学上门), as printed."""
    return f"《{make_up.study_material.title}》" if make_up.study_material_id else ""


def _filename(*parts) -> str:
    return "-".join(str(p).replace("/", "-") for p in parts if p)


SIGN_IN_TEMPLATE = "activities/sheets/sign_in.html"
ATTENDANCE_REPORT_TEMPLATE = "activities/sheets/attendance_report.html"
LEDGER_TEMPLATE = "activities/sheets/ledger.html"


def sign_in_context(meeting: Meeting) -> dict:
    """The sign-in sheet's template context (the page, its PDF, and batch prints)."""
    roster = selectors.meeting_roster(meeting)
    facts = _meeting_facts(meeting)
    _with_materials(facts, meeting)
    facts.append((_("Expected"), str(len(roster))))
    return {"title": _("Sign-in sheet"), "meeting": meeting, "roster": roster, "facts": facts}


def sign_in_sheet(request, meeting: Meeting, fmt: str):
    """签到表: the meeting's header, the names and a blank column to sign."""
    context = sign_in_context(meeting)
    roster, title, facts = context["roster"], context["title"], context["facts"]

    def sheets():
        header = [
            pgettext("sheet column", "No."),
            pgettext("person", "Name"),
            _("Party group"),
            _("Signature"),
            _("Note"),
        ]
        rows = [[i, row.name, row.group, "", ""] for i, row in enumerate(roster, start=1)]
        heading = [f"{meeting.branch.name} {title}", *(f"{k}：{v}" for k, v in facts)]
        return [Sheet(title, header, rows, heading=heading, widths=[6, 14, 14, 24, 20])]

    return _respond(
        request,
        fmt,
        audit=dict(
            sheet="signinsheet",
            branch=meeting.branch,
            object_id=meeting.pk,
            label=f"{title} {meeting.day:%Y-%m-%d}",
            rows=len(roster),
        ),
        template=SIGN_IN_TEMPLATE,
        context={**context, "checkin_qr": _checkin_qr(request, meeting)},
        filename=_filename(meeting.branch.name, title, f"{meeting.day:%Y%m%d}"),
        sheets=sheets,
    )


def _checkin_qr(request, meeting: Meeting) -> str:
    """The self check-in code for the sheet (扫码签到), printed for those who may record
    the meeting while the code works (or will on the day); else nothing."""
    window = checkin.window(meeting)
    if window.state not in (checkin.State.OPEN, checkin.State.NOT_YET):
        return ""
    if not scope_for(request.user).covers_branch(meeting.branch, RECORD_MEETING):
        return ""
    url = checkin.checkin_url(request, meeting)
    return checkin.qr_svg(url, size=130, label_id="sheet-qr-title")


def attendance_record(request, meeting: Meeting, fmt: str):
    """出席记录 after the meeting: each member's status, reason and make-up."""
    roster = selectors.meeting_roster(meeting)
    tally = selectors.tally_roster(roster)
    quorum = selectors.roster_quorum(meeting, roster)
    title = _("Attendance record")
    facts = _meeting_facts(meeting)
    _with_materials(facts, meeting)
    summary = [
        (_("Expected"), tally.expected),
        (_("Present"), tally.present),
        (_("Online or by phone"), tally.remote),
        (_("Excused"), tally.excused),
        (_("Absent"), tally.absent),
        (_("Made up"), tally.made_up),
        (_("Attendance rate"), tally.rate_label),
    ]

    def make_up_text(row):
        if row.make_up is None:
            return ""
        m = row.make_up
        text = f"{m.get_kind_display()} {m.made_up_on:%Y-%m-%d} {m.delivered_by}"
        return f"{text} {make_up_material(m)}".strip()

    def sheets():
        header = [
            pgettext("sheet column", "No."),
            pgettext("person", "Name"),
            _("Party group"),
            _("Attendance"),
            _("Reason"),
            _("Make-up"),
        ]
        rows = [
            [i, r.name, r.group, r.get_status_display(), r.reason, make_up_text(r)]
            for i, r in enumerate(roster, start=1)
        ]
        heading = [
            f"{meeting.branch.name} {title}",
            *(f"{k}：{v}" for k, v in facts),
            "；".join(f"{k} {v}" for k, v in summary),
        ]
        if quorum.applies:
            heading.append(quorum.label)
        return [Sheet(title, header, rows, heading=heading, widths=[6, 14, 14, 14, 24, 30])]

    return _respond(
        request,
        fmt,
        audit=dict(
            sheet="attendancerecord",
            branch=meeting.branch,
            object_id=meeting.pk,
            label=f"{title} {meeting.day:%Y-%m-%d}",
            rows=len(roster),
        ),
        template="activities/sheets/attendance_record.html",
        context={
            "title": title,
            "meeting": meeting,
            "roster": roster,
            "facts": facts,
            "summary": summary,
            "quorum": quorum,
        },
        filename=_filename(meeting.branch.name, title, f"{meeting.day:%Y%m%d}"),
        sheets=sheets,
    )


def _miss_make_up(attendance) -> str:
    m = getattr(attendance, "make_up", None)
    if m is None:
        return _("Not yet")
    return f"{m.get_kind_display()} {m.made_up_on:%Y-%m-%d} {make_up_material(m)}".strip()


def attendance_report_context(report: AttendanceReport) -> dict:
    """The attendance report's template context (the page, its PDF, and batch prints)."""
    facts = [
        (_("Branch"), report.branch.name),
        (_("Period"), report.span.label),
        (_("Meetings held"), str(report.meetings)),
        (_("Attendance rate"), report.total.rate_label),
    ]
    return {"title": _("Attendance report"), "report": report, "facts": facts}


def attendance_report(request, report: AttendanceReport, fmt: str, *, page=None):
    """The branch's attendance for a quarter or a year, per member, and who missed what."""
    context = attendance_report_context(report)
    title, facts = context["title"], context["facts"]

    def sheets():
        header = [
            pgettext("person", "Name"),
            _("Party group"),
            _("Expected"),
            _("Attended"),
            _("Excused"),
            _("Absent"),
            _("Made up"),
            _("Attendance rate"),
        ]
        rows = [
            [
                line.name,
                line.group,
                line.tally.expected,
                line.tally.attended,
                line.tally.excused,
                line.tally.absent,
                line.tally.made_up,
                Percent(line.tally.rate),
            ]
            for line in report.lines
        ]
        t = report.total
        rows.append(
            [
                _("Total"),
                "",
                t.expected,
                t.attended,
                t.excused,
                t.absent,
                t.made_up,
                Percent(t.rate),
            ]
        )
        heading = [f"{report.branch.name} {report.span.label} {title}"]
        heading += [f"{k}：{v}" for k, v in facts[1:]]
        misses_header = [
            _("Date"),
            _("Meeting"),
            _("Topic"),
            pgettext("person", "Name"),
            _("Attendance"),
            _("Reason"),
            _("Make-up"),
        ]
        misses = [
            [
                f"{a.meeting.held_on:%Y-%m-%d}",
                a.meeting.get_kind_display(),
                a.meeting.topic,
                a.member.name,
                a.get_status_display(),
                a.reason,
                _miss_make_up(a),
            ]
            for a in report.misses
        ]
        return [
            Sheet(title, header, rows, heading=heading, widths=[14, 14, 8, 8, 8, 8, 8, 10]),
            Sheet(
                _("Did not attend"),
                misses_header,
                misses,
                heading=[_("Did not attend")],
                widths=[12, 16, 30, 12, 10, 20, 20],
            ),
        ]

    return _respond(
        request,
        fmt,
        audit=dict(
            sheet="attendancereport",
            branch=report.branch,
            object_id=report.branch.pk,
            label=f"{report.span.label} {title}",
            period=report.span.label,
            rows=len(report.lines),
        ),
        template=ATTENDANCE_REPORT_TEMPLATE,
        context=context,
        filename=_filename(report.branch.name, report.span.label, title),
        sheets=sheets,
        page=page,
    )


def ledger_context(book: Ledger) -> dict:
    """The ledger's template context (the page, its PDF, and batch prints)."""
    facts = [
        (_("Branch"), book.branch.name),
        (_("Year"), str(book.year)),
        (_("Meetings held"), str(sum(1 for e in book.meetings if e.meeting.is_held))),
        (_("Attendance rate"), book.total.rate_label),
    ]
    return {"title": _("Yearly ledger of organisational life"), "book": book, "facts": facts}


def ledger(request, book: Ledger, fmt: str, *, page=None):
    """台账: every meeting of the year with its minutes and attendance, one document."""
    context = ledger_context(book)
    title, facts = context["title"], context["facts"]

    def sheets():
        header = [
            _("Date"),
            _("Meeting"),
            _("Party group"),
            _("Topic"),
            _("Status"),
            _("Place"),
            _("Host"),
            _("Expected"),
            _("Attended"),
            _("Excused"),
            _("Absent"),
            _("Made up"),
            _("Attendance rate"),
            _("Minutes"),
            _("Decisions"),
            _("Study materials"),
        ]
        rows = []
        detail = []
        for entry in book.meetings:
            m, t = entry.meeting, entry.tally
            rows.append(
                [
                    f"{m.day:%Y-%m-%d}",
                    m.get_kind_display(),
                    m.party_group.name if m.party_group_id else "",
                    m.topic,
                    m.get_status_display(),
                    m.place,
                    m.host,
                    t.expected,
                    t.attended,
                    t.excused,
                    t.absent,
                    t.made_up,
                    Percent(t.rate),
                    m.minutes or m.cancel_reason,
                    m.decisions,
                    titles(entry.materials),
                ]
            )
            for a in entry.attendances:
                detail.append(
                    [
                        f"{m.day:%Y-%m-%d}",
                        m.get_kind_display(),
                        m.topic,
                        a.member.name,
                        a.member.party_group.name if a.member.party_group_id else "",
                        a.get_status_display(),
                        a.reason,
                        _miss_make_up(a) if a.status in ("excused", "absent") else "",
                    ]
                )
        heading = [f"{book.branch.name} {book.year} {title}"]
        heading += [f"{k}：{v}" for k, v in facts[1:]]
        return [
            Sheet(
                _("Meetings"),
                header,
                rows,
                heading=heading,
                widths=[12, 16, 12, 30, 8, 20, 10, 8, 8, 8, 8, 8, 10, 50, 30, 30],
            ),
            Sheet(
                _("Attendance"),
                [
                    _("Date"),
                    _("Meeting"),
                    _("Topic"),
                    pgettext("person", "Name"),
                    _("Party group"),
                    _("Attendance"),
                    _("Reason"),
                    _("Make-up"),
                ],
                detail,
                heading=[_("Attendance")],
                widths=[12, 16, 30, 12, 12, 10, 20, 20],
            ),
            *(sheet for section in book.sections for sheet in section.sheets),
        ]

    return _respond(
        request,
        fmt,
        audit=dict(
            sheet="ledger",
            branch=book.branch,
            object_id=book.branch.pk,
            label=f"{book.year} {title}",
            year=book.year,
            meetings=len(book.meetings),
        ),
        template=LEDGER_TEMPLATE,
        context=context,
        filename=_filename(book.branch.name, book.year, title),
        sheets=sheets,
        page=page,
    )
