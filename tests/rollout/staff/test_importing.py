"""Checking a staff workbook (the import kind "staff"): every mistake named at its row
and column, nothing written; user names made from pinyin; a re-import asks for nothing
twice."""

import io

import pytest
from django.contrib.auth import get_user_model

from branches.access import Role
from rollout.jobs.plan import Action, located
from rollout.jobs.services import ImportJobError, check_file, write_plan
from rollout.staff.kinds import KIND
from rollout.staff.models import GrantBatch, PendingGrant

from ...factories import user as make_user
from ..conftest import xlsx
from .conftest import HEADER

pytestmark = pytest.mark.django_db


def check(rows, node):
    return check_file(KIND, io.BytesIO(xlsx([HEADER, *rows])), node=node)


def test_a_correct_file_plans_accounts_and_roles(cast):
    plan = check(
        [
            ("张丽", "", "13800138000", "", "支部书记", str(cast.branch_a.pk)),
            ("王强", "wangqiang", "", "wq@example.cn", "街镇工作人员", "319901001"),
            ("李华", "", "13900000001", "", "社区党组织书记", "319901001001"),
            ("刘洋", "", "13900000002", "", "原单位联络员", cast.unit_a.code.lower()),
            ("陈晨", "", "13900000003", "", "district_staff", 319902),  # typed as a number
        ],
        cast.city,
    )
    assert plan.errors == []
    assert [(r.key, r.values["role"], r.action) for r in plan.rows] == [
        ("zhangli", Role.BRANCH_SECRETARY, Action.ADD),
        ("wangqiang", Role.STREET_STAFF, Action.ADD),
        ("lihua", Role.COMMUNITY_SECRETARY, Action.ADD),
        ("liuyang", Role.UNIT_LIAISON, Action.ADD),
        ("chenchen", Role.DISTRICT_STAFF, Action.ADD),
    ]


def test_each_mistake_is_named_at_its_row_and_column_and_nothing_is_written(cast):
    plan = check(
        [
            ("", "", "13800138000", "", "支部书记", str(cast.branch_a.pk)),
            ("王强", "", "12345", "", "街镇工作人员", "319901001"),
            ("李华", "", "", "", "社区党组织书记", "319901001001"),
            ("刘洋", "", "13900000002", "", "安全管理员", "3199"),
            ("陈晨", "", "13900000003", "", "街镇工作人员", "999999999"),
            ("周周", "", "13900000004", "", "街镇工作人员", "319901001001"),
            ("吴吴", "", "13900000005", "", "支部书记", "99999999"),
            ("郑郑", "bad name!", "13900000006", "", "支部书记", str(cast.branch_a.pk)),
        ],
        cast.city,
    )
    assert [e["row"] for e in plan.errors] == [2, 3, 4, 5, 6, 7, 8, 9]
    node = "节点编码"
    assert [e["column"] for e in plan.errors] == [
        "姓名",
        "手机号",
        "手机号",
        "角色",
        node,
        node,
        node,
        "用户名",
    ]
    assert located(plan.errors[3]).startswith("第 5 行")
    users = get_user_model().objects.count()
    with pytest.raises(ImportJobError):
        write_plan(KIND, plan, node=cast.city, actor=cast.user("system_admin"))
    assert get_user_model().objects.count() == users
    assert not PendingGrant.objects.exists()


def test_a_node_outside_the_jobs_area_is_refused(cast):
    plan = check([("陈晨", "", "13900000003", "", "街镇工作人员", "319902001")], cast.district_a)
    assert [(e["row"], e["column"]) for e in plan.errors] == [(2, "节点编码")]


def test_two_people_of_one_name_get_two_accounts_and_one_person_keeps_one(cast):
    branch = str(cast.branch_a.pk)
    make_user(username="wangfang")
    plan = check(
        [
            ("王芳", "", "13900000011", "", "支部书记", branch),
            ("王芳", "", "13900000011", "", "社区党组织书记", "319901001001"),
            ("王芳", "", "13900000012", "", "支部书记", branch),
        ],
        cast.city,
    )
    assert plan.errors == []
    assert [r.key for r in plan.rows] == ["wangfang2", "wangfang2", "wangfang3"]


def test_an_existing_account_gets_a_role_and_a_re_import_asks_for_nothing_twice(cast):
    admin = cast.user("system_admin")
    make_user(username="old.hand", role=Role.STREET_STAFF, node=cast.street_a)
    rows = [
        ("张丽", "", "13800138000", "", "支部书记", str(cast.branch_a.pk)),
        ("老手", "old.hand", "13800138001", "", "街镇工作人员", "319901001"),  # held
        ("老手", "old.hand", "13800138001", "", "街镇工作人员", "319901002"),  # new role
    ]
    plan = check(rows, cast.city)
    assert [r.action for r in plan.rows] == [Action.ADD, Action.LEAVE, Action.CHANGE]
    write_plan(KIND, plan, node=cast.city, actor=admin)
    again = check(rows, cast.city)
    assert [r.action for r in again.rows] == [Action.LEAVE] * 3
    assert GrantBatch.objects.count() == 1 and PendingGrant.objects.count() == 2


def test_a_formula_is_refused(cast):
    plan = check([('=HYPERLINK("x")', "", "13800138000", "", "支部书记", "1")], cast.city)
    assert (plan.errors[0]["row"], plan.errors[0]["column"]) == (2, "姓名")
