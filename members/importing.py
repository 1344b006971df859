"""Reading 花名册 workbooks as communities really keep them, into a checked import plan.

`read_plan(file, community=...)` streams the first sheet that has a header row (openpyxl
read-only mode, so a 10,000-row file stays small in memory), finds the header row among
the first rows (title and 填报单位 rows above it are skipped), maps the Chinese headers and
their usual variants in any order, normalises every cell (full-width digits and spaces,
dates in the usual spellings) and checks every row. Nothing is written here: the plan
lists the members to create and update, and every error by Excel row and column header.
`members.services.members_import` writes a plan without errors, all at once.

Reading is bounded in rows (blank ones count), cells, unpacked size and seconds, checked
on the raw XML before openpyxl parses anything: a small upload cannot hold a worker.
A re-import changes only what the workbook carries: a column it lacks leaves the value,
an empty cell in a column it has clears it (CLEARED_BY_EMPTY_CELL, KEPT_WHEN_EMPTY).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch, BranchKind, Organization, OriginalUnit, PartyGroup

from .models import Gender, Health, Living, Member, RelationKind, RetirementType, id_number_hash
from .validators import (
    id_birth_date,
    id_gender,
    nfkc,
    validate_id_number,
    validate_phone,
)

HEADER_SCAN_ROWS = 10
CHUNK = 500
MAX_ROWS = 20_000
MAX_ERRORS_KEPT = 1000
# Bounds on reading, blank rows included: a small upload can unpack to millions of empty
# rows. The read stops with an error at the first bound it meets.
MAX_SHEET_ROWS = 2 * MAX_ROWS  # rows in all sheets together
MAX_ROW_CELLS = 16_384  # Excel's own column limit
MAX_BOOK_CELLS = 2_000_000
MAX_UNPACKED_BYTES = 64 * 2**20
READ_SECONDS = 25  # settings.MEMBER_IMPORT_READ_SECONDS overrides it

# Field -> the headers communities use for it (compared after normalising: NFKC, no
# spaces, no "*" required marks, no bracketed hints such as "(年-月-日)").
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "党员姓名"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "出生时间"),
    "ethnicity": ("民族",),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "身份证"),
    "phone": ("联系电话", "手机", "手机号码", "手机号", "电话", "电话号码", "联系方式"),
    "address": ("家庭住址", "住址", "现住址", "居住地址", "现居住地址", "家庭地址"),
    "original_unit": ("原工作单位", "原单位", "原单位名称", "退休前工作单位", "工作单位"),
    "former_post": ("原职务", "职务", "退休前职务"),
    "rank": ("职级", "原职级", "级别"),
    "retirement_type": ("离退休类别", "类别", "离休/退休", "离退休", "离退休类型"),
    "retired_on": ("离退休时间", "离退休日期", "退休时间", "退休日期", "离休时间"),
    "joined_party_on": ("入党时间", "入党日期", "入党年月"),
    "full_member_on": ("转正时间", "转正日期", "转正年月"),
    "relation": ("组织关系所在", "组织关系所在单位", "组织关系所在党组织", "组织关系"),
    "health": ("健康状况", "身体状况", "身体情况"),
    "mobility": ("行动不便", "行动是否不便", "行动能力"),
    "living": ("居住情况", "居住状况", "是否独居"),
    "skills": ("特长", "兴趣特长", "专长"),
    "branch": ("所在支部", "报到支部", "所在党支部", "支部"),
    "party_group": ("党小组", "所在党小组"),
    "reported_on": ("报到时间", "报到日期", "社区报到时间"),
}
IGNORED_HEADERS = {"序号", "编号", "备注", "年龄"}
REQUIRED = ("name", "id_number")
# A column the workbook does not carry leaves the member's value as it is. A column it
# carries with an empty cell clears these (column -> Member attname -> cleared value):
CLEARED_BY_EMPTY_CELL: dict[str, dict] = {
    "ethnicity": {"ethnicity": ""},
    "phone": {"phone": ""},
    "address": {"address": ""},
    "original_unit": {"original_unit_id": None},
    "former_post": {"former_post": ""},
    "rank": {"rank": ""},
    "retired_on": {"retired_on": None},
    "joined_party_on": {"joined_party_on": None},
    "full_member_on": {"full_member_on": None},
    "skills": {"skills": ""},
    "mobility": {"mobility_impaired": False},
    "party_group": {"party_group_id": None},
}
# ...while an empty cell in these keeps the value: the portal always holds one (taken from
# the ID number, or a default that would be wrong to impose on a bedridden member), and a
# member leaves a branch through the registration pages, not by a blank cell.
KEPT_WHEN_EMPTY = (
    "gender",
    "birth_date",
    "retirement_type",
    "relation",
    "health",
    "living",
    "branch",
    "reported_on",
)
FROM_ID_NUMBER = ("gender", "birth_date")
HEADER_LOOKUP = {
    re.sub(r"\s+", "", unicodedata.normalize("NFKC", variant)): name
    for name, variants in HEADERS.items()
    for variant in variants
}

GENDERS = {"男": Gender.MALE, "男性": Gender.MALE, "女": Gender.FEMALE, "女性": Gender.FEMALE}
RETIREMENT = {
    "离休": RetirementType.LIXIU,
    "离休干部": RetirementType.LIXIU,
    "离": RetirementType.LIXIU,
    "退休": RetirementType.TUIXIU,
    "退休干部": RetirementType.TUIXIU,
    "退": RetirementType.TUIXIU,
}
HEALTH = {
    "健康": Health.GOOD,
    "良好": Health.GOOD,
    "好": Health.GOOD,
    "一般": Health.FAIR,
    "较好": Health.FAIR,
    "较差": Health.POOR,
    "差": Health.POOR,
    "多病": Health.POOR,
    "卧床": Health.BEDRIDDEN,
    "长期卧床": Health.BEDRIDDEN,
    "瘫痪": Health.BEDRIDDEN,
}
LIVING = {
    "与家人同住": Living.WITH_FAMILY,
    "与子女同住": Living.WITH_FAMILY,
    "同住": Living.WITH_FAMILY,
    "否": Living.WITH_FAMILY,
    "独居": Living.ALONE,
    "是": Living.ALONE,
    "空巢": Living.EMPTY_NEST,
    "空巢老人": Living.EMPTY_NEST,
    "养老院": Living.CARE_HOME,
    "养老机构": Living.CARE_HOME,
}
YES = {"是", "√", "✓", "Y", "YES", "有", "1", "行动不便"}
NO = {"否", "×", "N", "NO", "无", "0", "正常", ""}
FOOTER = re.compile(r"^(填表人|制表人|填报人|审核人|负责人|联系人|合计|总计|说明|注[:：])")
MAX_LENGTH = {f.name: f.max_length for f in Member._meta.concrete_fields if f.max_length}


class ImportFileError(Exception):
    """The file as a whole cannot be read (not a workbook, empty, no header row...)."""


@dataclass(frozen=True)
class RowError:
    row: int | None  # Excel row number (1-based), None for the whole file
    column: str  # the column header as written in the file, "" for the whole row
    message: str

    def __str__(self):
        if self.row is None:
            return self.message
        if self.column:
            return _("Row %(row)d, column “%(column)s”: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class RowPlan:
    excel_row: int
    name: str
    fields: dict  # Member attnames -> values read from the file (non-empty cells only)
    member_id: int | None = None  # an existing member of this community (same ID number)
    changed: dict = field(default_factory=dict)  # for an existing member: what differs
    # Attnames an empty cell (in a column the file carries) clears on an existing member.
    clears: dict = field(default_factory=dict)
    new_unit_name: str = ""  # an original unit to create on import
    branch_id: int | None = None
    party_group_id: int | None = None
    group_given: bool = False  # the file has a 党小组 column (an empty cell leaves the group)
    reported_on: datetime.date | None = None

    @property
    def cleared(self) -> list[str]:
        """The changes that empty a value."""
        return [key for key in self.changed if key in self.clears]

    @property
    def action(self) -> str:
        if self.member_id is None:
            return "create"
        return "update" if self.changed else "unchanged"


@dataclass
class ImportPlan:
    community: Organization
    district: Organization | None
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    header_row: int = 0
    sheet: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # field -> header as written
    ignored_columns: list[str] = field(default_factory=list)
    new_units: set[str] = field(default_factory=set)

    def add_error(self, row, column, message):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(row, column, str(message)))

    @property
    def create_count(self):
        return sum(1 for r in self.rows if r.action == "create")

    @property
    def update_count(self):
        return sum(1 for r in self.rows if r.action == "update")

    @property
    def unchanged_count(self):
        return sum(1 for r in self.rows if r.action == "unchanged")

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def absent_columns(self) -> list[str]:
        """The optional columns the file does not carry (their values stay as they are);
        gender and birth date always follow the ID number."""
        return [
            HEADERS[name][0]
            for name in HEADERS
            if name not in self.columns and name not in (*REQUIRED, *FROM_ID_NUMBER)
        ]

    @property
    def kept_when_empty(self) -> list[str]:
        """The file's columns whose empty cells keep the member's value."""
        return [self.columns[name] for name in KEPT_WHEN_EMPTY if name in self.columns]


# --- cell values -------------------------------------------------------------------------


def normalize_header(value) -> str:
    text = re.sub(r"\s+", "", nfkc(value))
    text = re.sub(r"[(\[【（].*?[)\]】）]", "", text)  # 出生日期(年-月-日) -> 出生日期
    return text.strip("*＊:：")


def clean_text(value) -> str:
    """NFKC, trimmed, inner runs of spaces collapsed (full-width spaces included)."""
    return re.sub(r"\s+", " ", nfkc(value)).strip()


_CJK = re.compile(r"[\u3400-\u9fff]")


def clean_name(value) -> str:
    """Names padded for alignment ('王  华') lose their spaces; '·' in names stays."""
    text = clean_text(value)
    return text.replace(" ", "") if _CJK.search(text) else text


EXCEL_EPOCH = datetime.date(1899, 12, 30)
_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"), 3),
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"), 2),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), 3),
    (re.compile(r"^(\d{4})(\d{2})$"), 2),
]


def parse_date(value) -> datetime.date:
    """A date from a cell: an Excel date, or text such as 1950-03-05, 1950.3, 1950年3月,
    19500305, 1950/3/5 (a month without a day means its first day). ValueError with a
    message saying what is wrong."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise ValueError(_("not a date"))
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        number = int(value)
        if 10000000 <= number <= 99991231 or 100000 <= number <= 999912:
            return parse_date(str(number))
        if 1 <= number < 80000:  # an Excel serial day number in a cell not formatted as date
            return EXCEL_EPOCH + datetime.timedelta(days=number)
        raise ValueError(_("not a date"))
    if isinstance(value, float):
        value = f"{value}"  # 1950.3 -> "1950.3" (year.month)
    text = re.sub(r"\s+", "", nfkc(value))
    text = re.sub(r"[T]?\d{1,2}:\d{2}(:\d{2})?$", "", text)  # a time part after a date
    for pattern, parts in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            day = int(match.group(3)) if parts == 3 else 1
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise ValueError(
                    _("%(text)s is not a real date.") % {"text": clean_text(value)}
                ) from None
    raise ValueError(
        _("cannot read “%(text)s” as a date (write e.g. 1950-03-05, 1950.3 or 1950年3月).")
        % {"text": clean_text(value)[:30]}
    )


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


