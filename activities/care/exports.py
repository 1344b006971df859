"""关怀走访登记簿 (care visit register): a branch's visits in one year as a print page, a
PDF and an Excel file, all three from the same rows (`register_rows`).

Health and care notes (what happened, problems raised, follow-up matters) are masked
unless the user asks for the full register (`full=1`) and may read that member's
sensitive data; every export is audited, with whether it was unmasked. No Excel cell
can become a live formula (branches.exporting writes every text cell as a string).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.access import VIEW_SENSITIVE
from branches.exporting import Sheet, pdf_response, xlsx_response
from members.masking import HIDDEN

from . import selectors
from .selectors import CareGate

TEMPLATE = "activities/care/sheets/register.html"


@dataclass
class RegisterRow:
    number: int
    day: str
    member: str
    kind: str
    visitors: str
    summary: str
    matters: str
    follow_ups: str
    make_up: str


def _follow_up_text(item, show: bool) -> str:
    matter = item.matter if show else HIDDEN
    state = item.get_state_display()
    if item.solved_on:
        state += f" {item.solved_on:%Y-%m-%d}"
    return f"{matter}（{item.owner_name}，{_('due')} {item.due_on:%Y-%m-%d}，{state}）"


def register_rows(visits, gate: CareGate, *, reveal: bool) -> list[RegisterRow]:
    rows = []
    for number, visit in enumerate(visits, start=1):
        show = reveal and gate.sensitive(visit.member)
        kind = visit.get_kind_display()
        if visit.occasion:
            kind += f"（{visit.occasion}）"
        make_up = ""
        if visit.meeting_id:
            make_up = f"{visit.meeting.day:%Y-%m-%d} {visit.meeting.get_kind_display()}"
        rows.append(
            RegisterRow(
                number=number,
                day=f"{visit.visited_on:%Y-%m-%d}",
                member=visit.member.name,
                kind=kind,
                visitors=visit.visitors,
                summary=(visit.summary if show else HIDDEN) if visit.summary else "",
                matters=(visit.matters_raised if show else HIDDEN) if visit.matters_raised else "",
                follow_ups="；".join(_follow_up_text(f, show) for f in visit.follow_ups.all()),
                make_up=make_up,
            )
        )
    return rows


HEADER = [
    ("number", "No."),
    ("day", "Date"),
    ("member", "Member"),
    ("kind", "Kind of visit"),
    ("visitors", "Visitors"),
    ("summary", "What happened"),
    ("matters", "Problems raised"),
    ("follow_ups", "Follow-up"),
    ("make_up", "Meeting made up"),
]


def _header() -> list[str]:
    labels = {
        "No.": _("No."),
        "Date": _("Date"),
        "Member": _("Member"),
        "Kind of visit": _("Kind of visit"),
        "Visitors": _("Visitors"),
        "What happened": _("What happened"),
        "Problems raised": _("Problems raised"),
        "Follow-up": _("Follow-up"),
        "Meeting made up": _("Meeting made up"),
    }
    return [labels[label] for _key, label in HEADER]


def register(request, branch, year: int, fmt: str, *, reveal: bool, page: dict):
    gate = CareGate(request.user)
    reveal = reveal and gate.scope.covers_branch(branch, VIEW_SENSITIVE)
    visits = selectors.register_visits(branch, year)
    rows = register_rows(visits, gate, reveal=reveal)
    title = _("Care visit register")
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type="activities.careregister",
        object_id=str(branch.pk),
        object_repr=f"{branch.name} {year} {title}"[:200],
        after={"format": fmt, "year": year, "rows": len(rows), "unmasked": reveal},
    )
    context = {
        "title": title,
        "branch": branch,
        "year": year,
        "rows": rows,
        "header": _header(),
        "masked": not reveal,
        "printed_on": timezone.localdate(),
    }
    filename = f"{branch.name}-{year}-{title}".replace("/", "-")
    if fmt == "pdf":
        return pdf_response(TEMPLATE, context, f"{filename}.pdf", request=request, wide=True)
    if fmt == "xlsx":
        heading = [f"{branch.name} {year} {title}"]
        if not reveal:
            heading.append(_("Care notes are masked."))
        sheet = Sheet(
            title,
            _header(),
            ([getattr(row, key) for key, _label in HEADER] for row in rows),
            heading=heading,
            widths=[6, 12, 10, 16, 18, 30, 26, 36, 24],
        )
        return xlsx_response([sheet], f"{filename}.xlsx")
    can_reveal = gate.scope.covers_branch(branch, VIEW_SENSITIVE)
    return render(
        request,
        "activities/care/print_page.html",
        {**context, **page, "sheet_template": TEMPLATE, "for_pdf": False, "can_reveal": can_reveal},
    )
