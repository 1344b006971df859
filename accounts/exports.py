"""Spreadsheet safety shared by every export, and the audit log as an Excel workbook."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES

from . import audit_display
from .audit import masked_changes


def text_cell(sheet, text: str):
    """A string cell: the spreadsheet shows the text as typed ("=HYPERLINK(…)",
    "+86 138", "#N/A") and never evaluates it, with no apostrophe added."""
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl makes a formula of "=…" and an error of "#N/A"
    return cell


def safe_cell(sheet, value):
    """`value` for `sheet.append`: text that openpyxl would not store as text becomes a
    string cell; numbers, dates and other text pass as they are (a plain value is
    written several times faster than a cell object, and is already a string cell)."""
    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
        return text_cell(sheet, value)
    return value


def audit_workbook(entries) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Audit log"))
    sheet.append(
        [
            _("No."),
            _("Time"),
            _("User"),
            _("Action"),
            _("Object type"),
            _("Object id"),
            _("Object"),
            _("Address"),
            _("Changes"),
            _("Hash"),
        ]
    )
    for entry in entries:
        # One line per field, as on the detail page: "字段：前 → 后".
        changes = "\n".join(
            f"{field}：{before} → {after}"
            for field, before, after in audit_display.change_rows(
                entry, masked_changes(entry.changes)
            )
        )
        sheet.append(
            [
                entry.pk,
                timezone.localtime(entry.at).replace(tzinfo=None),
                safe_cell(sheet, entry.actor_name),
                entry.get_action_display(),
                safe_cell(sheet, audit_display.type_label(entry.object_type)),
                safe_cell(sheet, entry.object_id),
                safe_cell(sheet, audit_display.object_text(entry)),
                safe_cell(sheet, entry.ip),
                safe_cell(sheet, changes),
                entry.hash,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
