"""Masking scan: every page and export of every URL pattern, for every role.

Requests each Spec's URL (the same Specs as the URL x role matrix, so every URL pattern)
as every role of the cast, plus the export variants the views offer through the URL
(?format=pdf|xlsx, ?full=1, each dashboard table), and scans every 200 answer for the
full ID number (as stored, with an upper- and a lower-case x) or the full mobile number
of any member in the database. HTML and text are read as they are, Excel files part by
part (the XML inside the zip), PDF files through pdftotext (poppler-utils: skipped
locally without it, a failure under REQUIRE_SERVICES=1).

Only UNMASKED_BY_DESIGN may show full values, only to a role that may read sensitive
data (SENSITIVE_READERS), and only when that same request wrote the audit entry saying
so. The "show full information" view (members:member_reveal) needs no exemption: its page
is a confirmation, and the unmasked detail page is reached only after its audited POST.
"""

import io
import subprocess
import zipfile
from collections import Counter
from dataclasses import dataclass

import pytest
from django.http import HttpResponse
from django.urls import reverse

from accounts.models import AuditAction, AuditEntry
from members.masking import mask_id, mask_phone
from members.models import Member
from reports.exports import BRANCH_TABLES, NODE_TABLES

from ..conftest import require_service
from .matrix import ROLES, Spec
from .test_url_matrix import SPECS, _client_as

# Roles holding can_view_sensitive somewhere in the cast (community and branch secretaries).
SENSITIVE_READERS = frozenset({"community_secretary", "branch_secretary", "community_b_secretary"})
# (URL name, query) -> why it may show full values to SENSITIVE_READERS. Each such answer
# must come with its own audit entry: view_sensitive, or an export marked unmasked.
UNMASKED_BY_DESIGN = {
    ("members:member_edit", ""): "the edit form holds the values it edits; opening it is "
    "audited like 显示完整信息 (view_sensitive, via edit)",
    ("members:roster_print", "full=1"): "the full roster asked for explicitly; the export "
    "is audited with unmasked=true",
    ("members:roster_xlsx", "full=1"): "as roster_print with full=1",
    ("members:roster_pdf", "full=1"): "as roster_print with full=1",
}

# Exports reached through the query string of a URL pattern the matrix requests as HTML.
FORMATS = ("format=pdf", "format=xlsx")
QUERY_VARIANTS = {
    "activities:sign_in_sheet": FORMATS,
    "activities:attendance_record": FORMATS,
    "activities:attendance_report": FORMATS,
    "activities:ledger": FORMATS,
    "care:register": (*FORMATS, "full=1", "full=1&format=pdf", "full=1&format=xlsx"),
    "members:roster_print": ("full=1",),
    "members:roster_xlsx": ("full=1",),
    "members:roster_pdf": ("full=1",),
}
TABLE_VARIANTS = {"reports:org_export": NODE_TABLES, "reports:branch_export": BRANCH_TABLES}


@dataclass(frozen=True)
class Case:
    spec: Spec
    extra: str = ""  # added to the spec's query
    table: str = ""  # replaces the spec's `table` URL argument

    def url(self, cast) -> str:
        kwargs = self.spec.kwargs(cast)
        if self.table:
            kwargs["table"] = self.table
        url = reverse(self.spec.name, kwargs=kwargs)
        query = "&".join(filter(None, [self.spec.query(cast), self.extra]))
        return f"{url}?{query}" if query else url

    @property
    def wants_pdf(self) -> bool:
        # (a URL whose format is a path argument names it in its spec's case: "sent-pdf")
        return (
            self.spec.name.endswith("_pdf")
            or "format=pdf" in self.extra
            or self.spec.case.endswith("pdf")
        )


def cases() -> list[Case]:
    found = []
    for spec in SPECS:
        # A table export: every table (the spec's own among them) instead of just one.
        tables = TABLE_VARIANTS.get(spec.name, ())
        found += [Case(spec, table=table) for table in tables] or [Case(spec)]
        found += [Case(spec, extra=extra) for extra in QUERY_VARIANTS.get(spec.name, ())]
    return found


CASES = cases()
PDF_CASES = [case for case in CASES if case.wants_pdf]
OTHER_CASES = [case for case in CASES if not case.wants_pdf]
# What the scan did, for the record (the counts in the issue): requests, answers scanned
# by kind, exempted answers.
TALLY: Counter = Counter()


def member_secrets() -> dict[str, str]:
    """Every form in which a member's full ID number or phone could appear -> whose."""
    needles = {}
    for member in Member._base_manager.all():
        whose = f"member #{member.pk}"
        if member.id_number:
            for form in (member.id_number, member.id_number.upper(), member.id_number.lower()):
                needles[form] = f"ID number of {whose}"
        if member.phone:
            needles[member.phone] = f"phone of {whose}"
            digits = "".join(ch for ch in member.phone if ch.isdigit())
            needles[digits] = f"phone of {whose}"
    return needles


def pdf_text(body: bytes) -> str | None:
    """The text of a PDF, or None for a file poppler cannot read: an uploaded file served
    back as it was stored (the tests' minimal PDFs), scanned as raw bytes instead."""
    require_service("poppler")
    done = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True)
    return done.stdout.decode() if done.returncode == 0 else None


