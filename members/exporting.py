"""The 花名册 out of the portal: Excel, PDF and the printable page, from the same rows.

`roster_rows(queryset, gate, reveal=...)` turns the roster selector's queryset into rows
of display values with the masks applied; the three outputs only lay those rows out.
Masked by default; `reveal` unmasks only members whose sensitive data the user may see.
No cell of the Excel file can become a live formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.exports import safe_cell, text_cell
from branches.exporting import page_number_css

from .masking import HIDDEN, mask_address, mask_id, mask_phone
from .models import RegistrationStatus

# (key, header) of the full roster and of the unit liaison's view (status only).
COLUMNS = [
    ("name", pgettext_lazy("person", "Name")),
    ("gender", gettext_lazy("Gender")),
    ("birth", gettext_lazy("Born")),
    ("age", gettext_lazy("Age")),
    ("ethnicity", gettext_lazy("Ethnicity")),
    ("id_number", gettext_lazy("ID number")),
    ("phone", gettext_lazy("Phone")),
    ("address", pgettext_lazy("home", "Address")),
    ("community", gettext_lazy("Community")),
    ("branch", gettext_lazy("Home branch")),
    ("party_group", gettext_lazy("Party group")),
    ("original_unit", gettext_lazy("Original unit")),
    ("former_post", gettext_lazy("Former post")),
    ("retirement_type", gettext_lazy("Lixiu/tuixiu")),
    ("joined_party_on", gettext_lazy("Joined the party")),
    ("health", gettext_lazy("Health")),
    ("registration", gettext_lazy("Registration")),
]
LIMITED_COLUMNS = ["name", "community", "branch", "registration"]
# Paper (the printable page and its PDF): what fits an A4 landscape page.
PRINT_COLUMNS = [
    "name",
    "gender",
    "birth",
    "id_number",
    "phone",
    "branch",
    "party_group",
    "original_unit",
    "retirement_type",
    "joined_party_on",
    "registration",
]


def registration_label(status) -> str:
    if not status:
        return _("Not registered")
    return str(RegistrationStatus(status).label)


@dataclass
class RosterRow:
    values: dict
    full_view: bool

    def get(self, key):
        return self.values.get(key, "")


def roster_rows(queryset, gate, *, reveal: bool = False, today=None) -> Iterator[RosterRow]:
    """Display rows for the roster queryset (members.selectors.roster), masked unless
    `reveal` and the user may see that member's sensitive data."""
    today = today or timezone.localdate()
    for member in queryset.iterator(chunk_size=2000):
        full = gate.full_view(member)
        values = {
            "name": member.name,
            "community": member.community.name,
            "branch": member.home_branch.name if member.home_branch else "",
            "registration": registration_label(member.registration_status),
        }
        if full:
            sensitive = gate.sensitive(member)
            unmasked = reveal and sensitive
            values.update(
                {
                    "gender": member.get_gender_display(),
                    "birth": member.birth_date.strftime("%Y-%m"),
                    "age": member.age_on(today),
                    "ethnicity": member.ethnicity,
                    "id_number": member.id_number if unmasked else mask_id(member.id_number),
                    "phone": member.phone if unmasked else mask_phone(member.phone),
                    "address": member.address if unmasked else mask_address(member.address),
                    "party_group": member.party_group.name if member.party_group else "",
                    "original_unit": member.original_unit.name if member.original_unit else "",
                    "former_post": member.former_post,
                    "retirement_type": member.get_retirement_type_display(),
                    "joined_party_on": (
                        member.joined_party_on.strftime("%Y-%m") if member.joined_party_on else ""
                    ),
                    "health": member.get_health_display() if sensitive else HIDDEN,
                }
            )
        yield RosterRow(values, full)


def columns_for(rows_full_view: bool, keys=None):
    keys = keys or [key for key, _label in COLUMNS]
    if not rows_full_view:
        keys = [key for key in keys if key in LIMITED_COLUMNS]
    labels = dict(COLUMNS)
    return [(key, str(labels[key])) for key in keys]


def export_xlsx(rows: Iterable[RosterRow], *, title: str, full_view: bool) -> bytes:
    """An .xlsx roster (write-only mode: memory stays flat for large rosters)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    columns = columns_for(full_view)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Roster"))
    title_cell = text_cell(sheet, title)
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    sheet.append([text_cell(sheet, _("Exported on %(date)s") % {"date": timezone.localdate()})])
    header = []
    for _key, label in columns:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        values = (row.get(key) for key, _label in columns)
        sheet.append([safe_cell(sheet, value) if value != "" else None for value in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render_roster_html(rows, *, title, full_view, request=None, for_pdf=False) -> str:
    columns = columns_for(full_view, PRINT_COLUMNS)
    table = [[row.get(key) for key, _label in columns] for row in rows]
    return render_to_string(
        "members/roster_print.html",
        {
            "rows": table,
            "count": len(table),
            "columns": columns,
            "title": title,
            "for_pdf": for_pdf,
            "printed_on": timezone.localdate(),
        },
        request=request,
    )


def export_pdf(rows, *, title, full_view, base_url=None) -> bytes:
    """The printable roster as PDF (WeasyPrint, Noto Sans CJK SC, header row repeated on
    every page, 第 x 页 / 共 y 页 at the foot)."""
    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML

    html = render_roster_html(rows, title=title, full_view=full_view, for_pdf=True)
    footer = CSS(string=page_number_css())
    stylesheet = CSS(filename=finders.find("members/roster_print.css"))
    return HTML(string=html, base_url=base_url).write_pdf(stylesheets=[stylesheet, footer])
