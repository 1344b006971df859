"""The batch print pages: starting a job from the form, the job's page and its progress
partial, running inline (no broker), cancelling, and the download (audited, scoped)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from reports.prints import services
from reports.prints.models import PrintJob, PrintState

from .conftest import outline_titles, planned, result_file

MONDAY = datetime.date(2026, 12, 14)


@pytest.fixture
def staff(client, cast):
    client.force_login(cast.user("street_staff"))
    return client


def test_the_form_starts_a_job_and_shows_it(staff, cast, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: the page runs it
    planned(cast.branch_a, MONDAY)
    page = staff.get(reverse("prints:index")).content.decode()
    assert "批量打印" in page and cast.street_a.name in page
    response = staff.post(
        reverse("prints:index"),
        {
            "kind": "sign_in",
            "node": cast.street_a.pk,
            "date_from": "2026-12-14",
            "date_to": "2026-12-20",
            "output": "pdf",
        },
    )
    job = PrintJob.objects.get()
    assert response.url == reverse("prints:job", args=[job.pk])
    assert (job.user, job.node, job.params) == (
        cast.user("street_staff"),
        cast.street_a,
        {"date_from": "2026-12-14", "date_to": "2026-12-20"},
    )
    assert AuditEntry.objects.filter(
        action=AuditAction.CREATE, object_type="reports.printjob", object_id=str(job.pk)
    ).exists()
    page = staff.get(response.url).content.decode()
    assert reverse("prints:run", args=[job.pk]) in page  # the page will run it
    assert reverse("prints:progress", args=[job.pk]) in page
    partial = staff.post(reverse("prints:run", args=[job.pk]), HTTP_HX_REQUEST="true")
    job.refresh_from_db()
    assert job.state == PrintState.DONE
    assert reverse("prints:download", args=[job.pk]) in partial.content.decode()
    assert "hx-get" not in partial.content.decode()  # polling stops
    download = staff.get(reverse("prints:download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    body = b"".join(download.streaming_content)
    assert body.startswith(b"%PDF")
    recent = staff.get(reverse("prints:index")).content.decode()
    assert reverse("prints:job", args=[job.pk]) in recent


def test_with_a_broker_the_page_does_not_run_the_job(staff, cast, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    job = services.job_start(
        user=cast.user("street_staff"), node=cast.street_a, kind="roster", params={}, output="pdf"
    )
    page = staff.get(reverse("prints:job", args=[job.pk])).content.decode()
    assert reverse("prints:run", args=[job.pk]) not in page
    progress = staff.get(reverse("prints:progress", args=[job.pk])).content.decode()
    assert "已完成 0 / 0 个支部" in progress and "hx-get" in progress  # still polling


def test_outsiders_can_neither_run_nor_cancel_nor_download(client, cast):
    job = services.job_start(
        user=cast.user("street_staff"), node=cast.street_a, kind="roster", params={}, output="pdf"
    )
    for role in ("community_secretary", "street_a2_staff", "district_b_staff", "city_admin"):
        client.force_login(cast.user(role))
        for name in ("prints:run", "prints:cancel"):
            assert client.post(reverse(name, args=[job.pk])).status_code == 404, (role, name)
        assert client.get(reverse("prints:download", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert (job.state, job.cancel_requested) == (PrintState.QUEUED, False)


def test_the_district_cancels_a_street_job(client, cast):
    job = services.job_start(
        user=cast.user("street_staff"), node=cast.street_a, kind="roster", params={}, output="pdf"
    )
    client.force_login(cast.user("district_staff"))
    response = client.post(reverse("prints:cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == PrintState.CANCELLED
    assert "已取消" in client.get(reverse("prints:job", args=[job.pk])).content.decode()


def test_a_finished_job_downloads_once_per_request_with_an_export_entry(staff, cast):
    planned(cast.branch_a, MONDAY)
    job = services.job_start(
        user=cast.user("street_staff"),
        node=cast.street_a,
        kind="sign_in",
        params={"date_from": "2026-12-14", "date_to": "2026-12-20"},
        output="pdf",
    )
    services.job_execute(job.pk)
    before = AuditEntry.objects.filter(action=AuditAction.EXPORT).count()
    response = staff.get(reverse("prints:download", args=[job.pk]))
    path = response.filename
    b"".join(response.streaming_content)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == before + 1
    assert path.endswith(".pdf") and cast.street_a.name in path
    job.refresh_from_db()
    assert outline_titles(result_file(job)) == [cast.branch_a.name]


def test_without_a_broker_the_page_resumes_a_stranded_job(staff, cast, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    job = services.job_start(
        user=cast.user("street_staff"), node=cast.street_a, kind="roster", params={}, output="pdf"
    )
    services.job_claim(job.pk)  # ...and the request running it was stopped
    PrintJob.objects.filter(pk=job.pk).update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    page = staff.get(reverse("prints:job", args=[job.pk])).content.decode()
    assert reverse("prints:run", args=[job.pk]) in page and "打印中断了" in page
    staff.post(reverse("prints:run", args=[job.pk]))
    job.refresh_from_db()
    assert (job.state, job.attempts) == (PrintState.DONE, 2)
