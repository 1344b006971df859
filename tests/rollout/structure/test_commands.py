"""The command-line twins: manage.py import_structure / import_branches / import_units."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from branches.models import Branch, Organization

from ..conftest import xlsx

pytestmark = pytest.mark.django_db

TREE = [
    ("统计用区划代码", "城乡分类代码", "名称"),
    ("319901003000", "", "光明街道"),
    ("319901003001", "111", "光明社区"),
]


def run(name, rows, tmp_path, *args):
    path = tmp_path / "file.xlsx"
    path.write_bytes(xlsx(rows))
    out, err = io.StringIO(), io.StringIO()
    call_command(name, str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_dry_run_reports_in_chinese_and_writes_nothing(cast, tmp_path):
    out, _err = run("import_structure", TREE, tmp_path, "--node", "319901", "--dry-run")
    assert "试运行" in out and "新增 2" in out
    assert not Organization.objects.filter(code="319901003").exists()


def test_the_import_writes_then_a_second_run_leaves_everything(cast, tmp_path):
    out, _err = run(
        "import_structure", TREE, tmp_path, "--node", "319901", "--user", "district_staff"
    )
    assert "已写入" in out
    assert Organization.objects.get(code="319901003001").parent.code == "319901003"
    out, _err = run("import_structure", TREE, tmp_path, "--node", "319901")
    assert "新增 0" in out and "2 条保持不变" in out


def test_errors_are_printed_at_their_rows_and_exit_with_1(cast, tmp_path):
    rows = [
        ("支部代码", "支部名称", "所在社区或街道代码"),
        ("B-1", "甲支部", "319901001001"),
        ("B-2", "乙支部", "319901001099"),
    ]
    with pytest.raises(CommandError) as raised:
        run("import_branches", rows, tmp_path, "--node", "319901")
    assert raised.value.returncode == 1 and "1 处错误" in str(raised.value)
    assert not Branch.objects.filter(code="B-1").exists()


def test_an_unknown_area_or_an_unusable_file_exit_with_2(cast, tmp_path):
    with pytest.raises(CommandError) as raised:
        run("import_units", TREE, tmp_path, "--node", "999999")
    assert raised.value.returncode == 2
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(CommandError) as raised:
        call_command("import_units", str(path), "--node", "319901")
    assert raised.value.returncode == 2 and ".xlsx" in str(raised.value)
