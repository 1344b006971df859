"""The branches (with party groups) and original units imports."""

import datetime
import io

import pytest

from branches.models import Branch, BranchKind, OriginalUnit, PartyGroup
from rollout.jobs import services
from rollout.jobs.plan import Action
from rollout.structure import branchlist, unitlist
from rollout.structure.codes import uscc_check_char
from units.messages.models import UnitContact

from ..conftest import xlsx

pytestmark = pytest.mark.django_db

BRANCH_HEAD = (
    "支部代码",
    "支部名称",
    "支部类型",
    "所在社区或街道代码",
    "成立日期",
    "试点",
    "工作品牌",
    "党小组",
)
UNIT_HEAD = ("单位名称", "统一社会信用代码", "所属区代码", "联系人", "联系电话", "电子邮箱")


def check(kind, rows, node):
    return services.check_file(kind.KIND, io.BytesIO(xlsx(rows)), node=node)


def test_branches_with_their_groups_are_added_then_updated_by_code(cast):
    rows = [
        BRANCH_HEAD,
        (
            "B-001",
            "翠园社区第二党支部",
            "社区",
            "319901001001",
            "2019-07-01",
            "是",
            "银龄先锋",
            "第一党小组、第二党小组",
        ),
        (
            "B-002",
            "和平街道合唱团功能型党支部",
            "功能型党支部",
            319901001,
            datetime.datetime(2020, 1, 5),
            "否",
            "",
            "",
        ),
    ]
    plan = check(branchlist, rows, cast.district_a)
    assert plan.ok, plan.errors
    services.write_plan(
        branchlist.KIND, plan, node=cast.district_a, actor=cast.user("district_staff")
    )
    second = Branch.objects.get(code="B-001")
    assert (second.organization, second.kind, second.is_pilot, second.work_brand) == (
        cast.community_a,
        BranchKind.COMMUNITY,
        True,
        "银龄先锋",
    )
    assert second.established_on == datetime.date(2019, 7, 1)
    assert list(second.groups.values_list("number", "name")) == [
        (1, "第一党小组"),
        (2, "第二党小组"),
    ]
    assert Branch.objects.get(code="B-002").organization == cast.street_a

    rows[1] = ("B-001", "翠园社区第二党支部", "", "", "", "否", "", "第三党小组")
    plan = check(branchlist, rows, cast.district_a)
    assert [(r.action, sorted(r.changes)) for r in plan.rows] == [
        (Action.CHANGE, ["groups", "is_pilot"]),
        (Action.LEAVE, []),
    ]
    services.write_plan(branchlist.KIND, plan, node=cast.district_a)
    second.refresh_from_db()
    assert second.is_pilot is False and second.work_brand == "银龄先锋"  # a blank cell keeps it
    assert PartyGroup.objects.filter(branch=second).count() == 3


def test_a_branch_under_a_node_that_does_not_exist_is_named(cast):
    rows = [
        BRANCH_HEAD,
        ("B-003", "不存在社区党支部", "社区", "319901001099", "", "", "", ""),
        ("B-004", "街道上的社区支部", "社区", "319901001", "", "", "", ""),
        ("B-005", "西湖区支部", "社区", "319902001001", "", "", "", ""),
        ("B-006", "无编号小组支部", "社区", "319901001001", "", "也许", "", "老年组"),
    ]
    plan = check(branchlist, rows, cast.district_a)
    found = {(e["row"], e["column"]) for e in plan.errors}
    assert found == {
        (2, "所在社区或街道代码"),
        (3, "所在社区或街道代码"),
        (4, "所在社区或街道代码"),
        (5, "试点"),
        (5, "党小组"),
    }
    assert "319901001099" in plan.errors[0]["message"]


def valid(body: str) -> str:
    """A credit code with the right check character after these 17."""
    return body + uscc_check_char(body)


def test_units_are_checked_by_their_credit_code_and_phones_kept_encrypted(cast):
    from django.db import connection

    health, culture = valid("11319901MB0000001"), valid("12319901MB0000002")
    rows = [
        UNIT_HEAD,
        ("东城区卫生健康委员会", health, "", "周敏", "021-63210000", "wsjw@example.cn"),
        ("东城区文化馆", culture, "319901", "", "13800001234", ""),
    ]
    plan = check(unitlist, rows, cast.district_a)
    assert plan.ok, plan.errors
    services.write_plan(unitlist.KIND, plan, node=cast.district_a)
    unit = OriginalUnit.objects.get(code=health)
    assert (unit.district, unit.contact_phone) == (cast.district_a, "021-63210000")
    assert UnitContact.objects.get(unit=unit).email == "wsjw@example.cn"
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_phone FROM branches_originalunit WHERE id = %s", [unit.pk])
        assert "63210000" not in cursor.fetchone()[0]  # encrypted at rest

    rows[1] = ("东城区卫生健康委员会", health, "", "李强", "", "office@example.cn")
    plan = check(unitlist, rows, cast.district_a)
    assert plan.rows[0].changes == {
        "contact_name": ["周敏", "李强"],
        "email": ["wsjw@example.cn", "office@example.cn"],
    }
    rows[1] = ("东城区卫生健康委员会", health, "", "李强", "021-63219999", "office@example.cn")
    plan = check(unitlist, rows, cast.district_a)
    shown = plan.preview()["rows"]["change"][0]["changes"]
    assert {"field": "联系电话", "before": "021*****0000", "after": "021*****9999"} in shown, shown
    services.write_plan(unitlist.KIND, plan, node=cast.district_a)
    unit.refresh_from_db()
    assert (unit.contact_name, unit.contact_phone) == ("李强", "021-63219999")


def test_a_wrong_check_character_and_a_foreign_district_are_named_at_their_rows(cast):
    good = valid("91319901MA1XY2W3Q")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        UNIT_HEAD,
        ("甲单位", good, "", "", "", ""),
        ("乙单位", wrong, "", "", "", ""),
        ("丙单位", "123", "", "", "", ""),
        ("丁单位", good, "", "", "", ""),
        ("戊单位", valid("91319902MA1XY2W3Q"), "319902", "", "", ""),
        ("己单位", valid("91319901MA1XY2W3R"), "", "", "12", "x@"),
    ]
    plan = check(unitlist, rows, cast.district_a)
    found = {(e["row"], e["column"]) for e in plan.errors}
    assert found == {
        (3, "统一社会信用代码"),
        (4, "统一社会信用代码"),
        (5, "统一社会信用代码"),
        (6, "所属区代码"),
        (7, "联系电话"),
        (7, "电子邮箱"),
    }
    message = next(e["message"] for e in plan.errors if e["row"] == 3)
    assert wrong[17] in message and good[17] in message
    assert not OriginalUnit.objects.filter(code=good).exists()
