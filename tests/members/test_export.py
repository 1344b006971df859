"""Roster out of the portal: Excel, PDF and the printable page from the same rows,
masked by default, never a live formula."""

import io
import shutil
import subprocess

import openpyxl
import pytest
from django.urls import reverse

from accounts.models import AuditAction, AuditEntry


def xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


def test_the_excel_roster_is_masked_by_default(cast, client_for):
    response = client_for("community_secretary").get(reverse("members:roster_xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows, _sheet = xlsx_rows(response)
    header = rows[2]
    assert header[:2] == ["姓名", "性别"]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows[3:]}
    assert set(by_name) == {"赵德明", "钱秀英", "孙建国", "周玉兰"}
    zhao = by_name["赵德明"]
    assert zhao["电话"] == "138****5678"
    assert zhao["身份证号"] == cast.member_a.id_number[:3] + "*" * 11 + cast.member_a.id_number[-4:]
    assert "501" not in zhao["家庭住址"]
    assert zhao["社区报到"] == "社区已接收"
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.changes["after"]["unmasked"] is False


def test_a_full_export_is_for_sensitive_roles_only_and_audited(cast, client_for):
    url = reverse("members:roster_xlsx") + "?full=1"
    rows, _ = xlsx_rows(client_for("community_secretary").get(url))
    zhao = next(r for r in rows if r[0] == "赵德明")
    assert "13812345678" in zhao and cast.member_a.id_number in zhao
    assert AuditEntry.objects.get(action=AuditAction.EXPORT).changes["after"]["unmasked"] is True
    # District staff may not unmask: ?full=1 still gives masked values and health hidden.
    rows, _ = xlsx_rows(client_for("district_staff").get(url))
    zhao = next(r for r in rows if r[0] == "赵德明")
    assert "13812345678" not in zhao and "138****5678" in zhao
    assert "***" in zhao  # health


def test_no_exported_cell_is_a_formula(cast, client_for):
    cast.member_a.former_post = '=HYPERLINK("http://evil","x")'
    cast.member_a.save()
    response = client_for("community_secretary").get(reverse("members:roster_xlsx"))
    _rows, sheet = xlsx_rows(response)
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    typed = next(c for c in cells if c.value == '=HYPERLINK("http://evil","x")')
    assert typed.data_type == "s"  # as typed, in a string cell: no apostrophe


def test_the_unit_liaison_exports_only_status_columns_of_its_retirees(cast, client_for):
    rows, _ = xlsx_rows(client_for("unit_liaison").get(reverse("members:roster_xlsx")))
    assert rows[2] == ["姓名", "社区", "所在支部", "社区报到"]
    assert rows[3:] == [["赵德明", "翠园社区", cast.branch_a.name, "社区已接收"]]


def test_the_printable_roster_lists_the_filtered_members(cast, client_for):
    url = reverse("members:roster_print") + f"?branch={cast.branch_a.pk}"
    text = client_for("community_secretary").get(url).content.decode()
    assert "翠园社区离退休干部党支部党员花名册" in text
    assert "赵德明" in text and "钱秀英" in text and "孙建国" not in text
    assert "138****5678" in text and "13812345678" not in text
    assert 'href="/static/members/roster_print.css"' in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) missing")
def test_the_pdf_roster_has_the_names_as_text_and_page_numbers(cast, client_for, tmp_path):
    response = client_for("community_secretary").get(reverse("members:roster_pdf"))
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "roster.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "离退休干部党员花名册" in text
    assert "赵德明" in text and "138****5678" in text
    assert "第1页/共1页" in "".join(text.split())  # pdftotext drops the spaces
    assert "13812345678" not in text


def test_a_pdf_of_too_many_members_sends_the_user_back(cast, client_for, monkeypatch):
    monkeypatch.setattr("members.views.roster.PDF_MAX_ROWS", 2)
    response = client_for("community_secretary").get(reverse("members:roster_pdf"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("members:roster"))
