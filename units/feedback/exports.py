"""The feedback report (双向联系反馈表) as PDF and Excel: one letter, or all the letters a
unit was sent for a half-year (one table per community), as a unit office files them.

PDF layouts: `table` (one table per community, landscape) or `person` (one page per
retiree). Excel: one sheet per community, numbers as numbers, rates in percent format,
no live formula (branches.exporting). A draft says so in its heading and, in the PDF,
across every page (草稿). Every file given out writes one audit entry.

Who reads which letters: the community's area (VIEW_UNIT_WORK over the letter's
community: drafts included) and the unit's liaison (the letters sent to the unit only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django import forms
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts import audit
from accounts.models import AuditAction
from activities.meetings.selectors import format_rate
from branches.access import VIEW_UNIT_WORK, scope_for
from branches.exporting import Percent, Sheet, pdf_response, xlsx_response

from .models import FeedbackLetter, FeedbackLine, Half, LetterState

LAYOUTS = ("table", "person")
FORMATS = ("pdf", "xlsx")


class LayoutForm(forms.Form):
    """`?layout=table` (default) or `?layout=person` (PDF only; Excel is always tables)."""

    layout = forms.ChoiceField(
        required=False,
        choices=[
            ("table", gettext_lazy("One table per community")),
            ("person", gettext_lazy("One page per person")),
        ],
        error_messages={
            "invalid_choice": gettext_lazy(
                "Choose the layout: one table per community or one page per person."
            )
        },
    )

    def chosen(self) -> str:
        return self.cleaned_data.get("layout") or "table"


def readable_letters(user):
    """Letters of the user's area (drafts too) and letters sent to the user's units."""
    scope = scope_for(user)
    parts = []
    if area := scope.q(VIEW_UNIT_WORK, path_field="community__path"):
        parts.append(area)
    if unit := scope.q(VIEW_UNIT_WORK, unit_field="unit_id"):
        parts.append(unit & ~Q(state=LetterState.DRAFT))
    if not parts:
        return FeedbackLetter.objects.none()
    return FeedbackLetter.objects.filter(reduce(or_, parts))


def with_lines(letters):
    return letters.select_related("unit", "community").prefetch_related(
        Prefetch("lines", queryset=FeedbackLine.objects.order_by("branch_name", "name", "pk"))
    )


def half_label(year: int, half: int) -> str:
    return _("%(year)s, %(half)s") % {"year": year, "half": Half(half).label}


@dataclass
class LetterView:
    """One letter as printed: its facts and lines."""

    letter: FeedbackLetter
    lines: list[FeedbackLine]

    @classmethod
    def of(cls, letter: FeedbackLetter) -> LetterView:
        lines = list(letter.lines.all())
        for line in lines:
            line.rate_label = format_rate(line.rate)
        return cls(letter, lines)

    @property
    def half_text(self) -> str:
        return half_label(self.letter.year, self.letter.half)

    @property
    def is_draft(self) -> bool:
        return self.letter.state == LetterState.DRAFT

    @property
    def facts(self) -> list[tuple[str, str]]:
        letter = self.letter
        facts = [
            (_("Original unit"), letter.unit.name),
            (_("Community"), letter.community.name),
            (_("Half-year"), self.half_text),
            (_("State"), letter.get_state_display()),
            (_("Retirees"), str(len(self.lines))),
        ]
        if letter.sent_at:
            day = timezone.localtime(letter.sent_at).date()
            facts.append((_("Sent on"), f"{day:%Y-%m-%d}"))
        return facts


def header() -> list[str]:
    return [
        pgettext("sheet column", "No."),
        pgettext("person", "Name"),
        _("Home branch"),
        _("Registered on"),
        _("Meetings expected"),
        _("Present"),
        _("Online or by phone"),
        _("Excused"),
        _("Absent"),
        _("Made up"),
        _("Attendance rate"),
        _("Care visits"),
        _("Care outcome"),
        _("Service roles"),
        _("Honours"),
        _("Remark"),
    ]


def _row(index: int, line: FeedbackLine) -> list:
    return [
        index,
        line.name,
        line.branch_name,
        f"{line.registered_on:%Y-%m-%d}" if line.registered_on else "",
        line.expected,
        line.present,
        line.remote,
        line.excused,
        line.absent,
        line.made_up,
        Percent(line.rate),
        line.care_visits,
        line.care_outcome,
        line.service_roles,
        line.honours,
        line.remark,
    ]


def _sheet(view: LetterView) -> Sheet:
    letter = view.letter
    title = _("Feedback report")
    first = f"{letter.unit.name} {title}"
    if view.is_draft:
        first = f"{first}（{_('Draft')}）"
    heading = [first, *(f"{k}：{v}" for k, v in view.facts)]
    if letter.remarks:
        heading.append(f"{_('Remarks of the community')}：{letter.remarks}")
    rows = [_row(i, line) for i, line in enumerate(view.lines, start=1)]
    widths = [6, 10, 24, 12] + [8] * 7 + [8, 24, 24, 16, 20]
    return Sheet(letter.community.name, header(), rows, heading=heading, widths=widths)


def _respond(request, fmt, layout, views: list[LetterView], *, title, filename, audit_args):
    audit.record(AuditAction.EXPORT, request=request, **audit_args)
    if fmt == "xlsx":
        return xlsx_response([_sheet(v) for v in views], f"{filename}.xlsx")
    context = {
        "title": title,
        "views": views,
        "layout": layout,
        "draft": any(v.is_draft for v in views),
        "printed_on": timezone.localdate(),
    }
    return pdf_response(
        "units/feedback/export_sheet.html",
        context,
        f"{filename}.pdf",
        request=request,
        wide=layout == "table",
    )


def letter_export(request, letter: FeedbackLetter, fmt: str, layout: str):
    """One letter (the community's copy, a draft included, or the unit's)."""
    view = LetterView.of(letter)
    title = _("Feedback report")
    parts = [letter.unit.name, letter.community.name, f"{letter.year}-{letter.half}", title]
    if view.is_draft:
        parts.append(_("Draft"))
    return _respond(
        request,
        fmt,
        layout,
        [view],
        title=title,
        filename="-".join(parts),
        audit_args={
            "object_type": "units.feedbackletter",
            "object_id": str(letter.pk),
            "object_repr": str(letter)[:200],
            "after": {
                "format": fmt,
                "layout": layout if fmt == "pdf" else "",
                "state": letter.state,
                "rows": len(view.lines),
            },
        },
    )


def half_export(request, unit, year: int, half: int, letters, fmt: str, layout: str):
    """All the letters the unit was sent for a half-year: one table per community."""
    views = [LetterView.of(letter) for letter in letters]
    title = _("Feedback reports of the half-year")
    return _respond(
        request,
        fmt,
        layout,
        views,
        title=title,
        filename="-".join([unit.name, f"{year}-{half}", title]),
        audit_args={
            "object_type": "units.feedbackhalf",
            "object_id": str(unit.pk),
            "object_repr": f"{unit.name} {half_label(year, half)}"[:200],
            "after": {
                "format": fmt,
                "layout": layout if fmt == "pdf" else "",
                "year": year,
                "half": half,
                "letters": [v.letter.pk for v in views],
                "rows": sum(len(v.lines) for v in views),
            },
        },
    )
