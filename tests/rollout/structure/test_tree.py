"""The organisation tree import: the bureau's list and the portal's template, the
structure checks, re-import by code, all or nothing."""

import io

import pytest

from accounts.models import AuditAction, AuditEntry
from branches.models import Level, Organization
from rollout.jobs import services
from rollout.jobs.plan import Action
from rollout.structure import tree

from ..conftest import xlsx

pytestmark = pytest.mark.django_db


def check(rows, node):
    return services.check_file(tree.KIND, io.BytesIO(xlsx(rows)), node=node)


def test_the_bureaus_list_padded_to_12_digits_is_read_by_level(cast):
    rows = [
        ("统计用区划代码", "城乡分类代码", "名称"),
        ("319900000000", "", "市辖区"),
        ("319903000000", "", "南山区"),
        ("319903001000", "", "桃源街道"),
        ("319903001001", "111", "桃源第一社区"),
        ("319903001002", "111", "桃源第二社区"),
    ]
    plan = check(rows, cast.city)
    assert plan.ok, plan.errors
    assert [(r.key, r.values["level"], r.action) for r in plan.rows] == [
        ("319903", Level.DISTRICT, Action.ADD),
        ("319903001", Level.STREET, Action.ADD),
        ("319903001001", Level.COMMUNITY, Action.ADD),
        ("319903001002", Level.COMMUNITY, Action.ADD),
    ]
    services.write_plan(tree.KIND, plan, node=cast.city, actor=cast.user("city_admin"))
    community = Organization.objects.get(code="319903001002")
    assert community.path == "3199/319903/319903001/319903001002/"
    assert community.parent.name == "桃源街道"
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORT).latest("pk")
    assert entry.changes["after"]["added"] == 4
    assert len(entry.changes["batch"]) == 4


def test_short_codes_and_the_portals_template_with_a_parent_column(cast):
    rows = [
        ("代码", "名称", "地址", "上级代码"),
        ("319901003", "光明街道", "光明路1号", "319901"),
        ("319901003001", "光明社区", "", "319901003"),
    ]
    plan = check(rows, cast.district_a)
    assert plan.ok, plan.errors
    assert plan.count(Action.ADD) == 2


def test_a_community_code_not_starting_with_its_streets_is_named_at_its_row(cast):
    rows = [
        ("代码", "名称", "地址", "上级代码"),
        ("319901003", "光明街道", "", "319901"),
        ("319901004001", "光明社区", "", "319901003"),
        ("319901009001", "无主社区", "", ""),
    ]
    plan = check(rows, cast.district_a)
    assert not plan.ok
    messages = {(e["row"], e["column"]): e["message"] for e in plan.errors}
    assert "319901003" in messages[(3, "代码")]  # does not start with its parent's code
    assert "319901009" in messages[(4, "代码")]  # its street exists nowhere


def test_reimport_updates_by_code_and_leaves_the_unchanged(cast):
    rows = [
        ("代码", "名称", "地址"),
        ("319901001", "和平街道", ""),
        ("319901001001", "翠园新村社区", "翠园路8号"),
    ]
    plan = check(rows, cast.district_a)
    assert [(r.action, r.changes) for r in plan.rows] == [
        (Action.LEAVE, {}),
        (
            Action.CHANGE,
            {
                "name": ["翠园社区", "翠园新村社区"],
                "address": [cast.community_a.address, "翠园路8号"],
            },
        ),
    ]
    services.write_plan(tree.KIND, plan, node=cast.district_a, actor=cast.user("district_staff"))
    cast.community_a.refresh_from_db()
    assert (cast.community_a.name, cast.community_a.address) == ("翠园新村社区", "翠园路8号")
    assert cast.community_a.path == "3199/319901/319901001/319901001001/"


def test_rows_outside_the_area_duplicates_and_moves_are_refused(cast):
    rows = [
        ("代码", "名称", "上级代码"),
        ("319902001002", "梅园社区", "319902001"),  # district B, not A
        ("319901001005", "新社区", "319901001"),
        ("319901001005", "新社区", "319901001"),
        ("319901002001", "枫林社区", "319901002"),  # as it is
        ("319901", "东城区", "3199"),
    ]
    plan = check(rows, cast.district_a)
    rows_with_errors = sorted({e["row"] for e in plan.errors})
    assert rows_with_errors == [2, 4]
    assert Organization.objects.filter(code="319901001005").count() == 0


def test_a_district_staff_cannot_move_a_node_by_import(cast):
    # 319901002001 lives under 319901002; a file that names it under 319901001 is refused.
    rows = [("代码", "名称", "上级代码"), ("319901002001", "枫林社区", "319901002")]
    assert check(rows, cast.district_a).ok
    org = Organization.objects.get(code="319901002001")
    Organization.objects.filter(pk=org.pk).update(parent=cast.street_a)
    plan = check(rows, cast.district_a)
    assert "区划调整" in plan.errors[0]["message"]
