"""Reading 花名册 workbooks: the shapes communities really use, every rule checked, and
all-or-nothing writes. Error messages are checked in Chinese (the site's language)."""

import datetime
import io
import re
import time
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from accounts import audit
from accounts.crypto import PREFIX, keyed_hash
from accounts.models import AuditAction, AuditEntry
from branches.models import OriginalUnit
from members.importing import reading
from members.importing.checking import parse_date
from members.importing.plan import ImportFileError, template_workbook
from members.importing.reading import read_plan
from members.importing.writing import members_import
from members.models import CommunityRegistration, Member, id_number_hash
from members.validators import make_id_number
from tests import factories as f

from .workbooks import HEADER, person, workbook


def plan_for(data, cast, community=None):
    return read_plan(io.BytesIO(data), community=community or cast.community_a)


def do_import(data, cast, community=None):
    plan = plan_for(data, cast, community)
    assert plan.errors == []
    return plan, members_import(
        plan=plan, community=community or cast.community_a, actor=cast.user("community_secretary")
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (datetime.datetime(1950, 3, 5), datetime.date(1950, 3, 5)),
        ("1950-03-05", datetime.date(1950, 3, 5)),
        ("1950-3-5", datetime.date(1950, 3, 5)),
        ("1950/3/5", datetime.date(1950, 3, 5)),
        ("1950.3.5", datetime.date(1950, 3, 5)),
        ("1950.3", datetime.date(1950, 3, 1)),
        (1950.3, datetime.date(1950, 3, 1)),
        ("1950.03", datetime.date(1950, 3, 1)),
        ("1950年3月", datetime.date(1950, 3, 1)),
        ("1950年3月5日", datetime.date(1950, 3, 5)),
        ("19500305", datetime.date(1950, 3, 5)),
        (19500305, datetime.date(1950, 3, 5)),
        ("195003", datetime.date(1950, 3, 1)),
        ("１９５０年３月５日", datetime.date(1950, 3, 5)),
        (" 1950 - 03 - 05 ", datetime.date(1950, 3, 5)),
        ("1950-03-05 00:00:00", datetime.date(1950, 3, 5)),
        (18327, datetime.date(1950, 3, 5)),  # an Excel day number in a General cell
    ],
)
def test_dates_are_read_in_the_usual_spellings(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["1950-02-30", "1950.13", "上世纪五十年代", "2"])
def test_impossible_or_unreadable_dates_are_refused(cell):
    with pytest.raises(ValueError):
        parse_date(cell)


def test_a_real_looking_workbook_is_read_below_its_title_rows(cast):
    rows = [person(1), person(2, male=False, 健康状况="卧床"), person(3, 类别="离休")]
    plan = plan_for(workbook(rows, footer="填表人：张三    审核人：李四"), cast)
    assert plan.errors == []
    assert plan.header_row == 3
    assert [r.excel_row for r in plan.rows] == [4, 5, 6]
    assert plan.create_count == 3
    assert plan.ignored_columns == []  # 序号 and 备注 are known and skipped
    second = plan.rows[1].fields
    assert second["gender"] == "female" and second["health"] == "bedridden"
    assert plan.rows[2].fields["retirement_type"] == "lixiu"
    assert plan.rows[0].fields["joined_party_on"] == datetime.date(1972, 7, 1)


def test_headers_in_another_order_and_spelling_are_recognised(cast):
    header = ["联系电话", "身份证号", "姓名", "出生日期", "原工作单位", "离退休类别"]
    row = person(4, born=datetime.date(1950, 3, 5))
    data = {
        "联系电话": "１３９ ０００１ ２３４５",
        "身份证号": row["公民身份号码"].lower(),
        "姓名": "王　　华",  # full-width spaces used for alignment
        "出生日期": "1950.3",  # only a month: agrees with the ID number's date
        "原工作单位": " 东城区教育局 ",
        "离退休类别": "退休干部",
    }
    plan = plan_for(workbook([data], header=header, title=False), cast)
    assert plan.errors == [], [str(e) for e in plan.errors]
    fields = plan.rows[0].fields
    assert fields["name"] == "王华"
    assert fields["phone"] == "13900012345"
    assert fields["id_number"] == row["公民身份号码"].upper()
    assert fields["original_unit_id"] == cast.unit_a.pk


