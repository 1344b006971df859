"""A photo or scan of the signed sheet: type and size checked, served only through the
portal to those who may read the meeting."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import AuditEntry
from activities.meetings.models import MeetingAttachment

from ..conftest import record


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(name="签到表.png", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def meeting(roster):
    return record(branch=roster.branch, held_on=datetime.date(2025, 6, 10))


def upload(client, meeting, file, kind="sign_sheet"):
    return client.post(
        reverse("activities:attachment_upload", args=[meeting.pk]), {"kind": kind, "file": file}
    )


def test_a_photo_of_the_signed_sheet_is_stored_and_served_back(meeting, client_for):
    client = client_for("community_secretary")
    response = upload(client, meeting, png())
    assert response.status_code == 302
    attachment = MeetingAttachment.objects.get()
    assert (attachment.original_name, attachment.content_type) == ("签到表.png", "image/png")
    assert "签到表" not in attachment.file.name  # our own file name on disk
    assert AuditEntry.objects.filter(object_type="activities.meetingattachment").count() == 1

    served = client.get(reverse("activities:attachment_download", args=[attachment.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


def test_a_file_that_is_not_what_its_name_says_is_refused(meeting, client_for):
    fake = SimpleUploadedFile(
        "签到表.jpg", b"MZ\x90\x00 this is a program", content_type="image/jpeg"
    )
    response = upload(client_for("community_secretary"), meeting, fake)
    assert "文件内容不是 JPG 格式" in response.content.decode()
    assert not MeetingAttachment.objects.exists()


def test_other_file_types_are_refused(meeting, client_for):
    doc = SimpleUploadedFile("记录.docx", b"PK\x03\x04....", content_type="application/msword")
    response = upload(client_for("community_secretary"), meeting, doc)
    assert "只能上传 JPG、PNG 或 PDF 文件。" in response.content.decode()


def test_a_truncated_image_is_refused(meeting, client_for):
    whole = png().read()
    broken = SimpleUploadedFile("签到表.png", whole[:30], content_type="image/png")
    response = upload(client_for("community_secretary"), meeting, broken)
    assert "图片已损坏或不完整" in response.content.decode()


def test_a_file_over_the_size_limit_is_refused(meeting, client_for, settings):
    settings.MEETING_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("扫描件.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10))
    response = upload(client_for("community_secretary"), meeting, big)
    assert "文件太大" in response.content.decode()
    assert not MeetingAttachment.objects.exists()


def test_a_pdf_scan_is_accepted_and_downloaded_as_a_file(meeting, client_for):
    client = client_for("community_secretary")
    scan = SimpleUploadedFile("会议记录.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    assert upload(client, meeting, scan, kind="minutes").status_code == 302
    attachment = MeetingAttachment.objects.get()
    served = client.get(reverse("activities:attachment_download", args=[attachment.pk]))
    assert served["Content-Disposition"].startswith("attachment")


def test_an_outsider_cannot_fetch_an_attachment(meeting, client_for):
    client = client_for("community_secretary")
    upload(client, meeting, png())
    attachment = MeetingAttachment.objects.get()
    outsider = client_for("community_b_secretary")
    url = reverse("activities:attachment_download", args=[attachment.pk])
    assert outsider.get(url).status_code == 404