class _Deadline:
    def __init__(self):
        self.at = time.monotonic() + read_seconds()

    def check(self):
        if time.monotonic() > self.at:
            raise _too_long()


# An opening <row> or <c> tag, with or without a namespace prefix.
_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")


def _scan(source, deadline: _Deadline):
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


def _cell_value(value):
    """Read with data_only=False, a formula cell's value is its formula text ("=...")."""
    if isinstance(value, str) and value.startswith("="):
        return Formula(value)
    return value


class Formula(str):
    """A cell holding a formula (or text that would become one)."""


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
        deadline = _Deadline()
        _scan(source, deadline)
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
    checker = _RowChecker(plan, community=community, district=district, today=today)
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
                (
                    v
                    for v in (_cell_value(cells[i]) for i in idx if i < len(cells))
                    if not _blank(v)
                ),
                None,
            )
            for name, idx in mapping.items()
        }
        if all(_blank(v) for v in values.values()) or _is_footer(cells, values):
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


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_footer(cells, values) -> bool:
    """'填表人：… 审核人：…' and '合计' lines under the table."""
    texts = [str(value).strip() for value in cells if value not in (None, "")]
    return bool(texts) and _blank(values.get("id_number")) and bool(FOOTER.match(nfkc(texts[0])))


def _find_header(workbook, deadline):
    """The first sheet with a header row among its first rows: (sheet, row index,
    field -> column indexes, unknown headers, the header cells)."""
    best = None
    any_cells = False
    for sheet in workbook.worksheets:
        deadline.check()
        for index, cells in enumerate(sheet.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True)):
            if any(not _blank(v) for v in cells):
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