def test_importing_writes_members_registrations_and_an_audit_record_for_each(cast):
    rows = [person(1, 所在支部=cast.branch_a.name, 党小组=cast.group_a.name), person(2)]
    rows[1]["原单位"] = "市第九中学"  # not yet in the portal: created with the import
    _plan, outcome = do_import(workbook(rows), cast)
    assert (outcome.created, outcome.updated, outcome.units_created) == (2, 0, 1)
    placed = Member.objects.get(name="导入001号")
    assert (placed.home_branch, placed.party_group) == (cast.branch_a, cast.group_a)
    assert placed.registrations.get().status == "accepted"
    waiting = Member.objects.get(name="导入002号")
    assert waiting.registrations.get().status == "reported"
    assert waiting.original_unit.name == "市第九中学"
    assert waiting.original_unit.district == cast.district_a
    # One audit entry for the batch: its counts, and each member, registration and new
    # unit it created, with masked values; the chain still verifies.
    [entry] = AuditEntry.objects.filter(action=AuditAction.IMPORT)
    assert not AuditEntry.objects.filter(action=AuditAction.CREATE).exists()
    assert entry.changes["after"]["created"] == 2
    assert entry.changes["after"]["registrations"] == 2
    assert entry.changes["after"]["units_created"] == 1
    batch = entry.changes["batch"]
    members = [c for c in batch if c["type"] == "members.member"]
    assert {(c["action"], c["id"]) for c in members} == {
        ("create", str(placed.pk)),
        ("create", str(waiting.pk)),
    }
    assert {c["type"] for c in batch} == {
        "members.member",
        "members.communityregistration",
        "branches.originalunit",
    }
    shown = next(c for c in members if c["id"] == str(placed.pk))
    assert shown["object"] == placed.audit_repr()
    assert "导入001号" not in str(entry.changes)  # names masked
    assert shown["after"]["id_number"] == placed.id_number[:3] + "*" * 11 + placed.id_number[-4:]
    assert shown["after"]["phone"] == placed.phone[:3] + "****" + placed.phone[-4:]
    assert audit.verify().ok


def test_imported_rows_are_stored_as_a_save_would_store_them(cast, imported):
    """The import inserts by COPY on PostgreSQL: the fields still prepare each value
    (encrypted at rest, keyed hashes, timestamps), the ids come from the table's
    sequence, and the registration points at the member."""
    member = Member.objects.get(name="导入钱秀英")
    id_number, id_hash, phone, address, health, health_hash = f.raw_member_columns(
        member.pk, "id_number", "id_number_hash", "phone", "address", "health", "health_hash"
    )
    assert all(value.startswith(PREFIX) for value in (id_number, phone, address, health))
    assert (member.id_number, member.phone, member.health) == (
        full_row(cast)["身份证号"],
        "13912345678",
        "bedridden",
    )
    assert id_hash == id_number_hash(member.id_number)
    assert health_hash == keyed_hash("bedridden")
    assert member.created_at is not None and member.updated_at is not None
    assert member.registrations.get().community == cast.community_a
    later = f.member(name="张后来", community=cast.community_a)  # the sequence moved on
    assert later.pk > member.pk


def test_importing_the_same_file_again_creates_no_duplicates_and_updates_what_changed(cast):
    rows = [person(1), person(2)]
    do_import(workbook(rows), cast)
    again = plan_for(workbook(rows), cast)
    assert (again.create_count, again.update_count, again.unchanged_count) == (0, 0, 2)
    rows[1]["手机号码"] = "13512345678"
    rows[1]["健康状况"] = "一般"
    plan, outcome = do_import(workbook(rows), cast)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 1)
    assert set(plan.rows[1].changed) == {"phone", "health"}
    member = Member.objects.get(name="导入002号")
    assert (member.phone, member.health) == ("13512345678", "fair")
    # Health is stored encrypted: the update wrote its keyed hash too (bulk_update).
    assert list(Member.objects.filter(name__startswith="导入").with_health("fair")) == [member]
    assert Member.objects.filter(name__startswith="导入").count() == 2
    assert CommunityRegistration.objects.filter(member__name__startswith="导入").count() == 2
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORT).order_by("pk").last()
    [update] = [c for c in entry.changes["batch"] if c["id"] == str(member.pk)]
    assert update["action"] == "update" and update["type"] == "members.member"
    # The trail says what changed, never the values (health is hidden like the notes).
    assert update["after"] == {"phone": "135****5678", "health": "***"}
    assert update["before"]["phone"].startswith("139") and "*" in update["before"]["phone"]
    assert entry.changes["after"]["updated"] == 1 and entry.changes["after"]["unchanged"] == 1
    assert audit.verify().ok