def readable(response) -> tuple[str, str]:
    """(kind, text) of an answer: what a reader of it would see, as text."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf") or body.startswith(b"%PDF"):
        text = pdf_text(body)
        if text is None:
            return "other", body.decode("latin-1")
        # A long number may wrap inside a narrow table cell.
        return "pdf", text + "\n" + "".join(text.split())
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            parts = [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
        return "xlsx", "\n".join(parts)
    kind = "html" if content_type.startswith("text/html") else "other"
    return kind, body.decode("utf-8", "replace")


def leaks(text: str, needles: dict[str, str]) -> list[str]:
    return sorted({whose for needle, whose in needles.items() if needle in text})


def audited_unmasked(first_pk: int) -> bool:
    """Did the request that just ran write an entry recording an unmasked view?"""
    for entry in AuditEntry.objects.filter(pk__gt=first_pk):
        if entry.action == AuditAction.VIEW_SENSITIVE:
            return True
        after = (entry.changes or {}).get("after") or {}
        if entry.action == AuditAction.EXPORT and after.get("unmasked") is True:
            return True
    return False


def scan(cases: list[Case], role: str, cast, client) -> dict:
    """Request every case as `role`; url -> (kind, whose values) for each leak."""
    urls = [(case, case.url(cast)) for case in cases]  # setup first: it may add members
    needles = member_secrets()
    client = _client_as(client, cast, role)
    wrong = {}
    for case, url in urls:
        last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.get(url)
        TALLY["requests"] += 1
        if response.status_code != 200:
            continue
        kind, text = readable(response)
        TALLY[f"scanned_{kind}"] += 1
        if kind == "pdf" and not case.wants_pdf:
            wrong[url] = (kind, "a PDF: add it to the PDF cases (Case.wants_pdf)")
        if not (found := leaks(text, needles)):
            continue
        exempt = UNMASKED_BY_DESIGN.get((case.spec.name, case.extra))
        if exempt and role in SENSITIVE_READERS and audited_unmasked(last):
            TALLY["exempted"] += 1
            continue
        wrong[url] = (kind, found)
    return wrong


@pytest.mark.parametrize("role", ROLES)
def test_no_page_or_excel_export_shows_a_full_id_number_or_phone(role, cast, client):
    assert scan(OTHER_CASES, role, cast, client) == {}, "url -> (kind, unmasked values)"


@pytest.mark.services("poppler")
@pytest.mark.parametrize("role", ROLES)
def test_no_pdf_export_shows_a_full_id_number_or_phone(role, cast, client):
    assert scan(PDF_CASES, role, cast, client) == {}, "url -> (kind, unmasked values)"


def test_the_exemptions_name_urls_the_scan_requests():
    requested = {(case.spec.name, case.extra) for case in CASES}
    assert set(UNMASKED_BY_DESIGN) <= requested, "stale exemption"


@pytest.mark.services("poppler")
def test_the_scan_reads_the_real_exports(cast, client_for):
    """The exports are read, not just searched as bytes: the masked forms are found in
    them (so a full number would be too), and the full ones are where they belong."""
    member = cast.member_a
    client = client_for("community_secretary")
    masked = (mask_id(member.id_number), mask_phone(member.phone))
    full = (member.id_number, member.phone)
    for name in ("members:roster_print", "members:roster_xlsx", "members:roster_pdf"):
        kind, text = readable(client.get(reverse(name)))
        assert all(value in text for value in masked), (name, kind)
        assert leaks(text, member_secrets()) == []
        kind, text = readable(client.get(reverse(name) + "?full=1"))
        assert all(value in text for value in full), (name, kind)
        assert audited_unmasked(0)


@pytest.mark.services("poppler")
def test_the_scan_catches_a_full_number_in_each_kind_of_answer(cast):
    """The checker itself: a full ID number in HTML, in an Excel cell or in a PDF's text
    is found; its masked form is not."""
    import openpyxl
    from weasyprint import HTML

    secret = cast.member_a.id_number
    needles = member_secrets()
    workbook = openpyxl.Workbook()
    workbook.active.append(["身份证号", secret.lower()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    answers = {
        "html": HttpResponse(f"<td>{secret}</td>", content_type="text/html"),
        "xlsx": HttpResponse(buffer.getvalue(), content_type="application/octet-stream"),
        "pdf": HttpResponse(
            HTML(string=f"<p>赵德明 {secret}</p>").write_pdf(), content_type="application/pdf"
        ),
    }
    for expected_kind, answer in answers.items():
        kind, text = readable(answer)
        assert kind == expected_kind
        assert leaks(text, needles) == [f"ID number of member #{cast.member_a.pk}"], kind
    assert leaks(f"<td>{mask_id(secret)}</td>", needles) == []


def test_only_the_audited_reveal_unmasks_the_member_page(cast, client):
    """显示完整信息: after its POST, the member page shows the full values to the roles
    that may reveal them, each time with a view_sensitive entry; to nobody else."""
    detail = reverse("members:member_detail", kwargs={"pk": cast.member_a.pk})
    reveal = reverse("members:member_reveal", kwargs={"pk": cast.member_a.pk})
    needles = member_secrets()
    shown = {}
    for role in ROLES:
        client = _client_as(client, cast, role)
        last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        client.post(reveal)
        response = client.get(detail)
        if response.status_code == 200 and leaks(readable(response)[1], needles):
            shown[role] = audited_unmasked(last)
    assert shown == {"community_secretary": True, "branch_secretary": True}
