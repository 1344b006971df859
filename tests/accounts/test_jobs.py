"""accounts.jobs: the claim with a lease and the Celery publish that the rollout import
jobs and the batch prints share (their own tests run it through their services; the
roster import's steps use the claim too, tests/members/test_import_web.py)."""

import datetime
import logging

import celery
import pytest
from django.utils import timezone

from accounts import broker, jobs
from rollout.jobs.models import ImportJob, JobState

LEASE = datetime.timedelta(minutes=5)


@pytest.fixture
def job(cast):
    return ImportJob.objects.create(
        kind="structure", node=cast.district_a, file_name="t.xlsx", file_path="t.xlsx"
    )


def take(job, **values):
    return jobs.Claim.take(
        ImportJob.objects,
        job.pk,
        waiting=JobState.QUEUED,
        running=JobState.CHECKING,
        lease=LEASE,
        **values,
    )


def test_a_job_is_held_by_one_claim_until_its_lease_runs_out(job):
    first = take(job, done=0)
    assert first is not None and take(job) is None
    job.refresh_from_db()
    assert (job.state, job.attempts, job.is_stranded) == (JobState.CHECKING, 1, False)

    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - LEASE)
    job.refresh_from_db()
    assert job.is_stranded
    second = take(job)
    assert second is not None and second.token != first.token
    # The stopped worker's writes touch nothing any more; the new holder's do.
    assert not first.beat(done=5) and not first.finish(JobState.FAILED)
    assert second.beat(done=3, total=4)
    job.refresh_from_db()
    assert (job.done, job.attempts, job.state) == (3, 2, JobState.CHECKING)
    assert (job.percent, job.is_live) == (75, True)


def test_a_stranded_job_not_to_resume_is_left_to_the_person(job):
    """The roster import's way: a stranded step is not taken by the next click (the page
    offers retry or discard), and a step may start from several waiting states."""
    first = take(job)
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - LEASE)
    stranded = ImportJob.objects.filter(ImportJob.stranded())
    assert list(stranded.values_list("pk", flat=True)) == [job.pk]
    assert take(job, resume=False) is None
    assert first.finish(JobState.CHECKED)
    assert not ImportJob.objects.filter(ImportJob.stranded()).exists()
    waiting = (JobState.QUEUED, JobState.CHECKED)
    again = jobs.Claim.take(
        ImportJob.objects, job.pk, waiting=waiting, running=JobState.CHECKING, lease=LEASE
    )
    assert again is not None and again.token != first.token


def test_a_finished_job_is_no_longer_its_worker_s(job):
    run = take(job)
    assert run.finish(JobState.CHECKED, error_count=0)
    job.refresh_from_db()
    assert (job.state, job.lease_until, job.current) == (JobState.CHECKED, None, "")
    assert job.finished_at is not None and not job.is_live
    assert not run.beat(done=1)  # same token, but no longer running


def test_a_job_taken_from_its_worker_by_hand_keeps_no_claim(job):
    """What a person's retry or discard of a stranded job writes (the roster import's)."""
    stalled = take(job)
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - LEASE)
    ImportJob.objects.filter(ImportJob.stranded(), pk=job.pk).update(
        state=JobState.QUEUED, **ImportJob.release_values()
    )
    job.refresh_from_db()
    assert (job.claim_token, job.lease_until, job.is_stranded) == (None, None, False)
    assert job.claimed_at is not None  # when the given-up run started
    again = take(job)
    assert again is not None and not stalled.beat(done=1)

    ImportJob.objects.filter(pk=job.pk).update(**ImportJob.release_values(restart=True))
    job.refresh_from_db()
    assert (job.claim_token, job.lease_until, job.claimed_at) == (None, None, None)


def test_a_publish_with_the_broker_down_is_logged_and_left_to_the_sweep(caplog):
    from rollout.jobs.tasks import import_job

    previous = celery.current_app._get_current_object()
    app = celery.Celery("jobs-broker-down", set_as_current=False)
    app.conf.update(broker_url="redis://127.0.0.1:1/0", broker_connection_timeout=2)
    app.set_current()
    try:
        with caplog.at_level(logging.WARNING, logger="portal.jobs"):
            jobs.publish(import_job, 7)
    finally:
        previous.set_current()
    assert "could not queue rollout.import_job 7 (" in caplog.text
    assert "Connection refused" in caplog.text


@pytest.mark.django_db
def test_a_job_is_queued_after_the_commit_and_not_at_all_without_a_broker(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []

    class Task:
        name = "t"

    monkeypatch.setattr(broker, "publish", lambda name, *, args, **kw: sent.append(args))
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.enqueue(Task(), 7)
    assert sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent == [[7]]

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the page runs it instead
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        jobs.enqueue(Task(), 8)
    assert callbacks == [] and sent == [[7]]
