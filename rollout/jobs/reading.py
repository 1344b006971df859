"""The bounded read of an import workbook, shared by every kind: the roster import's
checks on the raw XML first (rows, cells, unpacked size, seconds), then the header row
found among the first rows, then the data rows as {field: value}."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

from django.utils.translation import gettext as _

from members.importing.checking import blank, cell_value, clean_text, normalize_header
from members.importing.plan import ImportFileError
from members.importing.reading import Deadline, open_workbook, scan_bounds

from .plan import Plan
from .registry import ImportKind

HEADER_SCAN_ROWS = 10
MAX_ROWS = 20_000
PROGRESS_EVERY = 200

__all__ = ["ImportFileError", "read_rows"]


def _lookup(kind: ImportKind) -> dict[str, str]:
    return {
        normalize_header(name): field for field, names in kind.all_headers.items() for name in names
    }


def _find_header(workbook, kind: ImportKind, deadline):
    lookup = _lookup(kind)
    any_cells = False
    for sheet in workbook.worksheets:
        deadline.check()
        for index, cells in enumerate(sheet.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True)):
            mapping: dict[str, int] = {}
            for column, value in enumerate(cells):
                if blank(value):
                    continue
                any_cells = True
                name = lookup.get(normalize_header(value))
                if name and name not in mapping:
                    mapping[name] = column
            if all(name in mapping for name in kind.required):
                return sheet, index + 1, mapping, cells
    if not any_cells:
        raise ImportFileError(_("The workbook is empty."))
    wanted = "”、“".join(kind.headers[name][0] for name in kind.required)
    raise ImportFileError(
        _("No header row found: none of the first %(n)d rows has the columns “%(wanted)s”.")
        % {"n": HEADER_SCAN_ROWS, "wanted": wanted}
    )


def _value(cell):
    value = cell_value(cell)
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_rows(
    source,
    kind: ImportKind,
    plan: Plan,
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> Iterator[tuple[int, dict]]:
    """Yield (excel row, {field: value}) for each non-blank data row; the plan learns the
    sheet, the header row and the columns as written. Raises ImportFileError for a file
    that cannot be used at all."""
    deadline = Deadline()
    scan_bounds(source, deadline)
    workbook = open_workbook(source)
    try:
        sheet, header_row, mapping, header_cells = _find_header(workbook, kind, deadline)
        plan.sheet, plan.header_row = sheet.title, header_row
        plan.columns = {name: clean_text(header_cells[i]) for name, i in mapping.items()}
        total = max((sheet.max_row or 0) - header_row, 0)
        seen = 0
        for excel_row, cells in enumerate(
            sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
        ):
            deadline.check()
            values = {
                name: _value(cells[i]) if i < len(cells) else None for name, i in mapping.items()
            }
            if all(blank(v) for v in values.values()):
                continue
            seen += 1
            if seen > MAX_ROWS:
                raise ImportFileError(
                    _("The file has more than %(max)d rows: split it into smaller files.")
                    % {"max": MAX_ROWS}
                )
            if progress and seen % PROGRESS_EVERY == 0:
                progress(excel_row - header_row, max(total, excel_row - header_row), "")
            yield excel_row, values
        if seen == 0:
            raise ImportFileError(
                _("Only the header row was found (row %(row)d): the file has no rows to import.")
                % {"row": header_row}
            )
        if progress:
            progress(total or seen, total or seen, "")
    finally:
        workbook.close()
