"""The funds pages: recording with receipts, bad input, a closed year, exact sums in
every page and export (0.10 + 0.20 = 0.30), the ledger's funds section, the liaison's
share, and query counts that do not grow with the data."""

import io
import subprocess
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEntry
from resources.funds import services
from resources.funds.models import Allocation, FundSource, Receipt, Spending, SpendingState

from ...factories import branch as make_branch
from .conftest import D, category, day, grant, pdf, png, spend, this_year


def spending_form(cast, amount="35.80", receipts=None, **extra):
    return {
        "spent_on": day().isoformat(),
        "amount": amount,
        "category": category(cast, "交通").pk,
        "purpose": "送学上门车费",
        "receipts": receipts if receipts is not None else [png(), pdf()],
        **extra,
    }


def add_url(cast):
    return reverse("funds:spending_add", args=[cast.branch_a.pk])


def test_a_secretary_records_a_spending_with_receipts(cast, client_for):
    grant(cast, "500.00")
    client = client_for("branch_secretary")
    response = client.post(add_url(cast), spending_form(cast))
    spending = Spending.objects.get()
    assert response.status_code == 302
    assert (spending.amount, spending.state) == (D("35.80"), SpendingState.COUNTED)
    assert sorted(Receipt.objects.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/png",
    ]
    page = client.get(reverse("funds:branch", args=[cast.branch_a.pk])).content.decode()
    assert "464.20" in page and "已入账" in page


