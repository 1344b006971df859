"""The printed sheets: HTML page, PDF and Excel from the same rows. PDFs are checked by
extracting their text (the Chinese names must come out as text, with the header row on
every page and the page counter); Excel files must open and hold no live formula."""

import datetime
import io
import re
import shutil
import subprocess
import zipfile

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from activities.meetings.services import makeups, planning
from activities.meetings.services.recording import Mark
from branches.exporting import safe_cell

from ..conftest import member, record

D = datetime.date


def pdf_text(content: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return result.stdout.decode()


def pages(text: str) -> list[str]:
    return text.split("\f")


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def all_cells(book):
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


@pytest.fixture
def big_meeting(roster):
    """A held general assembly with 40 expected (enough for a second PDF page), a
    formula-looking topic and reason, an excusal made up and an absence."""
    for _ in range(30):
        member(branch=roster.branch, group=roster.group)
    meeting = record(
        branch=roster.branch,
        held_on=D(2025, 6, 10),
        topic='=HYPERLINK("http://evil.example","点我")',
        marks={
            roster.members[0].pk: Mark("excused", "+住院@医院"),
            roster.members[1].pk: Mark("absent"),
        },
    )
    makeups.makeup_record(
        attendance=meeting.attendances.get(member=roster.members[0]),
        details={
            "kind": "home_delivery",
            "made_up_on": D(2025, 6, 20),
            "delivered_by": "-陈书记",
            "material": "会议材料",
        },
        actor=None,
    )
    return meeting


def test_the_sign_in_sheet_pdf_has_every_name_as_text_a_repeated_header_and_page_numbers(
    big_meeting, roster, client_for
):
    response = client_for("community_secretary").get(
        reverse("activities:sign_in_sheet", args=[big_meeting.pk]) + "?format=pdf"
    )
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    text = pdf_text(response.content)
    names = list(big_meeting.attendances.values_list("member__name", flat=True))
    assert len(names) == 40
    for name in names:
        assert name in text
    sheet_pages = [p for p in pages(text) if p.strip()]
    assert len(sheet_pages) >= 2
    rows_on = [p for p in sheet_pages if any(name in p for name in names)]
    assert len(rows_on) >= 2
    for page in rows_on:
        assert "序号" in page and "签名" in page  # the header row, on every page
    for number, page in enumerate(sheet_pages, start=1):
        # pdftotext drops the spaces of "第 1 页 / 共 2 页".
        assert f"第{number}页/共{len(sheet_pages)}页" in page.replace(" ", "")
    assert "签到表" in text


def pdf_words(content: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    """The words of one page with their boxes in points: (text, x0, y0, x1, y1)."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        out,
    )
    return [(text, float(a), float(b), float(c), float(d)) for a, b, c, d, text in found]


MM = 72 / 25.4  # points


def test_the_sign_in_sheet_pdf_has_rows_tall_enough_to_sign_and_its_title_top_right(
    big_meeting, client_for
):
    """Its rows are styled by position, not per cell: each row still leaves room to sign
    by hand, the numbers stand right-aligned, and the running title stays in the top
    right corner of the page (its margin box spans the top)."""
    content = (
        client_for("community_secretary")
        .get(reverse("activities:sign_in_sheet", args=[big_meeting.pk]) + "?format=pdf")
        .content
    )
    words = pdf_words(content, 1)
    header_y = next(y0 for text, _x0, y0, _x1, _y1 in words if text == "序号")
    numbers = {}
    for text, _x0, y0, x1, _y1 in words:
        if text.isdigit() and y0 > header_y and int(text) not in numbers:
            numbers[int(text)] = (y0, x1)
    assert set(range(1, 11)) <= set(numbers)
    pitches = [numbers[i + 1][0] - numbers[i][0] for i in range(1, 10)]
    assert min(pitches) >= 9 * MM
    assert numbers[10][1] == pytest.approx(numbers[1][1], abs=0.5)  # right-aligned
    top = [w for w in words if w[4] < 16 * MM]  # in the top margin
    assert "签到表" in "".join(w[0] for w in top)
    assert max(w[3] for w in top) == pytest.approx(595.28 - 12 * MM, abs=2)


def test_the_ledger_pdf_holds_every_meeting_with_minutes_and_names(roster, client_for):
    first = record(branch=roster.branch, held_on=D(2025, 3, 5), topic="学习全会精神")
    planning.meeting_update(
        meeting=first, details={"minutes": "书记领学，党员交流发言。"}, actor=None
    )
    record(
        branch=roster.branch,
        kind="group",
        group=roster.group,
        held_on=D(2025, 4, 9),
        topic="党小组学习党章",
        marks={roster.members[2].pk: Mark("excused", "外出探亲")},
    )
    response = client_for("community_secretary").get(
        reverse("activities:ledger", args=[roster.branch.pk]) + "?year=2025&format=pdf"
    )
    text = pdf_text(response.content)
    for expected in (
        "组织生活台账",
        "学习全会精神",
        "党小组学习党章",
        "书记领学，党员交流发言。",
        roster.members[2].name,
        "外出探亲",
        "支部党员大会",
    ):
        assert expected in text, expected


def test_a_pdf_page_renders_chinese_glyphs(big_meeting, client_for, tmp_path):
    """Render the first page to PNG (pdftoppm) and check it is not blank: a missing CJK
    font shows as empty boxes in the text layer too, which the text test catches."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    response = client_for("community_secretary").get(
        reverse("activities:attendance_record", args=[big_meeting.pk]) + "?format=pdf"
    )
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    png = next(tmp_path.glob("p*.png"))
    from PIL import Image

    with Image.open(png) as image:
        grey = image.convert("L")
        dark = sum(1 for value in grey.tobytes() if value < 128)
    assert dark > 2000  # text and table rules are drawn
    text = pdf_text(response.content)
    assert "出席记录" in text and "参会率" in text and "送学上门" in text


def sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(
            archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def test_excel_files_open_and_hold_no_formula_from_user_text(big_meeting, roster, client_for):
    client = client_for("community_secretary")
    urls = [
        reverse("activities:sign_in_sheet", args=[big_meeting.pk]),
        reverse("activities:attendance_record", args=[big_meeting.pk]),
        reverse("activities:attendance_report", args=[roster.branch.pk]) + "?year=2025&quarter=2",
        reverse("activities:ledger", args=[roster.branch.pk]) + "?year=2025",
    ]
    for url in urls:
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}format=xlsx")
        assert response.status_code == 200, url
        book = workbook(response.content)
        assert all(c.data_type != "f" for c in all_cells(book)), url
        assert "<f>" not in sheet_xml(response.content), url
        texts = " ".join(str(c.value) for c in all_cells(book) if c.value is not None)
        assert roster.members[3].name in texts, url
        assert "'" not in texts, url  # no apostrophe added to anything


def test_excel_keeps_formula_looking_user_text_as_typed_in_string_cells(
    big_meeting, roster, client_for
):
    client = client_for("community_secretary")
    record_book = workbook(
        client.get(
            reverse("activities:attendance_record", args=[big_meeting.pk]) + "?format=xlsx"
        ).content
    )
    cells = {c.value: c for c in all_cells(record_book)}
    assert cells["+住院@医院"].data_type == "s"
    response = client.get(
        reverse("activities:ledger", args=[roster.branch.pk]) + "?year=2025&format=xlsx"
    )
    cells = {c.value: c for c in all_cells(workbook(response.content))}
    topic = '=HYPERLINK("http://evil.example","点我")'
    assert cells[topic].data_type == "s"  # the topic, as typed
    assert cells["+住院@医院"].data_type == "s"  # the reason, in the attendance sheet
    assert "<f>" not in sheet_xml(response.content)


def rate_cells(book, header: str):
    """The cells under the header cell `header` in every sheet that has one."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == header:
                    yield from (
                        c
                        for (c,) in sheet.iter_rows(
                            min_row=cell.row + 1, min_col=cell.column, max_col=cell.column
                        )
                    )
                    return


def test_excel_rates_are_numbers_in_percent_format(big_meeting, roster, client_for):
    client = client_for("community_secretary")
    for url in (
        reverse("activities:attendance_report", args=[roster.branch.pk]) + "?year=2025&quarter=2",
        reverse("activities:ledger", args=[roster.branch.pk]) + "?year=2025",
    ):
        book = workbook(client.get(url + "&format=xlsx").content)
        rates = [c for c in rate_cells(book, "参会率") if c.value is not None]
        assert rates, url
        for cell in rates:
            assert cell.data_type == "n", (url, cell.value)
            assert isinstance(cell.value, int | float) and 0 <= cell.value <= 1
            assert cell.number_format == "0.0%"
    # 38 of 40 present, one excused and made up: (38 + 1) / 40.
    book = workbook(
        client.get(
            reverse("activities:ledger", args=[roster.branch.pk]) + "?year=2025&format=xlsx"
        ).content
    )
    assert [c.value for c in rate_cells(book, "参会率")] == [pytest.approx(39 / 40)]


def test_html_pdf_and_excel_list_the_same_members(big_meeting, client_for):
    client = client_for("community_secretary")
    url = reverse("activities:sign_in_sheet", args=[big_meeting.pk])
    html = client.get(url).content.decode()
    book = workbook(client.get(url + "?format=xlsx").content)
    names = set(big_meeting.attendances.values_list("member__name", flat=True))
    in_excel = {c.value for c in all_cells(book)} & names
    assert in_excel == names
    assert all(name in html for name in names)
    assert "data-print" in html and "下载 PDF" in html and "下载 Excel" in html


def test_the_attendance_report_page_shows_per_member_numbers(big_meeting, roster, client_for):
    html = (
        client_for("community_secretary")
        .get(
            reverse("activities:attendance_report", args=[roster.branch.pk])
            + "?year=2025&quarter=2"
        )
        .content.decode()
    )
    assert "2025年第二季度" in html
    assert "未参会人员" in html
    assert roster.members[1].name in html  # absent, listed among who did not attend


@pytest.mark.parametrize("text", ["=1+1", "#N/A", "#DIV/0!"])
def test_safe_cell_makes_a_string_cell_of_what_openpyxl_would_not_keep_as_text(text):
    sheet = Workbook(write_only=True).create_sheet("t")
    cell = safe_cell(sheet, text)
    assert (cell.value, cell.data_type) == (text, "s")


@pytest.mark.parametrize("value", ["+86 138", "-5", "@SUM(A1)", "王建国", 5])
def test_safe_cell_passes_other_values_as_they_are(value):
    assert safe_cell(Workbook(write_only=True).create_sheet("t"), value) == value


def test_the_ledger_pdf_keeps_the_status_and_meeting_names_whole(roster, client_for):
    """Long topics squeeze the overview table: 状态 must still read "已召开" on one line,
    and "党小组会 · 第一党小组" must not break inside a word."""
    for month in (3, 4, 5):
        record(
            branch=roster.branch,
            kind="group",
            group=roster.group,
            held_on=D(2025, month, 9),
            topic="学习贯彻党的二十届四中全会精神暨社区离退休干部党员主题党日活动交流研讨",
        )
    response = client_for("community_secretary").get(
        reverse("activities:ledger", args=[roster.branch.pk]) + "?year=2025&format=pdf"
    )
    overview = pages(pdf_text(response.content))[0]
    rows = [line for line in overview.splitlines() if line.startswith("2025-")]
    assert len(rows) == 3
    assert all("已召开" in line for line in rows), overview
    # Each name whole, on a line of its own if need be.
    assert overview.count("党小组会") == overview.count("第一党小组") == 3, overview
