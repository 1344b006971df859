"""The feedback report's downloads: the PDF read back as text (figures and Chinese), one
page per person, 草稿 on drafts; Excel without formulas; who gets which letters; each
download audited once; a fixed number of queries."""

import datetime
import io
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEntry
from units.feedback.models import FeedbackLetter, FeedbackLine, LetterState

pytestmark = pytest.mark.django_db


def make_letter(cast, *, community=None, state=LetterState.DRAFT, year=2026, half=1, lines=2):
    letter = FeedbackLetter.objects.create(
        unit=cast.unit_a,
        community=community or cast.community_a,
        year=year,
        half=half,
        state=state,
        remarks="该同志积极参加组织生活",
        sent_at=timezone.now() if state != LetterState.DRAFT else None,
    )
    people = [("赵德明", 6, 4, 1, 0, 1, 1), ("=HYPERLINK(1)", 4, 1, 0, 2, 1, 2)]
    people += [(f"成员{i}", 2, 2, 0, 0, 0, 0) for i in range(lines - 2)]
    for name, expected, present, remote, excused, absent, made_up in people[:lines]:
        FeedbackLine.objects.create(
            letter=letter,
            name=name,
            branch_name="翠园社区离退休干部党支部",
            registered_on=datetime.date(2024, 3, 1),
            expected=expected,
            present=present,
            remote=remote,
            excused=excused,
            absent=absent,
            made_up=made_up,
            care_visits=2,
            care_outcome="节日慰问，反映的问题已解决",
            service_roles="宣讲员",
            honours="优秀共产党员",
        )
    return letter


def letter_url(letter, fmt, query=""):
    url = reverse("feedback:letter_export", kwargs={"pk": letter.pk, "fmt": fmt})
    return f"{url}?{query}" if query else url


def half_url(cast, fmt, year=2026, half=1, query=""):
    url = reverse(
        "feedback:half_export",
        kwargs={"pk": cast.unit_a.pk, "year": year, "half": half, "fmt": fmt},
    )
    return f"{url}?{query}" if query else url


def pdf_text(response, tmp_path) -> str:
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_pdf_table_prints_the_figures_in_chinese_and_says_draft(cast, client_for, tmp_path):
    letter = make_letter(cast)
    response = client_for("community_secretary").get(letter_url(letter, "pdf"))
    assert response.status_code == 200
    text = pdf_text(response, tmp_path)
    for words in ("东城区教育局", "双向联系反馈表", "翠园社区", "2026年上半年", "赵德明", "草稿"):
        assert words in text, words
    # (present 4 + remote 1 + made up 1) / 6 and (1 + 0 + 2) / 4
    assert "100.0%" in text and "75.0%" in text
    assert "该同志积极参加组织生活" in text and "社区党组织（盖章）" in text
    assert text.count("\f") == 1  # one community: one page


def test_the_person_layout_gives_each_retiree_a_page(cast, client_for, tmp_path):
    letter = make_letter(cast, lines=3)
    response = client_for("community_secretary").get(letter_url(letter, "pdf", "layout=person"))
    text = pdf_text(response, tmp_path)
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) == 3
    for name in ("赵德明", "成员0", "=HYPERLINK(1)"):
        assert [name in page for page in pages].count(True) == 1, name
    assert all("宣讲员" in page and "优秀共产党员" in page for page in pages)


def test_a_sent_letter_does_not_say_draft(cast, client_for, tmp_path):
    letter = make_letter(cast, state=LetterState.SENT)
    text = pdf_text(client_for("unit_liaison").get(letter_url(letter, "pdf")), tmp_path)
    assert "草稿" not in text and "已发送原单位" in text


