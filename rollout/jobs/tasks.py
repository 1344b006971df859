"""Import jobs as Celery tasks: thin, taking the job's id; the state is in the row
(services.job_execute claims it, so a task delivered twice runs once). Registered
through rollout/tasks.py."""

from __future__ import annotations

from celery import shared_task

from accounts import jobs

from . import services


@shared_task(name="rollout.import_job", ignore_result=True)
def import_job(job_id: int) -> str:
    return services.job_execute(job_id)


@shared_task(name="rollout.resume_import_jobs", ignore_result=True)
def resume_import_jobs() -> str:
    ids = services.stranded_jobs()
    for job_id in ids:
        jobs.publish(import_job, job_id)
    return f"{len(ids)} import jobs queued again"


def enqueue(job_id: int) -> None:
    jobs.enqueue(import_job, job_id)
