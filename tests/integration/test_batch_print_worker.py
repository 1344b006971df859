"""A batch print on real services (issue 21): a `celery worker` process on Redis prints a
street's sign-in sheets; it is killed with SIGKILL in the middle of the batch; the beat's
sweep hands the stranded job to a second worker once its lease has run out, which
resumes from the parts already printed. One complete PDF comes out: every branch once,
one outline entry each, no page twice."""

import datetime
import types

import pytest
from django.utils import timezone
from pypdf import PdfReader

import reports.prints.tasks  # registers the print tasks on the test app
from reports.prints import services
from reports.prints.models import PrintJob, PrintState

from .. import factories as f
from ..reports.prints.conftest import pdf_text, planned, result_file
from .conftest import wait_for

pytestmark = [
    pytest.mark.services("postgres"),
    pytest.mark.django_db(transaction=True),
]

BRANCHES = 14
LEASE = 4


def test_a_worker_killed_mid_batch_still_gives_one_complete_pdf(
    cast, celery_app, redis, worker_processes, settings, tmp_path
):
    folder = tmp_path / "var"
    settings.PRINT_JOB_DIR = str(folder)
    env = {
        "PRINT_JOB_DIR": str(folder),
        "PRINT_JOB_LEASE_SECONDS": str(LEASE),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # the result goes to the default storage
    }
    no_smtp = types.SimpleNamespace(port=1)
    monday = timezone.localdate() + datetime.timedelta(days=7)
    branches = [cast.functional_a, cast.branch_a]
    for n in range(BRANCHES - 2):
        branches.append(
            f.branch(organization=cast.community_a, name=f"翠园社区第{n + 1:02d}党支部")
        )
    for n, branch in enumerate(branches):
        planned(branch, monday, topic=f"第{n + 1:02d}号会议")
    job = services.job_start(
        user=cast.user("street_staff"),
        node=cast.street_a,
        kind="sign_in",
        params={"date_from": monday.isoformat(), "date_to": monday.isoformat()},
        output="pdf",
    )

    doomed = worker_processes(redis=redis, smtp=no_smtp, env=env)
    reports.prints.tasks.enqueue(job.pk)

    def progress():
        return PrintJob.objects.values_list("state", "done", "total").get(pk=job.pk)

    wait_for(lambda: progress()[1] >= 3, timeout=120, what="the first branches printed")
    doomed.kill()
    state, done, total = progress()
    assert state == PrintState.RUNNING and 3 <= done < total == BRANCHES, (state, done, total)
    parts = sorted(p.name for p in (folder / "prints" / f"job-{job.pk}" / "parts").glob("*.pdf"))
    assert len(parts) >= done  # complete parts only (a half-written one has a .tmp name)

    worker_processes(redis=redis, smtp=no_smtp, env=env)
    # The beat's sweep, every minute in production: nothing to do while the lease runs...
    wait_for(
        lambda: PrintJob.objects.get(pk=job.pk).is_stranded,
        timeout=LEASE * 3,
        what="the dead worker's lease to run out",
    )
    celery_app.send_task("reports.resume_print_jobs")  # ...then the job is queued again
    wait_for(
        lambda: progress()[0] in (PrintState.DONE, PrintState.FAILED),
        timeout=180,
        what="the resumed job to finish",
    )
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.error) == (PrintState.DONE, BRANCHES, BRANCHES, "")
    assert job.attempts == 2 and job.done_at_claim >= 3  # resumed, not started over

    reader = PdfReader(result_file(job))
    names = [b.name for b in sorted(branches, key=lambda b: (b.organization.path, b.name, b.pk))]
    assert [item.title for item in reader.outline] == names
    cover = len(reader.pages) - BRANCHES  # one page per branch's single sheet
    assert cover >= 1 and job.pages == len(reader.pages)
    text = pdf_text(result_file(job))
    for n in range(BRANCHES):
        assert text.count(f"第{n + 1:02d}号会议") == 1, n  # every branch once, none twice
    for page_number, item in enumerate(reader.outline):
        first = reader.get_destination_page_number(item) + 1
        assert first == cover + page_number + 1
        assert item.title in pdf_text(result_file(job), first, first)
    print(
        f"\nKILLED-MID-BATCH: killed after {done}/{BRANCHES} branches; resumed at "
        f"{job.done_at_claim}; {len(reader.pages)} pages, {job.file_size} bytes"
    )
