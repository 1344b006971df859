"""The audit pages and their export read in Chinese (issue 13, items 10 and 11): models,
fields, values and the system's own entries by their Chinese names, not the technical
ones the trail stores."""

import io
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts import audit
from accounts.models import AuditAction, AuditEntry

TECHNICAL = [
    "accounts.user",
    "members.member",
    "members.roster",
    "accounts.auditentry",
    "retirement_type",
    "unmasked",
    "audit log",
    "例如",
]


def _entries(cast, client_for):
    # A failed log-in (accounts.user), a member's change, a roster export, an audit export.
    Client().post(reverse("accounts:login"), {"username": "nobody", "password": "x"})
    audit.record(
        AuditAction.UPDATE,
        cast.member_a,
        actor=cast.user("community_secretary"),
        before={"retirement_type": "tuixiu", "mobility_impaired": False},
        after={"retirement_type": "lixiu", "mobility_impaired": True},
    )
    audit.record(
        AuditAction.EXPORT,
        actor=cast.user("community_secretary"),
        object_type="members.roster",
        object_repr="翠园社区党员名册",
        after={"format": "xlsx", "rows": 3, "unmasked": False, "query": {"q": "赵*"}},
    )
    client = client_for("auditor")
    assert client.get(reverse("accounts:audit_export")).status_code == 200
    return client


def _visible(html: str) -> str:
    # What is written between tags, not the URLs and form values inside them.
    return re.sub(r"<[^>]*>", " ", html)


def test_the_audit_list_names_types_and_actions_in_chinese(cast, client_for):
    client = _entries(cast, client_for)
    page = _visible(client.get(reverse("accounts:audit_list")).content.decode())
    for chinese in ["用户", "党员", "党员名册", "审计日志", "审计记录", "登录失败"]:
        assert chinese in page, chinese
    for technical in TECHNICAL:
        assert technical not in page, technical
    assert (
        "过滤器" not in page
        and ">筛选<" in client.get(reverse("accounts:audit_list")).content.decode()
    )


def test_the_audit_filter_offers_types_by_chinese_name(cast, client_for):
    client = _entries(cast, client_for)
    response = client.get(reverse("accounts:audit_list"), {"object_type": "members.roster"})
    html = response.content.decode()
    assert '<option value="members.roster" selected>党员名册</option>' in html
    assert [e.object_type for e in response.context["page"].object_list] == ["members.roster"]


def test_an_entry_shows_field_names_and_values_in_chinese(cast, client_for):
    client = _entries(cast, client_for)
    login = AuditEntry.objects.filter(action=AuditAction.LOGIN).latest("pk")
    page = _visible(client.get(reverse("accounts:audit_detail", args=[login.pk])).content.decode())
    assert "登录方式" in page and "用户名和密码" in page
    assert "backend" not in page.lower()
    member = AuditEntry.objects.get(object_type="members.member")
    page = _visible(client.get(reverse("accounts:audit_detail", args=[member.pk])).content.decode())
    assert "离退休类别" in page and "行动不便" in page  # the fields' verbose names
    assert "离休" in page and "退休" in page and "是" in page and "否" in page
    assert "lixiu" not in page and "True" not in page
    export = AuditEntry.objects.get(object_type="members.roster")
    page = _visible(client.get(reverse("accounts:audit_detail", args=[export.pk])).content.decode())
    for chinese in ["格式", "Excel", "条数", "显示完整信息", "筛选条件", "党员名册"]:
        assert chinese in page, chinese
    for technical in [*TECHNICAL, "format", "rows", "query", "xlsx"]:
        assert technical not in page, technical


def test_a_long_hash_may_wrap_on_a_phone(cast, client_for):
    client = _entries(cast, client_for)
    entry = AuditEntry.objects.order_by("pk").last()
    html = client.get(reverse("accounts:audit_detail", args=[entry.pk])).content.decode()
    assert f'<code class="hash">{entry.hash}</code>' in html
    css = Path(finders.find("css/portal.css")).read_text()
    assert "code.hash { overflow-wrap: anywhere; }" in css


def test_the_export_writes_readable_chinese_instead_of_json(cast, client_for):
    client = _entries(cast, client_for)
    response = client.get(reverse("accounts:audit_export"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    by_type = {row[4]: row for row in rows[1:]}
    assert {"用户", "党员", "党员名册", "审计记录"} <= set(by_type)
    roster = by_type["党员名册"]
    assert set(roster[8].splitlines()) == {
        "显示完整信息：— → 否",
        "条数：— → 3",
        "格式：— → Excel",
        "筛选条件：— → 搜索：赵*",
    }
    assert by_type["审计记录"][6] == "审计日志"
    text = "\n".join(str(cell) for row in rows for cell in row)
    assert "{" not in text
    for technical in TECHNICAL:
        assert technical not in text, technical


def test_every_name_the_audit_pages_use_is_translated():
    from accounts import audit_display

    names = [
        *audit_display.KEY_LABELS.values(),
        *audit_display.OTHER_TYPES.values(),
        *audit_display.SYSTEM_REPRS.values(),
        *audit_display.BACKEND_NAMES.values(),
        *(label for _value, label in audit_display.type_choices()),
    ]
    with translation.override("zh-hans"):
        latin = {str(name) for name in names if re.search(r"[A-Za-z]{2,}", str(name))}
    assert latin <= {"TOTP 设备"}


def test_an_import_batch_lists_each_row_masked_on_the_page_and_in_the_export(cast, client_for):
    """A roster import is one entry per batch (members.importing.writing): the auditor
    reads every member and registration it wrote, one line each, with masked values."""
    from members.importing.reading import read_plan
    from members.importing.writing import members_import
    from tests.members.workbooks import person, workbook

    path = Path(__file__).parent / "_batch.xlsx"
    path.write_bytes(workbook([person(1), person(2)]))
    try:
        plan = read_plan(path, community=cast.community_a)
    finally:
        path.unlink()
    members_import(
        plan=plan, community=cast.community_a, actor=cast.user("community_secretary"),
        file_name="花名册.xlsx",
    )  # fmt: skip
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert audit.verify().ok
    member = entry.changes["batch"][0]
    client = client_for("auditor")
    page = _visible(client.get(reverse("accounts:audit_detail", args=[entry.pk])).content.decode())
    # The batch's counts, then one line per row: action, type, masked name and pk.
    assert re.search(r"新增：党员\s+导\*+ #\d+", page), page
    assert len(re.findall(r"新增：党员\s+导\*+ #\d+ ", page)) == 2
    assert "哈希" not in page.split("变更内容")[1] and "Health" not in page
    assert member["after"]["phone"] in page and "*" in member["after"]["phone"]
    for technical in ["members.member", "id_number", "{"]:
        assert technical not in page, technical
    response = client.get(reverse("accounts:audit_export"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    [line] = [row for row in rows[1:] if row[0] == entry.pk]
    assert line[8].count("党员 导") == 2
    assert "members.member" not in line[8]