def test_the_excel_file_has_no_formula_and_real_numbers(cast, client_for):
    letter = make_letter(cast)
    response = client_for("community_secretary").get(letter_url(letter, "xlsx"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["翠园社区"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "草稿" in sheet["A1"].value
    rows = {row[1].value: row for row in sheet.iter_rows() if row[1].value}
    zhao = rows["赵德明"]
    assert [c.value for c in zhao[4:10]] == [6, 4, 1, 0, 1, 1]
    assert zhao[10].value == 1.0 and zhao[10].number_format == "0.0%"
    # A name typed as a formula stays text.
    assert any(str(name).endswith("=HYPERLINK(1)") for name in rows)


def test_the_liaison_gets_sent_letters_only(cast, client_for):
    draft = make_letter(cast)
    sent = make_letter(cast, state=LetterState.SENT, half=2)
    client = client_for("unit_liaison")
    assert client.get(letter_url(draft, "pdf")).status_code == 404
    assert client.get(letter_url(sent, "xlsx")).status_code == 200


def test_the_half_year_holds_every_sent_letter_one_table_per_community(cast, client_for, tmp_path):
    make_letter(cast, state=LetterState.SENT)
    make_letter(cast, community=cast.community_a2, state=LetterState.ACKNOWLEDGED)
    make_letter(cast, community=cast.community_b)  # a draft: not the unit's yet
    response = client_for("unit_liaison").get(half_url(cast, "xlsx"))
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["翠园社区", "枫林社区"]
    text = pdf_text(client_for("unit_liaison").get(half_url(cast, "pdf")), tmp_path)
    assert "翠园社区" in text and "枫林社区" in text and "梅岭社区" not in text
    assert "草稿" not in text
    assert text.count("\f") == 2  # a page break between the communities


def test_an_empty_half_year_says_so(cast, client_for, tmp_path):
    text = pdf_text(client_for("unit_liaison").get(half_url(cast, "pdf", 2024, 2)), tmp_path)
    assert "本半年度尚未发送反馈表" in text


@pytest.mark.parametrize("layout", ["bogus", "²", "9" * 30])
def test_a_bad_layout_is_refused_in_chinese(cast, client_for, layout):
    letter = make_letter(cast)
    response = client_for("community_secretary").get(letter_url(letter, "pdf", f"layout={layout}"))
    assert response.status_code == 400
    assert "请选择版式" in response.content.decode()


@pytest.mark.parametrize(
    "kwargs",
    [{"fmt": "docx"}, {"half": 3}, {"year": 1999}],
)
def test_a_bad_address_is_not_found(cast, client_for, kwargs):
    args = {"pk": cast.unit_a.pk, "year": 2026, "half": 1, "fmt": "pdf", **kwargs}
    response = client_for("unit_liaison").get(reverse("feedback:half_export", kwargs=args))
    assert response.status_code == 404


def test_each_download_is_audited_once(cast, client_for):
    letter = make_letter(cast)
    user = cast.user("street_staff")
    client = client_for("street_staff")
    last = AuditEntry.objects.order_by("-pk").first().pk
    client.get(letter_url(letter, "pdf", "layout=person"))
    (entry,) = AuditEntry.objects.filter(pk__gt=last)
    assert (entry.action, entry.actor_id, entry.object_type) == (
        AuditAction.EXPORT,
        user.pk,
        "units.feedbackletter",
    )
    assert entry.changes["after"]["layout"] == "person"
    assert entry.changes["after"]["rows"] == 2


def test_the_letter_export_asks_a_fixed_number_of_queries(
    cast, client_for, django_assert_num_queries
):
    client = client_for("community_secretary")
    small, large = make_letter(cast, lines=2), make_letter(cast, half=2, lines=30)
    client.get(letter_url(small, "xlsx"))
    # session, user, roles; the letter (with unit and community); its lines; the audit
    # entry: the chain's head, the entry inserted with the head moved in one statement
    with django_assert_num_queries(LETTER_QUERIES) as first:
        client.get(letter_url(small, "xlsx"))
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(letter_url(large, "xlsx"))


LETTER_QUERIES = 7