class _RowChecker:
    """Checks rows one by one, then resolves a chunk against the database (existing
    members, duplicates) with a few IN queries."""

    def __init__(self, plan: ImportPlan, *, community, district, today):
        self.plan = plan
        self.community = community
        self.today = today
        self.first_row_of_id: dict[str, int] = {}
        units = OriginalUnit.objects.filter(district=district) if district else None
        self.units = {}
        if units is not None:
            self.units = {nfkc(n): pk for pk, n in units.values_list("pk", "name")}
        for pk, name in OriginalUnit.objects.filter(district__isnull=True).values_list(
            "pk", "name"
        ):
            self.units.setdefault(nfkc(name), pk)
        branches = list(
            Branch.objects.active(today).filter(organization=community, kind=BranchKind.COMMUNITY)
        )
        self.branches = {}
        for branch in branches:
            self.branches[nfkc(branch.name)] = branch
            short = nfkc(branch.name).removeprefix(nfkc(community.name))
            self.branches.setdefault(short, branch)
        self.branch_names = [b.name for b in branches]
        self.only_branch = branches[0] if len(branches) == 1 else None
        self.groups = {
            (g.branch_id, nfkc(g.name)): g.pk
            for g in PartyGroup.objects.filter(branch__in=branches)
        }
        self.relation_branches = {
            nfkc(name): pk
            for pk, name in Branch.objects.filter(
                organization__path__startswith=(district.path if district else community.path)
            ).values_list("pk", "name")
        }

    def error(self, row, name, message):
        self.plan.add_error(row, self.plan.columns.get(name, ""), message)

    def check(self, excel_row: int, values: dict) -> RowPlan | None:
        before = self.plan.error_count
        fields: dict = {}
        formulas = set()
        for name, value in values.items():
            if isinstance(value, Formula):
                formulas.add(name)
                self.error(
                    excel_row,
                    name,
                    _(
                        "the cell holds a formula (%(formula)s); paste the value itself "
                        "(as text or a number) instead."
                    )
                    % {"formula": value[:30]},
                )
                values[name] = None
        name = clean_name(values.get("name"))
        if not name and "name" not in formulas:
            self.error(excel_row, "name", _("the name is missing."))
        elif len(name) > MAX_LENGTH["name"]:
            self.error(excel_row, "name", _("the name is too long."))
        fields["name"] = name

        id_number = ""
        raw_id = values.get("id_number")
        if _blank(raw_id):
            if "id_number" not in formulas:
                self.error(excel_row, "id_number", _("the ID number is missing."))
        else:
            if isinstance(raw_id, float | int):
                self.error(
                    excel_row,
                    "id_number",
                    _(
                        "the ID number was stored as a number, which loses its last digits; "
                        "format the column as text and type it again."
                    ),
                )
            else:
                try:
                    id_number = validate_id_number(raw_id)
                except ValidationError as error:
                    self.error(excel_row, "id_number", error.messages[0])
        if id_number:
            first = self.first_row_of_id.setdefault(id_number, excel_row)
            if first != excel_row:
                self.error(
                    excel_row,
                    "id_number",
                    _("the same ID number is already on row %(row)d of this file.")
                    % {"row": first},
                )
            fields["id_number"] = id_number

        gender = values.get("gender")
        if not _blank(gender):
            gender_value = GENDERS.get(clean_text(gender))
            if gender_value is None:
                self.error(excel_row, "gender", _("write 男 or 女."))
            elif id_number and id_gender(id_number) != gender_value:
                self.error(excel_row, "gender", _("the gender does not match the ID number."))
            fields["gender"] = gender_value
        elif id_number:
            fields["gender"] = id_gender(id_number)

        dates = {}
        for date_field in (
            "birth_date",
            "retired_on",
            "joined_party_on",
            "full_member_on",
            "reported_on",
        ):
            value = values.get(date_field)
            if _blank(value):
                continue
            try:
                day = parse_date(value)
            except ValueError as error:
                self.error(excel_row, date_field, str(error))
                continue
            if day > self.today:
                self.error(excel_row, date_field, _("the date is in the future."))
                continue
            if day.year < 1880:
                self.error(excel_row, date_field, _("the date is too early to be right."))
                continue
            dates[date_field] = day
        born = dates.get("birth_date")
        if id_number:
            from_id = id_birth_date(id_number)
            if born and born != from_id and not _same_month(born, from_id, values["birth_date"]):
                self.error(
                    excel_row, "birth_date", _("the birth date does not match the ID number.")
                )
            born = from_id
        if born:
            fields["birth_date"] = born
            for later in ("retired_on", "joined_party_on", "full_member_on"):
                if later in dates and dates[later] <= born:
                    self.error(excel_row, later, _("the date is before the birth date."))
        if (
            "joined_party_on" in dates
            and "full_member_on" in dates
            and dates["full_member_on"] < dates["joined_party_on"]
        ):
            self.error(
                excel_row,
                "full_member_on",
                _("a member becomes a full member after joining the party."),
            )
        for date_field in ("retired_on", "joined_party_on", "full_member_on"):
            if date_field in dates:
                fields[date_field] = dates[date_field]

        for text_field in ("ethnicity", "address", "former_post", "rank", "skills"):
            value = values.get(text_field)
            if _blank(value):
                continue
            text = clean_text(value)
            if text_field == "ethnicity" and text and not text.endswith("族"):
                text += "族"
            if len(text) > MAX_LENGTH[text_field]:
                self.error(
                    excel_row,
                    text_field,
                    _("too long (at most %(n)d characters).") % {"n": MAX_LENGTH[text_field]},
                )
                continue
            fields[text_field] = text

        phone = values.get("phone")
        if not _blank(phone):
            if isinstance(phone, float) and phone.is_integer():
                phone = int(phone)
            try:
                fields["phone"] = validate_phone(phone)
            except ValidationError as error:
                self.error(excel_row, "phone", error.messages[0])

        for choice_field, table in (
            ("retirement_type", RETIREMENT),
            ("health", HEALTH),
            ("living", LIVING),
        ):
            value = values.get(choice_field)
            if _blank(value):
                continue
            key = re.sub(r"\s+", "", nfkc(value))
            if choice_field == "health" and "行动不便" in key:
                fields["mobility_impaired"] = True
                key = key.replace("行动不便", "").strip("、,，;；") or "一般"
            choice = table.get(key)
            if choice is None:
                allowed = "、".join(dict.fromkeys(k for k in table if len(k) > 1))
                self.error(
                    excel_row,
                    choice_field,
                    _("“%(value)s” is not one of: %(allowed)s.")
                    % {"value": clean_text(value)[:20], "allowed": allowed},
                )
                continue
            fields[choice_field] = choice
        mobility = values.get("mobility")
        if not _blank(mobility):
            key = re.sub(r"\s+", "", nfkc(mobility)).upper()
            if key in YES:
                fields["mobility_impaired"] = True
            elif key in NO:
                fields["mobility_impaired"] = False
            else:
                self.error(excel_row, "mobility", _("write 是 or 否."))

        row = RowPlan(excel_row=excel_row, name=name, fields=fields)
        for column, cleared in CLEARED_BY_EMPTY_CELL.items():
            if column in values and _blank(values[column]):
                row.clears.update({k: v for k, v in cleared.items() if k not in fields})
        unit_name = clean_text(values.get("original_unit"))
        if unit_name:
            if len(unit_name) > 120:
                self.error(
                    excel_row,
                    "original_unit",
                    _("too long (at most %(n)d characters).") % {"n": 120},
                )
            elif unit_name in self.units:
                fields["original_unit_id"] = self.units[unit_name]
            else:
                row.new_unit_name = unit_name
                fields["original_unit_id"] = None
                self.plan.new_units.add(unit_name)

        relation = clean_text(values.get("relation"))
        if relation:
            if relation in self.relation_branches:
                fields["relation_kind"] = RelationKind.BRANCH
                fields["relation_branch_id"] = self.relation_branches[relation]
                fields["relation_note"] = ""
            elif unit_name and (relation in unit_name or unit_name in relation):
                fields["relation_kind"] = RelationKind.UNIT
                fields["relation_branch_id"] = None
                fields["relation_note"] = relation[:120]
            else:
                fields["relation_kind"] = RelationKind.OTHER
                fields["relation_branch_id"] = None
                fields["relation_note"] = relation[:120]

        self._placement(row, excel_row, values)
        if "reported_on" in dates:
            row.reported_on = dates["reported_on"]
        return row if self.plan.error_count == before else None

    def _placement(self, row, excel_row, values):
        branch_text = clean_text(values.get("branch"))
        group_text = clean_text(values.get("party_group"))
        row.group_given = "party_group" in values
        branch = None
        if branch_text:
            branch = self.branches.get(branch_text)
            if branch is None:
                self.error(
                    excel_row,
                    "branch",
                    _("no branch “%(name)s” in %(community)s (its branches: %(names)s).")
                    % {
                        "name": branch_text[:40],
                        "community": self.community.name,
                        "names": "、".join(self.branch_names) or _("none yet"),
                    },
                )
                return
        elif group_text:
            branch = self.only_branch
            if branch is None:
                self.error(
                    excel_row, "party_group", _("name the branch too: the community has several.")
                )
                return
        if branch is None:
            return
        row.branch_id = branch.pk
        row.fields["home_branch_id"] = branch.pk
        if group_text:
            group_id = self.groups.get((branch.pk, group_text))
            if group_id is None:
                self.error(
                    excel_row,
                    "party_group",
                    _("no party group “%(name)s” in %(branch)s.")
                    % {"name": group_text[:30], "branch": branch.name},
                )
                return
            row.party_group_id = group_id
            row.fields["party_group_id"] = group_id

    def resolve(self, rows: list[RowPlan]):
        """Match a chunk of rows with existing members by ID number: update those of this
        community, refuse those registered in another one."""
        if not rows:
            return
        # The ID number is stored encrypted: match on its keyed hash, and leave the
        # number itself out of the comparison (an equal hash is the same number).
        attnames = sorted(
            {key for row in rows for key in (*row.fields, *row.clears)} - {"id_number"}
            | {"home_branch_id", "party_group_id"}
        )
        hashes = {row.excel_row: id_number_hash(row.fields["id_number"]) for row in rows}
        existing = {
            values["id_number_hash"]: values
            for values in Member.objects.filter(id_number_hash__in=hashes.values()).values(
                "pk", "community_id", "id_number_hash", *attnames
            )
        }
        kept = []
        for row in rows:
            found = existing.get(hashes[row.excel_row])
            if found is None:
                kept.append(row)
                continue
            if found["community_id"] != self.community.pk:
                self.error(
                    row.excel_row,
                    "id_number",
                    _(
                        "this person is already registered in another community; ask the "
                        "district bureau to sort out where they belong."
                    ),
                )
                continue
            row.member_id = found["pk"]
            if row.branch_id and not row.group_given and found["home_branch_id"] != row.branch_id:
                # No 党小组 column: the member keeps their group, unless they move to
                # another branch (a group belongs to its branch).
                row.clears["party_group_id"] = None
            wanted = {**row.clears, **row.fields}
            row.changed = {
                key: value
                for key, value in wanted.items()
                if key != "id_number" and found.get(key) != value
            }
            if row.new_unit_name:
                row.changed["original_unit_id"] = None
            kept.append(row)
        rows[:] = kept


