"""Shared output helpers for printable sheets: PDF (WeasyPrint) and Excel (openpyxl).

Any app may use them (every app can import branches). A sheet is rendered three ways
from the same rows: the print-styled HTML page, `pdf_response(...)` and
`xlsx_response(...)`. The PDF gets the CJK font, a header row repeated on every page and
"第 x 页 / 共 y 页" in the page margin; no Excel cell can become a live formula, and rates
are numbers with a percent format (`Percent`), so they sort and sum.
"""

from __future__ import annotations

import atexit
import io
import os
import ssl
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext
from openpyxl.cell import WriteOnlyCell

from accounts.exports import safe_cell, text_cell

from .pdffont import compact_font

# The compact cut of Noto Sans CJK SC first (branches.pdffont), the system fonts for what
# it lacks or where it could not be made.
COMPACT_FAMILY = "Portal Sans SC"
PDF_FONT = f'"{COMPACT_FAMILY}", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'
SHEET_CSS = "branches/sheet.css"  # shared by the browser print page and the PDF

# @page rules only WeasyPrint reads. Margin boxes do not inherit the body font, so the
# page counter names its own (else it falls back to a serif with Japanese glyph forms).
# Each margin box is the only one on its side and given the full width: with an auto
# width WeasyPrint measures its text's min- and max-content widths again on every page.
PAGE_CSS = f"""
@page {{
  size: A4;
  margin: 16mm 12mm 18mm 12mm;
  @top-right {{
    content: string(sheet-title);
    width: 100%;
    font-family: {PDF_FONT};
    font-size: 8pt;
    color: #555;
  }}
}}
@page wide {{ size: A4 landscape; }}
html {{ font-family: {PDF_FONT}; font-size: 10.5pt; }}
body.wide {{ page: wide; }}
h1 {{ string-set: sheet-title content(); }}
.no-pdf {{ display: none !important; }}
/* A long list laid out from its header's widths, not measured cell by cell. */
table.sheet-table.fixed {{ table-layout: fixed; }}
table.sheet-table.fixed th.wide {{ width: 30%; }}
"""


