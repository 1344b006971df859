"""The overview's table as Excel: the same lines the page shows, audited once per
download (who, which unit, which area and period). Counts only, no names."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction
from branches.exporting import Percent, Sheet, xlsx_response

from .selectors import AreaTable, Period


def area_label(line) -> str:
    return line.node.name if line.node is not None else _("Outside the organisation tree")


def header() -> list[str]:
    return [
        _("Area"),
        _("Retirees"),
        _("Registered"),
        _("Reported, waiting"),
        _("Not registered"),
        _("Registered share"),
        _("Attendances expected"),
        _("Attendance rate"),
        _("Care needs"),
        _("Visited on time"),
    ]


def _row(label, figures) -> list:
    return [
        label,
        figures.total,
        figures.registered,
        figures.reported,
        figures.unregistered,
        Percent(figures.registered_share),
        figures.tally.expected,
        Percent(figures.tally.rate),
        figures.care_needs,
        Percent(figures.care_share),
    ]


def area_xlsx(request, unit, table: AreaTable, period: Period):
    where = table.node.name if table.node else _("All districts")
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type="units.unitoverview",
        object_id=str(unit.pk),
        object_repr=f"{unit.name} {where}"[:200],
        after={
            "format": "xlsx",
            "area": table.node.pk if table.node else None,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
    )
    title = _("Where the unit's retirees live")
    rows = [_row(area_label(line), line.figures) for line in table.lines]
    rows.append(_row(_("Total"), table.total))
    heading = [
        f"{unit.name} {title}",
        f"{_('Area')}：{where}",
        f"{_('Period')}：{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}",
    ]
    sheet = Sheet(title, header(), rows, heading=heading, widths=[18] + [12] * 9)
    return xlsx_response(
        [sheet], f"{unit.name}-{where}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    )