def _same_month(stated: datetime.date, from_id: datetime.date, raw) -> bool:
    """'出生年月' columns often hold only year and month: 1950.3 agrees with 19500305."""
    if isinstance(raw, datetime.date):
        return False
    text = re.sub(r"\s+", "", nfkc(raw))
    month_only = any(
        pattern.match(text) for pattern, parts in _DATE_PATTERNS if parts == 2
    ) or isinstance(raw, float)
    return month_only and (stated.year, stated.month) == (from_id.year, from_id.month)


def template_workbook():
    """A blank 花名册 workbook with the standard headers (a title row above them)."""
    import openpyxl

    headers = [
        "序号",
        "姓名",
        "性别",
        "民族",
        "出生日期",
        "身份证号",
        "联系电话",
        "家庭住址",
        "原工作单位",
        "原职务",
        "职级",
        "离退休类别",
        "离退休时间",
        "入党时间",
        "转正时间",
        "组织关系所在",
        "健康状况",
        "行动不便",
        "居住情况",
        "特长",
        "所在支部",
        "党小组",
        "报到时间",
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(["离退休干部党员花名册"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(["填报单位：", "", "", "填报日期："])
    sheet.append(headers)
    for column in range(1, len(headers) + 1):
        sheet.cell(row=3, column=column).number_format = "@"
        letter = openpyxl.utils.get_column_letter(column)
        sheet.column_dimensions[letter].width = 14
        for row in range(4, 200):
            sheet.cell(row=row, column=column).number_format = "@"
    return workbook