def test_an_existing_unit_is_matched_again_on_reimport(cast):
    rows = [person(1, 原单位="市第九中学")]
    do_import(workbook(rows), cast)
    again = plan_for(workbook(rows), cast)
    assert again.new_units == set()
    assert OriginalUnit.objects.filter(name="市第九中学").count() == 1


# --- malformed files: a located error in Chinese and nothing written -----------------------


def assert_nothing_written(cast):
    assert not Member.objects.filter(name__startswith="导入").exists()
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()


def errors_of(data, cast, community=None):
    plan = plan_for(data, cast, community)
    assert not plan.ok
    with pytest.raises(Exception):  # noqa: B017 (the service refuses a plan with errors)
        members_import(plan=plan, community=cast.community_a, actor=None)
    assert_nothing_written(cast)
    return [str(e) for e in plan.errors]


def file_error(data, cast):
    with pytest.raises(ImportFileError) as caught:
        plan_for(data, cast)
    assert_nothing_written(cast)
    return str(caught.value)


def test_a_file_that_is_not_a_workbook_is_refused(cast):
    assert "不是 Excel 工作簿" in file_error(b"name,id\n", cast)


def test_an_empty_workbook_is_refused(cast):
    book = openpyxl.Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    assert file_error(buffer.getvalue(), cast) == "工作簿是空的。"


def test_a_workbook_with_only_headers_is_refused(cast):
    message = file_error(workbook([]), cast)
    assert message == "只有表头（第 3 行），文件中没有党员数据。"


def test_a_workbook_without_a_header_row_is_refused(cast):
    message = file_error(workbook([{"序号": 1}], header=["序号", "名字", "号码"]), cast)
    assert "未找到表头" in message


def test_a_header_without_the_id_column_names_what_is_missing(cast):
    header = ["姓名", "性别", "出生日期", "联系电话"]
    message = file_error(workbook([{"姓名": "王华"}], header=header), cast)
    assert message == "第 3 行像是表头，但缺少“身份证号”列。"


def test_a_duplicated_id_inside_the_file_names_both_rows(cast):
    first = person(1)
    second = person(2, 公民身份号码=first["公民身份号码"], 出生年月=first["出生年月"])
    assert errors_of(workbook([first, second]), cast) == [
        "第 5 行，“公民身份号码”列：与本文件第 4 行的身份证号重复。"
    ]


def test_an_id_already_registered_in_another_community_is_refused(cast):
    row = person(1, 公民身份号码=cast.member_b.id_number)
    row["出生年月"] = cast.member_b.birth_date.strftime("%Y-%m-%d")
    row["性别"] = "女"
    errors = errors_of(workbook([row]), cast)
    assert errors == [
        "第 4 行，“公民身份号码”列：此人已在其他社区登记，请联系区委老干部局核实其所在社区。"
    ]
    assert Member.objects.get(pk=cast.member_b.pk).community == cast.community_b


def test_a_bad_check_digit_is_located(cast):
    row = person(1)
    number = row["公民身份号码"]
    row["公民身份号码"] = number[:17] + ("0" if number[17] != "0" else "1")
    assert errors_of(workbook([person(2), row]), cast) == [
        "第 5 行，“公民身份号码”列：身份证号校验位不正确，请核对号码。"
    ]


def test_an_impossible_date_is_located(cast):
    row = person(1, 转正时间="1973-02-30")
    assert errors_of(workbook([row]), cast) == [
        "第 4 行，“转正时间”列：“1973-02-30”不是存在的日期。"
    ]


def test_a_missing_name_is_located(cast):
    row = person(1, **{"姓 名": "   "})
    assert errors_of(workbook([row]), cast) == ["第 4 行，“姓 名”列：姓名为空。"]


def test_a_short_phone_number_is_located(cast):
    row = person(1, 手机号码="1391234567")
    assert errors_of(workbook([row]), cast) == [
        "第 4 行，“手机号码”列：手机号码应为 11 位，这个是 10 位。"
    ]


def test_formula_cells_are_refused_not_evaluated(cast):
    row = person(1, 手机号码='=HYPERLINK("http://x","点我")', **{"姓 名": "=A1&B1"})
    errors = errors_of(workbook([row]), cast)
    assert len(errors) == 2
    assert all(e.startswith("第 4 行") and "单元格是公式" in e for e in errors)