def test_a_receipt_is_served_as_an_audited_download(cast, client_for):
    grant(cast, "500.00")
    s = spend(cast, "12.00", uploads=[(png(), "image/png")])
    receipt = s.receipts.get()
    client = client_for("street_staff")
    response = client.get(reverse("funds:receipt", args=[receipt.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    b"".join(response.streaming_content)
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("pk")
    assert entry.object_type == "funds.receipt"


@pytest.mark.parametrize(
    ("amount", "receipts", "message"),
    [
        ("-5", None, "金额必须大于零"),
        ("12.345", None, "最多保留两位小数"),
        ("abc", None, "请按数字填写金额"),
        ("10.00", [SimpleUploadedFile("发票.txt", b"hello")], "只能是照片"),
        ("10.00", [SimpleUploadedFile("发票.png", b"<html>not a png</html>")], "不是 PNG 文件"),
        ("10.00", [], "请至少上传一张票据"),
    ],
)
def test_bad_input_gets_a_chinese_error_and_nothing_is_saved(
    cast, client_for, amount, receipts, message
):
    grant(cast, "500.00")
    response = client_for("branch_secretary").post(
        add_url(cast), spending_form(cast, amount, receipts)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Spending.objects.count() == 0 and Receipt.objects.count() == 0


def test_a_closed_year_refuses_a_later_entry_in_chinese(cast, client_for):
    grant(cast, "500.00")
    services.year_close(street=cast.street_a, year=this_year(), actor=cast.user("street_staff"))
    response = client_for("branch_secretary").post(add_url(cast), spending_form(cast))
    assert response.status_code == 200
    assert "已由和平街道关闭结账" in response.content.decode()
    assert Spending.objects.count() == 0 and Receipt.objects.count() == 0


def test_the_approver_approves_on_the_spending_page(cast, client_for):
    grant(cast, "1000.00")
    s = spend(cast, "650.00")
    client = client_for("community_secretary")
    page = client.get(reverse("funds:spending", args=[s.pk])).content.decode()
    assert 'id="decide-form"' in page
    response = client.post(reverse("funds:spending_decide", args=[s.pk]), {"decision": "approve"})
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.state == SpendingState.APPROVED
    # Sent twice: decided once, the second says so.
    client.post(reverse("funds:spending_decide", args=[s.pk]), {"decision": "refuse", "note": "x"})
    s.refresh_from_db()
    assert s.state == SpendingState.APPROVED


def test_the_liaison_grants_the_units_share(cast, client_for):
    client = client_for("unit_liaison")
    url = reverse("funds:allocation_add", args=[cast.branch_a.pk])
    form = client.get(url).content.decode()
    assert "区委老干部局" not in form and "原单位" in form
    response = client.post(
        url,
        {
            "year": this_year(),
            "source": FundSource.BUREAU,  # not theirs to give: refused
            "amount": "200.00",
            "granted_on": day().isoformat(),
        },
    )
    assert response.status_code == 200 and Allocation.objects.count() == 0
    client.post(
        url,
        {
            "year": this_year(),
            "source": FundSource.UNIT,
            "amount": "200.00",
            "granted_on": day().isoformat(),
        },
    )
    allocation = Allocation.objects.get()
    assert (allocation.source, allocation.granted_by_unit) == (FundSource.UNIT, cast.unit_a)
    # A branch where none of the unit's retirees belongs: not the liaison's to see.
    assert client.get(reverse("funds:branch", args=[cast.branch_a2.pk])).status_code == 404


@pytest.fixture
def cents(cast):
    """0.10 + 0.20 granted and spent: every total must read 0.30, never 0.30000000000000004."""
    grant(cast, "0.10")
    grant(cast, "0.20")
    spend(cast, "0.10")
    spend(cast, "0.20", name="交通")
    return cast


def _xlsx_values(content):
    book = load_workbook(io.BytesIO(content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    return cells


def test_sums_are_exact_in_the_pages(cents, client_for):
    client = client_for("district_staff")
    page = client.get(reverse("funds:branch", args=[cents.branch_a.pk])).content.decode()
    assert 'id="allocated" class="num-text">0.30' in page
    assert 'id="spent" class="num-text">0.30' in page
    area = client.get(reverse("funds:area", args=[cents.district_a.pk])).content.decode()
    assert 'id="area-allocated">0.30' in area and 'id="area-spent">0.30' in area
    assert "0.30000" not in page + area


def test_sums_are_exact_in_the_excel_files(cents, client_for):
    client = client_for("district_staff")
    for url in (
        reverse("funds:branch_usage", args=[cents.branch_a.pk]),
        reverse("funds:area_usage", args=[cents.district_a.pk]),
        reverse("activities:ledger", args=[cents.branch_a.pk]),
    ):
        client_ = client if "ledger" not in url else client_for("branch_secretary")
        response = client_.get(url, {"format": "xlsx", "year": this_year()})
        assert response.status_code == 200, url
        cells = _xlsx_values(response.content)
        money = [c for c in cells if c.number_format == "#,##0.00"]
        assert Decimal("0.3") in {Decimal(str(c.value)) for c in money}, url
        assert all(round(float(c.value), 2) == float(c.value) for c in money)


def test_sums_are_exact_in_the_pdf_and_the_ledger(cents, client_for):
    client = client_for("branch_secretary")
    response = client.get(
        reverse("funds:branch_usage", args=[cents.branch_a.pk]), {"format": "pdf"}
    )
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "经费使用情况表" in text and "0.30 元" in text
    ledger = client.get(reverse("activities:ledger", args=[cents.branch_a.pk])).content.decode()
    assert 'id="ledger-funds"' in ledger
    assert 'class="funds-allocated">0.30' in ledger and 'class="funds-spent">0.30' in ledger


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_branch_page_costs_the_same_with_more_entries(cast, client_for):
    client = client_for("branch_secretary")
    url = reverse("funds:branch", args=[cast.branch_a.pk])
    grant(cast, "1000.00")
    spend(cast, "10.00", uploads=[(png(), "image/png")])
    few = _queries(client, url)
    for _ in range(5):
        grant(cast, "10.00")
        spend(cast, "10.00", uploads=[(png(), "image/png")], name="交通")
    assert _queries(client, url) == few


def test_the_area_page_costs_the_same_with_more_branches(cast, client_for):
    client = client_for("district_staff")
    url = reverse("funds:area", args=[cast.district_a.pk])
    grant(cast, "100.00")
    few = _queries(client, url)
    for i in range(4):
        b = make_branch(organization=cast.community_a, name=f"第{i}支部")
        grant(cast, "100.00", branch=b)
        spend(cast, "10.00", branch=b)
    assert _queries(client, url) == few


def test_a_spending_names_the_meeting_and_the_care_visit_it_was_for(cast, client_for):
    from activities.care.models import CareVisit, CareVisitKind
    from activities.meetings.models import Meeting, MeetingStatus

    def meeting(branch):
        return Meeting.objects.create(
            branch=branch,
            kind="theme_day",
            topic="主题党日",
            status=MeetingStatus.HELD,
            planned_on=day(),
            held_on=day(),
        )

    ours, theirs = meeting(cast.branch_a), meeting(cast.branch_a2)
    visit = CareVisit.objects.create(
        member=cast.member_a, visited_on=day(), kind=CareVisitKind.FESTIVAL, visitors="张书记"
    )
    grant(cast, "500.00")
    client = client_for("branch_secretary")
    refused = client.post(add_url(cast), spending_form(cast, meeting=theirs.pk))
    assert refused.status_code == 200 and Spending.objects.count() == 0
    client.post(add_url(cast), spending_form(cast, meeting=ours.pk, care_visit=visit.pk))
    spending = Spending.objects.get()
    assert (spending.meeting, spending.care_visit) == (ours, visit)
    page = client.get(reverse("funds:spending", args=[spending.pk])).content.decode()
    assert "主题党日" in page and "赵德明" in page
