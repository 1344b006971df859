"""The import job: upload, check in the background (inline without a broker, or a real
Celery worker), the preview, confirm and write all or nothing, version conflicts,
stranded jobs taken again, and the scope (404 outside it)."""

import datetime
import time

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from branches.models import Organization
from rollout.jobs import services
from rollout.jobs.models import ImportJob, JobState

from ..conftest import upload

pytestmark = pytest.mark.django_db

GOOD = [
    ("代码", "名称", "地址", "上级代码"),
    ("319901003", "光明街道", "光明路1号", "319901"),
    ("319901003001", "光明社区", "", "319901003"),
    ("319901001001", "翠园新村社区", "", "319901001"),
]


@pytest.fixture
def staff(client, cast, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: the job's page runs it
    client.force_login(cast.user("district_staff"))
    return client


def start(client, cast, rows=GOOD, dry_run=True):
    data = {"kind": "structure", "node": cast.district_a.pk, "file": upload(rows)}
    if dry_run:
        data["dry_run"] = "on"
    response = client.post(reverse("rollout_jobs:index"), data)
    job = ImportJob.objects.latest("pk")
    assert response.status_code == 302
    assert response.url == reverse("rollout_jobs:job", args=[job.pk])
    return job


def run(client, job):
    partial = client.post(reverse("rollout_jobs:run", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    job.refresh_from_db()
    return partial.content.decode()


def test_a_dry_run_shows_the_preview_then_confirm_writes_it(staff, cast):
    page = staff.get(reverse("rollout_jobs:index")).content.decode()
    assert "导入" in page and reverse("rollout_jobs:template", args=["structure"]) in page
    job = start(staff, cast)
    assert job.state == JobState.QUEUED and default_storage.exists(job.file_path)
    page = staff.get(reverse("rollout_jobs:job", args=[job.pk])).content.decode()
    assert reverse("rollout_jobs:run", args=[job.pk]) in page  # the page will run it
    partial = run(staff, job)
    assert job.state == JobState.CHECKED
    assert job.counts == {"add": 2, "change": 1, "leave": 0}
    assert "光明社区" in partial and "翠园新村社区" in partial and "hx-get" not in partial
    assert not Organization.objects.filter(code="319901003").exists()  # nothing written yet
    staff.post(reverse("rollout_jobs:confirm", args=[job.pk]), {"version": job.version})
    job.refresh_from_db()
    assert job.state == JobState.CONFIRMED
    run(staff, job)
    assert job.state == JobState.DONE, job.failure
    assert job.result == {"added": 2, "changed": 1, "left": 0}
    assert Organization.objects.get(code="319901003001").parent.code == "319901003"
    assert not default_storage.exists(job.file_path)  # the upload is not kept
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT, object_id=str(job.pk))
    assert len(entry.changes["batch"]) == 3


def test_without_a_dry_run_a_clean_file_is_written_at_once(staff, cast):
    job = start(staff, cast, dry_run=False)
    run(staff, job)
    assert job.state == JobState.DONE
    assert Organization.objects.filter(code="319901003001").exists()


def test_a_file_with_mistakes_writes_nothing_and_names_each_row(staff, cast):
    rows = [*GOOD, ("319901004001", "错位社区", "", "319901003"), ("abc", "坏代码", "", "")]
    job = start(staff, cast, rows, dry_run=False)
    partial = run(staff, job)
    assert job.state == JobState.INVALID and job.error_count == 2
    assert "第 5 行" in partial and "第 6 行" in partial and "“代码”" in partial
    assert not Organization.objects.filter(code="319901003").exists()


def test_a_stale_confirmation_is_a_conflict_and_writes_once(staff, cast):
    job = start(staff, cast)
    run(staff, job)
    version = job.version
    staff.post(reverse("rollout_jobs:confirm", args=[job.pk]), {"version": version})
    response = staff.post(
        reverse("rollout_jobs:confirm", args=[job.pk]), {"version": version}, follow=True
    )
    assert "已被确认或更改" in response.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.CONFIRMED


def test_something_not_a_workbook_is_refused_by_the_form(staff, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = staff.post(
        reverse("rollout_jobs:index"),
        {
            "kind": "structure",
            "node": cast.district_a.pk,
            "file": SimpleUploadedFile("a.xls", b"\xd0\xcf\x11\xe0 old excel"),
        },
    )
    assert response.status_code == 200 and "xlsx" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_area_outside_the_scope_cannot_be_chosen_nor_a_job_seen(client, staff, cast):
    response = staff.post(
        reverse("rollout_jobs:index"),
        {"kind": "structure", "node": cast.district_b.pk, "file": upload(GOOD)},
    )
    assert response.status_code == 200 and not ImportJob.objects.exists()
    job = start(staff, cast)
    client.force_login(cast.user("district_b_staff"))
    for name in ("job", "progress"):
        assert client.get(reverse(f"rollout_jobs:{name}", args=[job.pk])).status_code == 404
    assert client.post(reverse("rollout_jobs:run", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    client.force_login(cast.user("district_staff"))  # the same client as `staff`
    client.post(reverse("rollout_jobs:run", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == JobState.CHECKED
    client.force_login(cast.user("district_b_staff"))
    url = reverse("rollout_jobs:confirm", args=[job.pk])
    assert client.post(url, {"version": job.version}).status_code == 404
    job.refresh_from_db()
    assert job.state == JobState.CHECKED  # a refused confirmation changes nothing


def test_a_stranded_job_is_taken_again_and_a_held_one_is_not(cast):
    from django.core.files.base import ContentFile

    from ..conftest import xlsx

    path = default_storage.save("rollout/imports/t.xlsx", ContentFile(xlsx(GOOD)))
    job = ImportJob.objects.create(
        kind="structure",
        node=cast.district_a,
        file_name="t.xlsx",
        file_path=path,
        state=JobState.CHECKING,
        lease_until=timezone.now() + datetime.timedelta(minutes=5),
    )
    assert services.job_claim(job.pk) is None  # a worker holds it
    assert services.stranded_jobs() == []
    ImportJob.objects.filter(pk=job.pk).update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert services.stranded_jobs() == [job.pk]
    assert services.job_execute(job.pk).endswith("checked")
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.CHECKED, 1)


def test_the_template_downloads_as_a_workbook(staff):
    response = staff.get(reverse("rollout_jobs:template", args=["structure"]))
    assert response.status_code == 200 and response.content[:4] == b"PK\x03\x04"
    assert staff.get(reverse("rollout_jobs:template", args=["nothing"])).status_code == 404


@pytest.mark.services("postgres", "redis")
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_the_check_and_the_write(client, settings, redis_url):

    from retiree_party.celery import app
    from tests.celery_worker import start_thread_worker
    from tests.conftest import build_cast

    cast = build_cast()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # The project's app is shared by every test: put its settings back afterwards, or the
    # later tests that expect an eager app would queue to this broker and never run.
    changed = {
        "broker_url": redis_url,
        "task_always_eager": False,
        "task_default_queue": "h-rollout",
    }
    before = {name: app.conf[name] for name in changed}
    app.conf.update(changed)
    try:
        client.force_login(cast.user("district_staff"))
        with start_thread_worker(app, shutdown_timeout=10):
            job = start(client, cast)
            for _ in range(100):  # bounded: 10 s
                job.refresh_from_db()
                if job.state == JobState.CHECKED:
                    break
                time.sleep(0.1)
            assert job.state == JobState.CHECKED
            client.post(reverse("rollout_jobs:confirm", args=[job.pk]), {"version": job.version})
            for _ in range(100):
                job.refresh_from_db()
                if job.state == JobState.DONE:
                    break
                time.sleep(0.1)
    finally:
        app.conf.update(before)
    assert job.state == JobState.DONE
    assert Organization.objects.filter(code="319901003001").exists()


def test_the_pages_queries_do_not_grow_with_the_jobs(staff, cast, django_assert_max_num_queries):
    for _ in range(12):
        job = start(staff, cast)
    run(staff, job)
    # Session and user, the scope, the menu's counts, the form's areas, the recent jobs.
    with django_assert_max_num_queries(14):
        staff.get(reverse("rollout_jobs:index"))
    # Session and user, the scope, the menu's counts, the job with its area and author.
    with django_assert_max_num_queries(10):
        staff.get(reverse("rollout_jobs:job", args=[job.pk]))
