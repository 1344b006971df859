"""Every stored file on S3, against a real S3-compatible server (moto) on loopback: uploaded
through the portal's pages, stored private, handed out only by the scoped views (streamed,
or a presigned redirect issued after the scope check and the audit), deleted with its row
and by a member's erasure; a frozen store answers with a Chinese error within the
timeouts instead of holding the request."""

import datetime
import os
import signal
import time
import urllib.error
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditAction, AuditEntry
from activities.meetings.models import MeetingAttachment
from members import uploads
from members.erasure import member_erase
from members.models import ImportRun, ImportState, Member
from notices.models import NoticeAttachment, ResponseKind
from reports.prints import services as prints
from resources.funds.models import Receipt

from ..activities.conftest import record
from ..conftest import use_s3
from ..members.workbooks import person, workbook
from ..notices.conftest import pdf, sent_notice
from ..notices.receipts_helpers import receipt, send_notice
from ..reports.prints.conftest import planned
from ..resources.funds.conftest import grant, png, spend

pytestmark = pytest.mark.services("s3", "postgres")

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
MONDAY = datetime.date(2026, 12, 14)


def keys(s3_server, bucket) -> list[str]:
    listed = s3_server.client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def stored_bytes(s3_server, bucket, key) -> bytes:
    return s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def assert_private(s3_server, bucket, key):
    acl = s3_server.client().get_object_acl(Bucket=bucket, Key=key)
    assert not [g for g in acl["Grants"] if g["Grantee"].get("URI") == ALL_USERS]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server.url}/{bucket}/{key}", timeout=5)  # noqa: S310
    assert refused.value.code == 403


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_meeting_attachment_is_private_served_in_scope_and_leaves_with_its_meeting(
    cast, client_for, s3_storage, s3_server, s3_bucket, django_capture_on_commit_callbacks
):
    meeting = record(branch=cast.branch_a, held_on=datetime.date(2025, 6, 10))
    client = client_for("community_secretary")
    response = client.post(
        reverse("activities:attachment_upload", args=[meeting.pk]),
        {"kind": "sign_sheet", "file": png("签到表.png")},
    )
    assert response.status_code == 302
    attachment = MeetingAttachment.objects.get()
    assert keys(s3_server, s3_bucket) == [attachment.file.name]
    assert_private(s3_server, s3_bucket, attachment.file.name)
    url = reverse("activities:attachment_download", args=[attachment.pk])
    served = client.get(url)
    assert (served.status_code, served["Content-Type"]) == (200, "image/png")
    assert body(served) == stored_bytes(s3_server, s3_bucket, attachment.file.name)
    assert client_for("community_b_secretary").get(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        meeting.delete()
    assert keys(s3_server, s3_bucket) == []


def test_a_fund_receipt_is_a_download_in_scope_and_its_row_takes_the_object_along(
    cast, client_for, s3_storage, s3_server, s3_bucket, django_capture_on_commit_callbacks
):
    grant(cast, "500.00")
    receipt_row = spend(cast, "12.00", uploads=[(png(), "image/png")]).receipts.get()
    key = receipt_row.file.name
    assert keys(s3_server, s3_bucket) == [key]
    assert_private(s3_server, s3_bucket, key)
    url = reverse("funds:receipt", args=[receipt_row.pk])
    served = client_for("street_staff").get(url)
    assert served.status_code == 200 and served["Content-Disposition"].startswith("attachment")
    assert body(served).startswith(b"\x89PNG")
    assert client_for("district_b_staff").get(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        Receipt.objects.filter(pk=receipt_row.pk).delete()
    assert keys(s3_server, s3_bucket) == []


def test_a_notice_attachment_and_a_reply_file_come_only_through_the_portal(
    cast, client_for, s3_storage, s3_server, s3_bucket
):
    notice = sent_notice(cast, files=[pdf()])
    attachment = notice.attachments.get()
    assert_private(s3_server, s3_bucket, attachment.file.name)
    url = reverse("notices:attachment", args=[attachment.pk])
    served = client_for("branch_secretary").get(url)
    assert served.status_code == 200 and body(served).startswith(b"%PDF-")
    assert client_for("district_b_staff").get(url).status_code == 404

    to_reply = send_notice(
        sender=cast.district_a,
        audience=[cast.street_a],
        title="关于报送学习情况的通知",
        response=ResponseKind.REPLY,
        deadline=datetime.date.today() + datetime.timedelta(days=3),
    )
    client_for("branch_secretary").post(
        reverse("notices:reply", args=[to_reply.pk]),
        {"receipt": receipt(to_reply, cast.branch_a).pk, "files": [pdf("学习记录.pdf")]},
    )
    reply = NoticeAttachment.objects.get(receipt__isnull=False)
    assert reply.file.name in keys(s3_server, s3_bucket)
    assert_private(s3_server, s3_bucket, reply.file.name)
    url = reverse("notices:reply_file", args=[reply.pk])
    served = client_for("district_staff").get(url)
    assert served.status_code == 200 and body(served).startswith(b"%PDF-")
    assert client_for("street_a2_staff").get(url).status_code == 404


def test_a_member_import_reads_its_workbook_from_the_bucket(
    cast, client_for, s3_storage, s3_server, s3_bucket
):
    client = client_for("community_secretary")
    client.post(
        reverse("members:import_upload"),
        {
            "community": cast.community_a.pk,
            "file": SimpleUploadedFile("花名册.xlsx", workbook([person(1), person(2)])),
        },
    )
    run = ImportRun.objects.get()
    assert keys(s3_server, s3_bucket) == [uploads.name_for(run.token)]
    assert_private(s3_server, s3_bucket, uploads.name_for(run.token))
    client.post(reverse("members:import_check", args=[run.token]))
    client.post(reverse("members:import_confirm", args=[run.token]))
    run.refresh_from_db()
    assert (run.state, run.create_count) == (ImportState.DONE, 2)
    assert Member.objects.filter(name__startswith="导入").count() == 2
    assert keys(s3_server, s3_bucket) == []  # gone once imported


def _print_job(cast):
    planned(cast.branch_a, MONDAY, topic="学习党章第一章")
    job = prints.job_start(
        user=cast.user("street_staff"),
        node=cast.street_a,
        kind="sign_in",
        params={"date_from": MONDAY.isoformat(), "date_to": MONDAY.isoformat()},
        output="pdf",
    )
    prints.job_execute(job.pk)
    job.refresh_from_db()
    return job


def test_a_print_result_goes_to_the_bucket_and_downloads_through_the_view(
    cast, client_for, s3_storage, s3_server, s3_bucket, settings, tmp_path
):
    settings.PRINT_JOB_DIR = str(tmp_path / "var")
    job = _print_job(cast)
    assert job.downloadable and job.file_path == f"prints/job-{job.pk}/result.pdf"
    assert keys(s3_server, s3_bucket) == [job.file_path]
    assert_private(s3_server, s3_bucket, job.file_path)
    assert not prints.job_dir(job.pk).exists()  # nothing left on this node's disk
    url = reverse("prints:download", args=[job.pk])
    served = client_for("street_staff").get(url)
    assert served.status_code == 200 and body(served).startswith(b"%PDF-")
    assert len(stored_bytes(s3_server, s3_bucket, job.file_path)) == job.file_size
    assert client_for("district_b_staff").get(url).status_code == 404
    later = job.expires_at + datetime.timedelta(seconds=1)
    assert prints.prune_expired(now=later) == 1
    assert keys(s3_server, s3_bucket) == []


def test_presigned_mode_redirects_after_the_scope_check_and_the_audit(
    cast, client_for, s3_storage, s3_server, s3_bucket, settings
):
    settings.S3_DOWNLOADS = "redirect"
    grant(cast, "500.00")
    receipt_row = spend(cast, "12.00", uploads=[(png(), "image/png")]).receipts.get()
    url = reverse("funds:receipt", args=[receipt_row.pk])

    assert client_for("district_b_staff").get(url).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()

    response = client_for("street_staff").get(url)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3_server.url}/{s3_bucket}/{receipt_row.file.name}?")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=60" in location
    assert "response-content-disposition=attachment" in location
    assert response["Cache-Control"] == "no-store"
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="funds.receipt")
    with urllib.request.urlopen(location, timeout=5) as fetched:  # noqa: S310
        # (moto ignores the response-content-* overrides that S3 and MinIO apply.)
        assert fetched.read() == stored_bytes(s3_server, s3_bucket, receipt_row.file.name)


