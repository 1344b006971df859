"""The dashboard's tables as Excel sheets (one per table) and the whole dashboard as PDF.

Built from the same `Dashboard` the page shows, through branches.exporting (formula-safe
cells, CJK font, page numbers). Every export writes one audit entry (who, which node or
branch, which table, the period and the format), like every other export of the portal.
"""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from accounts.models import AuditAction
from branches.exporting import Percent, Sheet, attachment, render_pdf, xlsx_response

from .selectors.dashboard import Dashboard, excusals_of, ranked_behind

NODE_TABLES = {
    "comparison": gettext_lazy("Comparison of sub-units"),
    "kinds": gettext_lazy("Branches by kind"),
    "behind": gettext_lazy("Branches behind on the cadence"),
    "heatmap": gettext_lazy("Cadence heat map"),
    "attendance": gettext_lazy("Attendance rate by month"),
    "warnings": gettext_lazy("Structure warnings"),
}
BRANCH_TABLES = {key: NODE_TABLES[key] for key in ("heatmap", "attendance", "warnings")}
PDF_HEAT_LIMIT = 40  # more branches than this: the PDF's heat map keeps those behind
PDF_CSS = "reports/reports.css"


def _comparison(d: Dashboard):
    header = [
        d.unit_label or _("Unit"),
        _("Active members living here"),
        _("Registered"),
        _("Registration coverage"),
        _("Branches"),
        _("Pilot branches"),
        _("Periods met"),
        _("Periods behind"),
        _("Compliance rate"),
        _("Branches behind"),
        _("Attendance rate"),
        _("Members placed"),
        _("No participation (3 months)"),
        _("Branches with warnings"),
        _("Members in care"),
        _("Care visits on time"),
        _("Overdue for a visit"),
    ]
    rows = []
    for unit in [*d.units, None]:
        name = _("Total") if unit is None else (unit.name or _("Directly under this node"))
        f = d.total if unit is None else unit.figures
        rows.append(
            [
                name,
                f.residents,
                f.registered,
                Percent(f.coverage),
                f.branches,
                f.pilots,
                f.cells_met,
                f.cells_behind,
                Percent(f.compliance),
                f.branches_behind,
                Percent(f.attendance),
                f.home_members,
                f.inactive,
                f.warned_branches,
                f.care_needs,
                Percent(f.care_coverage),
                f.care_overdue,
            ]
        )
    return header, rows


def _kinds(d: Dashboard):
    rows = [[label, n] for _value, label, n in d.kind_rows]
    rows.append([_("Pilot branches"), d.total.pilots])
    rows.append([_("Dissolved branches"), d.total.dissolved])
    return [_("Kind"), _("Branches")], rows


def _behind(d: Dashboard):
    rows = [
        [line.branch.name, line.unit, "、".join(line.behind_kinds), line.statuses.get("behind", 0)]
        for line in ranked_behind(d.behind)
    ]
    return [_("Branch"), d.unit_label or _("Unit"), _("Behind on"), _("Periods behind")], rows


def heat_text(cell) -> str:
    if cell.cell is None:
        return "—"
    c = cell.cell
    if c.excusal is not None and c.required:
        return f"{c.symbol} {c.held}/{c.required}（{c.excusal.reason}）"
    return f"{c.symbol} {c.counted}/{c.required}" if c.required else c.symbol


def _heatmap(d: Dashboard):
    header = [_("Branch"), _("Meeting")] + [m.short_label for m in d.months]
    rows = []
    for line in d.heat_lines:
        for kind in line.kinds:
            row = [line.branch.name, kind.label]
            for cell in kind.cells:
                row.append(heat_text(cell))
                row.extend([""] * (cell.colspan - 1))
            rows.append(row)
    return header, rows


def _attendance(d: Dashboard):
    header = [
        _("Month"),
        _("Expected"),
        _("Present"),
        _("Online or by phone"),
        _("Excused"),
        _("Absent"),
        _("Made up"),
        _("Attendance rate"),
    ]
    rows = [
        [
            p.month.label,
            p.tally.expected,
            p.tally.present,
            p.tally.remote,
            p.tally.excused,
            p.tally.absent,
            p.tally.made_up,
            Percent(p.rate),
        ]
        for p in d.trend
    ]
    return header, rows


def _warnings(d: Dashboard):
    rows = [
        [
            line.branch.name,
            line.unit,
            line.members,
            line.full_members,
            "；".join(line.warning_labels),
        ]
        for line in d.warned
    ]
    header = [
        _("Branch"),
        d.unit_label or _("Unit"),
        _("Members"),
        _("Full members"),
        _("Warnings"),
    ]
    return header, rows


BUILDERS = {
    "comparison": _comparison,
    "kinds": _kinds,
    "behind": _behind,
    "heatmap": _heatmap,
    "attendance": _attendance,
    "warnings": _warnings,
}


def _audit(request, subject, fmt: str, what: str, span) -> None:
    """`subject`: the Organization node or the Branch the dashboard is of."""
    meta = subject._meta
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type=f"reports.{meta.model_name}dashboard",
        object_id=str(subject.pk),
        object_repr=f"{subject.name} {what} {span.label}"[:200],
        after={"format": fmt, meta.model_name: subject.pk, "period": span.label},
    )


def table_response(request, subject, d: Dashboard, table: str):
    header, rows = BUILDERS[table](d)
    name = str(NODE_TABLES[table])
    title = subject.name
    _audit(request, subject, "xlsx", name, d.span)
    sheet = Sheet(
        title=name,
        header=header,
        rows=rows,
        heading=[
            f"{title} · {name}",
            d.span.label,
            f"{_('Printed on')} {timezone.localdate():%Y-%m-%d}",
        ],
        widths=[28] + [14] * (len(header) - 1),
    )
    return xlsx_response([sheet], f"{title}-{name}-{d.span.label}.xlsx")


def _css() -> str:
    path = finders.find(PDF_CSS)
    if not path:
        return ""
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def dashboard_pdf(request, subject, context: dict, *, span, fill=None):
    """The whole dashboard on A4 landscape: every table and chart; a heat map of more
    than PDF_HEAT_LIMIT branches keeps the branches behind (the Excel export has all).
    `fill(dashboard, lines)` computes the printed lines' cells (a cached dashboard's)."""
    title = subject.name
    _audit(request, subject, "pdf", _("Statistics"), span)
    dashboard = context["dashboard"]
    heat = dashboard.heat_lines
    heat_trimmed = len(heat) > PDF_HEAT_LIMIT
    shown = list(dashboard.behind if heat_trimmed else heat)
    if fill is not None:
        fill(dashboard, shown)
    html = render_to_string(
        "reports/pdf.html",
        {
            **context,
            "title": title,
            "heat_lines": shown,
            "excusals": excusals_of(shown),
            "heat_trimmed": heat_trimmed,
            "behind_rows": ranked_behind(dashboard.behind),  # paper has no link to the rest
            "css": _css(),
            "for_pdf": True,
            "printed_on": timezone.localdate(),
        },
        request=request,
    )
    content = render_pdf(html)
    return attachment(content, "application/pdf", f"{title}-{span.label}.pdf")
