"""Reading a workbook into a checked plan, bounded in rows (blank ones count), cells,
unpacked size and seconds, checked on the raw XML before openpyxl parses anything:
a small upload cannot hold a worker.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import time
import zipfile
import zlib
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Organization

from ..validators import nfkc
from .checking import RowChecker, blank, cell_value, clean_text, normalize_header
from .plan import (
    HEADER_LOOKUP,
    HEADERS,
    IGNORED_HEADERS,
    REQUIRED,
    ImportFileError,
    ImportPlan,
    RowPlan,
)

HEADER_SCAN_ROWS = 10
CHUNK = 500
MAX_ROWS = 20_000

# Bounds on reading, blank rows included: a small upload can unpack to millions of empty
# rows. The read stops with an error at the first bound it meets.
MAX_SHEET_ROWS = 2 * MAX_ROWS  # rows in all sheets together
MAX_ROW_CELLS = 16_384  # Excel's own column limit
MAX_BOOK_CELLS = 2_000_000
MAX_UNPACKED_BYTES = 64 * 2**20
READ_SECONDS = 25  # settings.MEMBER_IMPORT_READ_SECONDS overrides it

FOOTER = re.compile(r"^(填表人|制表人|填报人|审核人|负责人|联系人|合计|总计|说明|注[:：])")

# --- reading the workbook ----------------------------------------------------------------


def open_workbook(source):
    """The workbook, or ImportFileError when the file is not an .xlsx workbook."""
    import openpyxl

    try:
        if hasattr(source, "seek"):
            source.seek(0)
        return openpyxl.load_workbook(source, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise ImportFileError(
            _(
                "The file is not an Excel workbook (.xlsx). Old .xls files: open them in "
                "Excel or WPS and save as .xlsx."
            )
        ) from error
    except Exception as error:  # openpyxl raises many kinds on damaged files
        raise ImportFileError(
            _("The workbook could not be read: it may be damaged. Save it again as .xlsx.")
        ) from error


def read_seconds() -> int:
    return getattr(settings, "MEMBER_IMPORT_READ_SECONDS", READ_SECONDS)


def _too_long():
    return ImportFileError(
        _(
            "Reading the workbook took more than %(seconds)d seconds and was stopped: split "
            "the roster into smaller files (e.g. one per branch)."
        )
        % {"seconds": read_seconds()}
    )


def _too_many_rows():
    return ImportFileError(
        _(
            "The workbook has more than %(max)d rows (blank rows count too); reading stopped. "
            "Delete the empty rows below the table, or split the roster into smaller files."
        )
        % {"max": MAX_SHEET_ROWS}
    )


class Deadline:
    def __init__(self):
        self.at = time.monotonic() + read_seconds()

    def check(self):
        if time.monotonic() > self.at:
            raise _too_long()


# An opening <row> or <c> tag, with or without a namespace prefix.
_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")


def scan_bounds(source, deadline: Deadline):
    """Count the rows and cells of every part before openpyxl parses anything: openpyxl
    reads a sheet without a <dimension> to its very end just to open it, and builds a
    whole row in memory before giving it out. Streams the unpacked XML in small pieces;
    raises ImportFileError at the first bound passed. (Counting every tag that looks like
    a row or a cell can only overcount.)"""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # open_workbook says what is wrong with it
    rows = cells = row_cells = 0
    with archive:
        # zipfile never unpacks more than a member's recorded size.
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise ImportFileError(
                _(
                    "The workbook unpacks to more than %(mb)d MB, more than a roster needs: "
                    "delete the empty rows and pictures, or split it into smaller files."
                )
                % {"mb": MAX_UNPACKED_BYTES // 2**20}
            )
        for info in archive.infolist():
            row_cells = 0
            with _damaged_as_file_error(), archive.open(info) as part:
                tail = b""
                while chunk := part.read(2**16):
                    deadline.check()
                    data = tail + chunk
                    cut = data.rfind(b"<")  # a tag may go on in the next piece
                    data, tail = (data, b"") if cut < 0 else (data[:cut], data[cut:])
                    for match in _ROW_OR_CELL.finditer(data):
                        if match.group(1) == b"row":
                            rows += 1
                            row_cells = 0
                            if rows > MAX_SHEET_ROWS:
                                raise _too_many_rows()
                        else:
                            cells += 1
                            row_cells += 1
                            if row_cells > MAX_ROW_CELLS or cells > MAX_BOOK_CELLS:
                                raise ImportFileError(
                                    _(
                                        "The workbook has more cells than a roster can "
                                        "have (at most %(max)d columns per row and %(total)d "
                                        "cells in all); reading stopped."
                                    )
                                    % {"max": MAX_ROW_CELLS, "total": MAX_BOOK_CELLS}
                                )
    if hasattr(source, "seek"):
        source.seek(0)


@contextlib.contextmanager
def _damaged_as_file_error():
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
        # A bad checksum, a broken stream, an unknown compression, a password.
        raise ImportFileError(
            _("The workbook could not be read: it may be damaged. Save it again as .xlsx.")
        ) from None


def _header_score(values) -> tuple[int, dict, list]:
    mapping: dict[str, list[int]] = {}
    ignored = []
    for index, value in enumerate(values):
        text = normalize_header(value) if value is not None else ""
        if not text:
            continue
        name = HEADER_LOOKUP.get(text)
        if name:
            mapping.setdefault(name, []).append(index)
        elif text not in IGNORED_HEADERS:
            ignored.append(clean_text(value))
    return len(mapping), mapping, ignored


def read_plan(
    source,
    *,
    community: Organization,
    progress: Callable[[int, int], None] | None = None,
    today: datetime.date | None = None,
) -> ImportPlan:
    """Read and check every row of the workbook. Raises ImportFileError for a file that
    cannot be used at all; otherwise the plan holds the rows and the located errors."""
    today = today or timezone.localdate()
    opened = None
    if isinstance(source, str | os.PathLike):
        source = opened = open(source, "rb")  # noqa: SIM115 (closed below)
    try:
        deadline = Deadline()
        scan_bounds(source, deadline)
        workbook = open_workbook(source)
        try:
            return _read(
                workbook, community=community, progress=progress, today=today, deadline=deadline
            )
        finally:
            workbook.close()
    finally:
        if opened is not None:
            opened.close()


def _read(workbook, *, community, progress, today, deadline) -> ImportPlan:
    district = Organization.objects.filter(
        path__in=community.ancestor_paths, level="district"
    ).first()
    plan = ImportPlan(community=community, district=district)
    sheet, header_index, mapping, ignored, header_values = _find_header(workbook, deadline)
    plan.sheet = sheet.title
    plan.header_row = header_index + 1
    plan.ignored_columns = ignored
    plan.columns = {name: clean_text(header_values[idx[0]]) for name, idx in mapping.items()}
    total = max((sheet.max_row or 0) - plan.header_row, 0)
    too_many = _(
        "The file has more than %(max)d rows: split it into smaller files (e.g. one per branch)."
    ) % {"max": MAX_ROWS}
    if total > MAX_SHEET_ROWS:  # the sheet's recorded size; blank rows are allowed for
        raise _too_many_rows()
    checker = RowChecker(plan, community=community, district=district, today=today)
    chunk: list[RowPlan] = []
    seen_rows = 0
    for excel_row, cells in enumerate(
        sheet.iter_rows(min_row=plan.header_row + 1, values_only=True), start=plan.header_row + 1
    ):
        # openpyxl makes up the rows a sheet skips (<row r="1048576">): count them all.
        if excel_row > MAX_SHEET_ROWS:
            raise _too_many_rows()
        deadline.check()
        values = {
            name: next(
                (v for v in (cell_value(cells[i]) for i in idx if i < len(cells)) if not blank(v)),
                None,
            )
            for name, idx in mapping.items()
        }
        if all(blank(v) for v in values.values()) or _is_footer(cells, values):
            continue
        seen_rows += 1
        if seen_rows > MAX_ROWS:
            raise ImportFileError(too_many)
        row = checker.check(excel_row, values)
        if row is not None:
            chunk.append(row)
        if seen_rows % CHUNK == 0:
            checker.resolve(chunk)
            plan.rows += chunk
            chunk = []
            if progress:
                progress(excel_row - plan.header_row, max(total, excel_row - plan.header_row))
    checker.resolve(chunk)
    plan.rows += chunk
    # Errors found when matching a chunk with the database come after the row checks.
    plan.errors.sort(key=lambda error: error.row or 0)
    if seen_rows == 0:
        raise ImportFileError(
            _("Only the header row was found (row %(row)d): the file has no members in it.")
            % {"row": plan.header_row}
        )
    if progress:
        progress(total or seen_rows, total or seen_rows)
    return plan


def _is_footer(cells, values) -> bool:
    """'填表人：… 审核人：…' and '合计' lines under the table."""
    texts = [str(value).strip() for value in cells if value not in (None, "")]
    return bool(texts) and blank(values.get("id_number")) and bool(FOOTER.match(nfkc(texts[0])))


def _find_header(workbook, deadline):
    """The first sheet with a header row among its first rows: (sheet, row index,
    field -> column indexes, unknown headers, the header cells)."""
    best = None
    any_cells = False
    for sheet in workbook.worksheets:
        deadline.check()
        for index, cells in enumerate(sheet.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True)):
            if any(not blank(v) for v in cells):
                any_cells = True
            score, mapping, ignored = _header_score(cells)
            if all(name in mapping for name in REQUIRED):
                return sheet, index, mapping, ignored, cells
            if score and (best is None or score > best[0]):
                best = (score, sheet, index, mapping)
    if not any_cells:
        raise ImportFileError(_("The workbook is empty."))
    if best is not None and best[0] >= 3:
        _score, sheet, index, mapping = best
        missing = [HEADERS[name][0] for name in REQUIRED if name not in mapping]
        raise ImportFileError(
            _("Row %(row)d looks like the header row but has no “%(missing)s” column.")
            % {"row": index + 1, "missing": "”、“".join(missing)}
        )
    raise ImportFileError(
        _(
            "No header row found: none of the first %(n)d rows has both a “姓名” and a "
            "“身份证号” column."
        )
        % {"n": HEADER_SCAN_ROWS}
    )