def test_erasure_deletes_the_members_workbooks_and_area_prints_from_the_bucket(
    cast,
    s3_storage,
    s3_server,
    s3_bucket,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.PRINT_JOB_DIR = str(tmp_path / "var")
    secretary = cast.user("community_secretary")
    member = cast.member_a
    naming = uploads.store(
        SimpleUploadedFile("花名册.xlsx", workbook([person(1, name=member.name)])),
        user=secretary,
        community=cast.community_a,
    )
    other = uploads.store(
        SimpleUploadedFile("花名册.xlsx", workbook([person(2)])),
        user=secretary,
        community=cast.community_a,
    )
    job = _print_job(cast)
    assert job.file_path in keys(s3_server, s3_bucket)
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member=member, actor=secretary)
    left = keys(s3_server, s3_bucket)
    assert uploads.name_for(naming.token) not in left and job.file_path not in left
    assert left == [uploads.name_for(other.token)]  # another upload stays


@pytest.fixture
def frozen(s3_server):
    """Stops the S3 server (SIGSTOP: it keeps accepting connections, answers nothing)
    until the test ends."""

    def freeze():
        os.kill(s3_server.process.pid, signal.SIGSTOP)

    yield freeze
    s3_server.resume()


def test_a_frozen_store_gives_a_chinese_error_within_the_timeout(
    cast, client_for, s3_server, s3_bucket, settings, frozen
):
    use_s3(settings, s3_server, s3_bucket)
    grant(cast, "500.00")
    receipt_row = spend(cast, "12.00", uploads=[(png(), "image/png")]).receipts.get()
    use_s3(settings, s3_server, s3_bucket, connect_timeout=1, read_timeout=1, max_attempts=1)
    client = client_for("street_staff")
    frozen()

    started = time.monotonic()
    response = client.get(reverse("funds:receipt", args=[receipt_row.pk]))
    assert time.monotonic() - started < 8
    assert response.status_code == 503
    assert "文件暂时无法取回" in response.content.decode()

    # An upload meanwhile is refused with a message on the form; no half-made import.
    started = time.monotonic()
    upload = client_for("community_secretary").post(
        reverse("members:import_upload"),
        {
            "community": cast.community_a.pk,
            "file": SimpleUploadedFile("花名册.xlsx", workbook([person(1)])),
        },
    )
    assert time.monotonic() - started < 12
    assert upload.status_code == 200
    assert "文件存储未能及时响应" in upload.content.decode()
    assert not ImportRun.objects.exists()