def test_an_id_number_stored_as_a_number_is_refused(cast):
    row = person(1, 公民身份号码=319901195003050011)
    [error] = errors_of(workbook([row]), cast)
    assert "身份证号被存成了数字" in error


def test_an_unknown_branch_lists_the_community_branches(cast):
    row = person(1, 所在支部="不存在的支部")
    [error] = errors_of(workbook([row]), cast)
    assert error.startswith("第 4 行，“所在支部”列：翠园社区没有名为“不存在的支部”的支部")
    assert cast.branch_a.name in error


def test_every_bad_row_is_reported_and_the_good_ones_are_not_written(cast):
    rows = [person(1), person(2, 手机号码="123"), person(3), person(4, 性别="未知")]
    errors = errors_of(workbook(rows), cast)
    assert [e.split("，")[0] for e in errors] == ["第 5 行", "第 7 行"]


def test_a_birth_date_that_disagrees_with_the_id_number_is_located(cast):
    row = person(1, 出生年月="1960-01-01")
    assert errors_of(workbook([row]), cast) == ["第 4 行，“出生年月”列：出生日期与身份证号不符。"]


# --- the management command ---------------------------------------------------------------


def test_the_command_dry_run_writes_nothing(cast, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook([person(1), person(2)]))
    call_command("import_members", str(path), "--community", cast.community_a.code, "--dry-run")
    assert "2 new" in capsys.readouterr().out
    assert_nothing_written(cast)


def test_the_command_imports_and_reports(cast, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook([person(1), person(2)]))
    call_command(
        "import_members",
        str(path),
        "--community",
        cast.community_a.code,
        "--user",
        "community_secretary",
    )
    assert "Imported" in capsys.readouterr().out
    assert Member.objects.filter(name__startswith="导入").count() == 2
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.actor == cast.user("community_secretary")


def test_the_command_prints_located_errors_and_fails(cast, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook([person(1, 手机号码="12")]))
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_members", str(path), "--community", cast.community_a.code)
    assert "第 4 行，“手机号码”列" in capsys.readouterr().err
    assert_nothing_written(cast)


def test_a_template_workbook_is_read_back_as_a_valid_empty_roster(cast):
    buffer = io.BytesIO()
    template_workbook().save(buffer)
    with pytest.raises(ImportFileError, match="只有表头"):
        plan_for(buffer.getvalue(), cast)


def test_the_standard_headers_cover_the_member_fields(cast):
    born = datetime.date(1949, 10, 1)
    data = {h: "" for h in HEADER}
    data.update({"姓 名": "刘英", "公民身份号码": make_id_number("319901", born, 5, male=False)})
    plan = plan_for(workbook([data]), cast)
    assert plan.errors == []
    assert plan.rows[0].fields["birth_date"] == born
    assert plan.rows[0].fields["gender"] == "female"


def test_errors_are_listed_in_row_order(cast, monkeypatch):
    monkeypatch.setattr(reading, "CHUNK", 2)
    taken = person(1, 公民身份号码=cast.member_b.id_number)
    taken["出生年月"] = cast.member_b.birth_date.isoformat()
    taken["性别"] = "女"
    rows = [taken, person(2), person(3, 手机号码="12")]
    errors = errors_of(workbook(rows), cast)
    assert [e.split("，")[0] for e in errors] == ["第 4 行", "第 6 行"]


