"""The annual return as Excel (a fixed layout: one row per figure, in the order of
definitions.SECTIONS) and as PDF with signature lines. Each export writes one audit entry."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from activities.meetings.selectors import format_rate
from branches.exporting import Percent, Sheet, attachment, render_pdf, xlsx_response

from . import definitions as d


def rows(figures: dict, *, text: bool = False):
    """(number, label, value, definition) per figure; a section's title on its own row.
    `text`: rates as "86.9%" (the page and the PDF) rather than Excel percentages."""
    number = 0
    for section in d.SECTIONS:
        yield ("", str(section.title), "", "")
        for item in section.figures:
            number += 1
            if isinstance(item, d.Rate):
                share = d.rate(figures, item)
                value = format_rate(share) if text else Percent(share)
            else:
                value = int(figures.get(item.key, 0) or 0)
            yield (number, str(item.label), value, str(item.definition))


def _title(node, year: int) -> str:
    return _("%(node)s annual return %(year)s") % {"node": node.name, "year": year}


def _audit(request, annual_return, node, year, fmt: str, version) -> None:
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type="reports.annualreturn",
        object_id=str(annual_return.pk) if annual_return else "",
        object_repr=_title(node, year)[:200],
        after={
            "format": fmt,
            "organization": node.pk,
            "year": year,
            "submissions": version.number if version else None,
        },
    )


def _status_line(annual_return, version) -> str:
    if version is None:
        return _("Not yet submitted: figures computed on %(day)s") % {
            "day": f"{timezone.localdate():%Y-%m-%d}"
        }
    return _("Version %(number)s, submitted %(day)s · %(state)s") % {
        "number": version.number,
        "day": f"{timezone.localtime(version.submitted_at):%Y-%m-%d}",
        "state": annual_return.get_state_display(),
    }


def xlsx(request, *, node, year, annual_return, version, figures):
    _audit(request, annual_return, node, year, "xlsx", version)
    title = _title(node, year)
    sheet = Sheet(
        title=str(year),
        header=[_("No."), _("Item"), _("Figure"), _("Definition")],
        rows=list(rows(figures)),
        heading=[
            title,
            _status_line(annual_return, version),
            f"{_('Printed on')} {timezone.localdate():%Y-%m-%d}",
        ],
        widths=[8, 30, 12, 90],
    )
    return xlsx_response([sheet], f"{title}.xlsx")


def pdf(request, *, node, year, annual_return, version, figures):
    _audit(request, annual_return, node, year, "pdf", version)
    title = _title(node, year)
    html = render_to_string(
        "reports/annual/pdf.html",
        {
            "title": title,
            "status": _status_line(annual_return, version),
            "rows": list(rows(figures, text=True)),
            "printed_on": timezone.localdate(),
        },
        request=request,
    )
    return attachment(render_pdf(html), "application/pdf", f"{title}.pdf")
