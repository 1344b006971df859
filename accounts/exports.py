"""Spreadsheet safety shared by every export, and the audit log as an Excel workbook."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from . import audit_display
from .audit import masked_changes

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that starts like a formula gets a leading apostrophe, so a spreadsheet shows
    it as text and never runs it. Numbers and dates pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
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
                safe_cell(entry.actor_name),
                entry.get_action_display(),
                safe_cell(audit_display.type_label(entry.object_type)),
                safe_cell(entry.object_id),
                safe_cell(audit_display.object_text(entry)),
                safe_cell(entry.ip),
                safe_cell(changes),
                entry.hash,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
