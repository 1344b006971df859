"""关怀走访登记簿: the same rows as a print page, a PDF and an Excel file; care notes
masked unless a user who may read them asks for the full register (audited); no Excel
cell from user text becomes a formula."""

import io
import shutil
import subprocess

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEntry
from activities.care.models import CareVisitKind, FollowUp

from .conftest import days_ago, make_member, visit

pytestmark = pytest.mark.django_db

NOTE = "血压偏高，叮嘱按时服药"


@pytest.fixture
def register_data(cast, today):
    member = make_member(branch=cast.branch_a, name="登记簿老人")
    v = visit(
        member,
        ago=10,
        kind=CareVisitKind.FESTIVAL,
        occasion="春节",
        visitors='=HYPERLINK("http://evil")',
        summary=NOTE,
        matters_raised="+SUM(A1:A9)",
    )
    FollowUp.objects.create(
        visit=v, matter="联系家庭医生", owner_name="社区卫生站", due_on=days_ago(1)
    )
    other = make_member(branch=cast.branch_b, name="别的支部")
    visit(other, ago=5, summary="不应出现")
    return member


def url(cast, **query):
    base = reverse("care:register", args=[cast.branch_a.pk])
    return base + "?" + "&".join(f"{k}={v}" for k, v in {"year": 2026, **query}.items())


def test_the_print_page_masks_care_notes_by_default(cast, register_data, client_for):
    html = client_for("community_secretary").get(url(cast)).content.decode()
    assert "登记簿老人" in html and "春节" in html
    assert NOTE not in html and "联系家庭医生" not in html
    assert "别的支部" not in html


def test_the_full_register_shows_notes_to_a_secretary_and_is_audited(
    cast, register_data, client_for
):
    html = client_for("community_secretary").get(url(cast, full=1)).content.decode()
    assert NOTE in html and "联系家庭医生" in html
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("pk")
    assert entry.changes["after"]["unmasked"] is True


def test_district_staff_cannot_unmask_the_register(cast, register_data, client_for):
    html = client_for("district_staff").get(url(cast, full=1)).content.decode()
    assert "登记簿老人" in html and NOTE not in html
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("pk")
    assert entry.changes["after"]["unmasked"] is False


def test_the_excel_file_is_masked_and_writes_no_formulas(cast, register_data, client_for):
    client = client_for("community_secretary")
    masked = load_workbook(io.BytesIO(client.get(url(cast, format="xlsx")).content))
    cells = [c.value for row in masked.active.iter_rows() for c in row if c.value]
    assert "登记簿老人" in cells
    assert NOTE not in cells
    full = load_workbook(io.BytesIO(client.get(url(cast, format="xlsx", full=1)).content))
    cells = [c for row in full.active.iter_rows() for c in row if c.value is not None]
    values = [c.value for c in cells]
    assert NOTE in values
    assert all(c.data_type != "f" for c in cells)
    typed = {c.value: c.data_type for c in cells}
    assert typed['=HYPERLINK("http://evil")'] == "s"  # as typed, never a formula
    assert typed["+SUM(A1:A9)"] == "s"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_pdf_carries_the_names_as_text_and_masks_notes(cast, register_data, client_for):
    response = client_for("branch_secretary").get(url(cast, format="pdf"))
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    text = "".join(text.split())  # table cells may wrap
    assert "登记簿老人" in text and "春节" in text
    assert NOTE not in text
