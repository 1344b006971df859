"""What a checked workbook becomes: the import plan with its rows and errors, and the
columns a 花名册 carries (their usual headers, and the blank template).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from branches.models import Organization

MAX_ERRORS_KEPT = 1000

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