def page_number_css() -> str:
    """The page margin's "第 x 页 / 共 y 页" in the active language: the translated pattern
    with CSS page counters in its placeholders. Every PDF of the portal uses it."""
    pattern = gettext("Page %(page)s of %(pages)s").replace('"', "")
    content = '"{}"'.format(
        pattern.replace("%(page)s", '" counter(page) "').replace("%(pages)s", '" counter(pages) "')
    )
    return (
        f"@page {{ @bottom-center {{ content: {content}; font-family: {PDF_FONT}; "
        "font-size: 9pt; color: #333; width: 100%; } }"
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    """A download with a Chinese file name that every browser keeps (RFC 6266)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- PDF -------------------------------------------------------------------------------


# Prepared once per process (per thread where WeasyPrint's objects keep state), not per
# PDF: the URL fetcher (building one loads the system's CA certificates), the font
# configuration (fontconfig's font list and Pango's font map, so the CJK font is found,
# measured and shaped from warm caches) and the parsed stylesheets (per language: the
# page counter is translated; the sheet CSS again when its file changes).
_prepared = threading.local()
# WeasyPrint copies an @font-face's file into a temporary folder it removes when the font
# configuration is collected, which fails at interpreter exit: collect it before.
atexit.register(lambda: vars(_prepared).clear())
_stylesheet_cache: dict[tuple, list] = {}
_stylesheet_lock = threading.Lock()


def _ssl_context():
    context = getattr(_ssl_context, "value", None)
    if context is None:
        context = _ssl_context.value = ssl.create_default_context()
    return context


def _weasy():
    """This thread's (url_fetcher, font_config) for WeasyPrint, with the compact CJK font
    added to it. (The other stylesheets have no @font-face, so they are shared by every
    thread's font configuration.)"""
    if getattr(_prepared, "fetcher", None) is None:
        from weasyprint import CSS, URLFetcher
        from weasyprint.text.fonts import FontConfiguration

        fetcher = URLFetcher(ssl_context=_ssl_context())
        fonts = FontConfiguration()
        # Both weights or neither: bold text must never fall back to a faked bold.
        paths = {400: compact_font(bold=False), 700: compact_font(bold=True)}
        faces = "\n".join(
            f'@font-face {{ font-family: "{COMPACT_FAMILY}"; font-weight: {weight}; '
            f'src: url("{path.as_uri()}"); }}'
            for weight, path in paths.items()
            if path is not None
        )
        _prepared.faces = (
            [CSS(string=faces, url_fetcher=fetcher, font_config=fonts)]
            if all(paths.values())
            else []
        )
        _prepared.fetcher, _prepared.fonts = fetcher, fonts
    return _prepared.fetcher, _prepared.fonts


def _stylesheets():
    from weasyprint import CSS

    path = finders.find(SHEET_CSS)
    stamp = os.stat(path).st_mtime_ns if path else None
    key = (get_language(), path, stamp)
    sheets = _stylesheet_cache.get(key)
    if sheets is None:
        fetcher, _fonts = _weasy()
        sheets = [
            CSS(string=PAGE_CSS, url_fetcher=fetcher),
            CSS(string=page_number_css(), url_fetcher=fetcher),
        ]
        if path:
            sheets.insert(0, CSS(filename=path, url_fetcher=fetcher))
        with _stylesheet_lock:
            _stylesheet_cache[key] = sheets
    return sheets


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    fetcher, fonts = _weasy()
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(
        stylesheets=[*_prepared.faces, *_stylesheets()], font_config=fonts
    )


def pdf_from_template(
    template_name: str, context: dict, *, request=None, wide: bool = False
) -> bytes:
    """Render `template_name` (a sheet body, the same include the HTML page uses) inside
    a bare document and turn it into PDF."""
    html = render_to_string(
        "branches/pdf_document.html",
        {**context, "sheet_template": template_name, "for_pdf": True, "wide": wide},
        request=request,
    )
    base_url = request.build_absolute_uri("/") if request is not None else None
    return render_pdf(html, base_url=base_url)


def pdf_response(
    template_name: str, context: dict, filename: str, *, request=None, wide: bool = False
) -> HttpResponse:
    content = pdf_from_template(template_name, context, request=request, wide=wide)
    return attachment(content, "application/pdf", filename)


# --- Excel -----------------------------------------------------------------------------


PERCENT_FORMAT = "0.0%"
MONEY_FORMAT = "#,##0.00"  # yuan with fen: a Decimal is written as an exact number


@dataclass(frozen=True)
class Percent:
    """A rate (a fraction, or None when there is nothing to rate) for an Excel row: a
    number the spreadsheet shows as 86.9%, not the text "86.9%"."""

    value: float | None


@dataclass
class Sheet:
    """One worksheet: a few heading lines, a bold header row and the data rows."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]
    heading: Sequence[str] = field(default_factory=list)
    widths: Sequence[int] = field(default_factory=list)


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title[:31] or "Sheet"


def _row_value(sheet, value):
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, Percent):
        if value.value is None:
            return "—"
        cell = WriteOnlyCell(sheet, value=float(value.value))
        cell.number_format = PERCENT_FORMAT
        return cell
    return safe_cell(sheet, str(value))


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx workbook (write-only: memory stays flat). Text is stored as typed and
    never becomes a formula (safe_cell); a `Percent` is a number in percent format, a
    Decimal (money) a number with two places."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(_sheet_title(spec.title))
        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        # Freeze everything above the first data row, so the header stays in view.
        sheet.freeze_panes = f"A{len(spec.heading) + 2}"
        for line_no, line in enumerate(spec.heading):
            cell = text_cell(sheet, str(line))
            if line_no == 0:
                cell.font = Font(bold=True, size=14)
            sheet.append([cell])
        header = []
        for label in spec.header:
            cell = text_cell(sheet, str(label))
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in spec.rows:
            sheet.append([_row_value(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(sheets: Sequence[Sheet], filename: str) -> HttpResponse:
    return attachment(xlsx_bytes(sheets), XLSX_TYPE, filename)