def test_a_file_with_too_many_rows_is_refused(cast, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    message = file_error(workbook([person(n) for n in range(1, 5)]), cast)
    assert "超过 3 行" in message


# --- a re-import changes only what the workbook carries ------------------------------------

# Every column the template names, with a value unlike the portal's defaults.
FULL_HEADER = [
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
# column -> (the member's attribute an empty cell clears, its cleared value, its label in
# the preview); None:
# an empty cell keeps the value (it follows the ID number, or the portal always holds one).
OPTIONAL_COLUMNS = {
    "性别": None,
    "民族": ("ethnicity", "", "民族"),
    "出生日期": None,
    "联系电话": ("phone", "", "电话"),
    "家庭住址": ("address", "", "家庭住址"),
    "原工作单位": ("original_unit_id", None, "原单位"),
    "原职务": ("former_post", "", "原职务"),
    "职级": ("rank", "", "职级"),
    "离退休类别": None,
    "离退休时间": ("retired_on", None, "离退休时间"),
    "入党时间": ("joined_party_on", None, "入党时间"),
    "转正时间": ("full_member_on", None, "转正时间"),
    "组织关系所在": None,
    "健康状况": None,
    "行动不便": ("mobility_impaired", False, "行动不便"),
    "居住情况": None,
    "特长": ("skills", "", "特长爱好"),
    "所在支部": None,
    "党小组": ("party_group_id", None, "党小组"),
    "报到时间": None,
}
KEPT = "以下列的空白单元格不会清除已有信息："
ABSENT = "工作簿没有以下列，这些信息保持不变："


def full_row(cast):
    born = datetime.date(1950, 3, 5)
    return {
        "姓名": "导入钱秀英",
        "性别": "女",
        "民族": "回族",
        "出生日期": "1950-03-05",
        "身份证号": make_id_number("319901", born, 41, male=False),
        "联系电话": "13912345678",
        "家庭住址": "翠园路1号",
        "原工作单位": cast.unit_a.name,
        "原职务": "科长",
        "职级": "正科级",
        "离退休类别": "离休",
        "离退休时间": "2010-03-01",
        "入党时间": "1972-07-01",
        "转正时间": "1973-07-01",
        "组织关系所在": cast.branch_a.name,
        "健康状况": "卧床",
        "行动不便": "是",
        "居住情况": "独居",
        "特长": "书法",
        "所在支部": cast.branch_a.name,
        "党小组": cast.group_a.name,
        "报到时间": "2020-05-01",
    }


def member_state(member):
    member.refresh_from_db()
    registration = member.registrations.get()
    values = {
        f.attname: getattr(member, f.attname)
        for f in Member._meta.concrete_fields
        if f.attname not in {"updated_at", "id_number_hash", "health_hash"}
    }
    values["registration"] = (
        registration.branch_id,
        registration.party_group_id,
        registration.reported_on,
    )
    return values


@pytest.fixture
def imported(cast):
    """导入钱秀英, imported once with every column filled."""
    do_import(workbook([full_row(cast)], header=FULL_HEADER), cast)
    return Member.objects.get(name="导入钱秀英")


def web_reimport(cast, client_for, data):
    """Upload and check through the pages; the preview's text, then confirm."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from members.models import ImportRun

    client = client_for("community_secretary")
    client.post(
        reverse("members:import_upload"),
        {"community": cast.community_a.pk, "file": SimpleUploadedFile("花名册.xlsx", data)},
    )
    run = ImportRun.objects.latest("created_at")
    preview = client.post(
        reverse("members:import_check", args=[run.token]), HTTP_HX_REQUEST="true"
    ).content.decode()
    client.post(reverse("members:import_confirm", args=[run.token]))
    run.refresh_from_db()
    assert run.state == "done", run.report
    return preview


def note(preview, lead):
    """The preview's sentence that starts with `lead` (its columns)."""
    return preview.split(lead, 1)[1].split("<", 1)[0]


@pytest.mark.parametrize("column", list(OPTIONAL_COLUMNS))
def test_a_column_the_workbook_lacks_leaves_the_members_value(column, cast, imported, client_for):
    before = member_state(imported)
    header = [h for h in FULL_HEADER if h != column]
    preview = web_reimport(cast, client_for, workbook([full_row(cast)], header=header))
    assert member_state(imported) == before
    assert "所有行均正确：将新增 0 人，更新 0 人，1 人无变化。" in preview
    if column not in ("性别", "出生日期"):  # these two always follow the ID number
        assert note(preview, ABSENT).rstrip("。").split("、") == [column]


@pytest.mark.parametrize("column", list(OPTIONAL_COLUMNS))
def test_an_empty_cell_in_a_column_the_workbook_carries_clears_the_value(
    column, cast, imported, client_for
):
    before = member_state(imported)
    row = dict(full_row(cast), **{column: ""})
    preview = web_reimport(cast, client_for, workbook([row], header=FULL_HEADER))
    after = member_state(imported)
    cleared = OPTIONAL_COLUMNS[column]
    if cleared is None:
        assert after == before
        assert "更新 0 人，1 人无变化" in preview
        assert column in note(preview, KEPT).rstrip("。").split("、")
        return
    attname, empty, label = cleared
    expected = dict(before, **{attname: empty})
    if attname == "party_group_id":  # the registration's group goes with the member's
        expected["registration"] = (cast.branch_a.pk, None, before["registration"][2])
    assert after == expected
    assert before[attname] != after[attname]
    assert "将新增 0 人，更新 1 人，0 人无变化" in preview
    assert f"<td>{label}（清空）</td>" in preview
    assert re.search(f"空白单元格将清空以下信息：</strong>\\s*{label} 1 人", preview)


# --- hostile workbooks: the read stops at a bound, quickly, with a Chinese error -----------

SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)


def hostile_workbook(body_pieces) -> bytes:
    """A minimal .xlsx whose only sheet has no <dimension>: a header row and one member,
    then `body_pieces` (bytes, streamed into the zip as they come)."""
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" '
            f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
            '<sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    member = person(1)
    header, first = (
        "<row>"
        + "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in values)
        + "</row>"
        for values in (("姓名", "身份证号"), (member["姓 名"], member["公民身份号码"]))
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_START)
            sheet.write(f"{header}{first}".encode())
            for piece in body_pieces:
                sheet.write(piece)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def empty_rows(count):
    piece = b"<row><c/></row>" * 10_000
    return (piece for _ in range(count // 10_000))


def refused_in(data, cast):
    """The error and the seconds it took to refuse the file."""
    started = time.monotonic()
    message = file_error(data, cast)
    return message, time.monotonic() - started


def test_the_issues_ten_million_empty_rows_are_refused_in_a_moment(cast):
    data = hostile_workbook(empty_rows(10_000_000))
    assert len(data) < 400_000  # a small upload (296 KB in the issue)
    message, seconds = refused_in(data, cast)
    assert message == (
        "工作簿解压后超过 64 MB，远超一份名册所需：请删除多余的空行和图片，或拆成几个较小的文件。"
    )
    assert seconds < 2


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        # Blank rows count: a million of them stay under the unpacked-size bound.
        pytest.param(
            lambda: empty_rows(1_000_000),
            "工作簿超过 40000 行（空行也计算在内），已停止读取。请删除表格下方多余的空行，"
            "或把名册拆成几个较小的文件。",
            id="blank-rows",
        ),
        # One row far down: openpyxl makes up every row above it.
        pytest.param(
            lambda: [b'<row r="1000000"><c r="A1000000"/></row>'],
            "工作簿超过 40000 行（空行也计算在内），已停止读取。请删除表格下方多余的空行，"
            "或把名册拆成几个较小的文件。",
            id="far-row",
        ),
        # One row of a hundred thousand cells (openpyxl builds a row whole in memory).
        pytest.param(
            lambda: [b"<row>" + b"<c/>" * 100_000 + b"</row>"],
            "工作簿的单元格多于一份名册可能有的数量（每行最多 16384 列，"
            "总共最多 2000000 个单元格），已停止读取。",
            id="wide-row",
        ),
    ],
)
def test_reading_stops_at_the_row_and_cell_bounds(pieces, expected, cast):
    message, seconds = refused_in(hostile_workbook(pieces()), cast)
    assert message == expected
    assert seconds < 2


def test_reading_stops_at_the_time_bound(cast, settings):
    settings.MEMBER_IMPORT_READ_SECONDS = 0
    message = file_error(workbook([person(1)]), cast)
    assert message == (
        "读取工作簿超过 0 秒，已停止：请把名册拆成几个较小的文件（例如每个支部一个）。"
    )


def test_the_hostile_workbook_reads_as_a_roster_once_its_empty_rows_are_few(cast):
    """The same construction with a few empty rows is a valid one-member roster, so the
    refusals above come from the bounds, not from a broken file."""
    plan = plan_for(hostile_workbook(empty_rows(10_000)), cast)
    assert (plan.errors, plan.create_count) == ([], 1)


def test_a_sheet_damaged_inside_the_zip_is_refused_as_damaged(cast):
    data = bytearray(workbook([person(n) for n in range(1, 30)]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    # The local header is 30 bytes, then the name and the extra field, then the data.
    start = sheet.header_offset + 30 + len(sheet.filename) + len(sheet.extra)
    middle = start + sheet.compress_size // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    assert file_error(bytes(data), cast) == "无法读取该工作簿，文件可能已损坏。请重新另存为 .xlsx。"


def test_the_command_says_what_a_reimport_keeps_and_clears(cast, imported, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    header = [h for h in FULL_HEADER if h != "联系电话"]
    path.write_bytes(workbook([dict(full_row(cast), 党小组="")], header=header))
    call_command("import_members", str(path), "--community", cast.community_a.code, "--dry-run")
    out = capsys.readouterr().out
    assert "0 new, 1 updated, 0 unchanged" in out
    assert "not in the file, kept: 联系电话;" in out
    assert "cleared by empty cells: party_group (1)" in out
