"""Checking a workbook's rows: cell values normalised (full-width digits, dates in the
usual spellings), each row checked, then each chunk against the roster.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from branches.models import Branch, BranchKind, OriginalUnit, PartyGroup

from ..models import Gender, Health, Living, Member, RelationKind, RetirementType, id_number_hash
from ..validators import id_birth_date, id_gender, nfkc, validate_id_number, validate_phone
from .plan import CLEARED_BY_EMPTY_CELL, ImportPlan, RowPlan

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

MAX_LENGTH = {f.name: f.max_length for f in Member._meta.concrete_fields if f.max_length}

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


def cell_value(value):
    """Read with data_only=False, a formula cell's value is its formula text ("=...")."""
    if isinstance(value, str) and value.startswith("="):
        return Formula(value)
    return value


class Formula(str):
    """A cell holding a formula (or text that would become one)."""


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class RowChecker:
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
        if blank(raw_id):
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
        if not blank(gender):
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
            if blank(value):
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
            if blank(value):
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
        if not blank(phone):
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
            if blank(value):
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
        if not blank(mobility):
            key = re.sub(r"\s+", "", nfkc(mobility)).upper()
            if key in YES:
                fields["mobility_impaired"] = True
            elif key in NO:
                fields["mobility_impaired"] = False
            else:
                self.error(excel_row, "mobility", _("write 是 or 否."))

        row = RowPlan(excel_row=excel_row, name=name, fields=fields)
        for column, cleared in CLEARED_BY_EMPTY_CELL.items():
            if column in values and blank(values[column]):
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
