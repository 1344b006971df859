"""Batch prints as Celery tasks: thin, taking the job's id; the state is in the PrintJob
row (services.job_execute claims it, so a task delivered twice runs once). Registered
through reports/tasks.py (Celery's autodiscovery imports `<app>.tasks`)."""

from __future__ import annotations

from celery import shared_task

from accounts import jobs

from . import services


@shared_task(name="reports.print_job", ignore_result=True)
def print_job(job_id: int) -> str:
    return services.job_execute(job_id)


@shared_task(name="reports.resume_print_jobs", ignore_result=True)
def resume_print_jobs() -> str:
    """Every minute: hand jobs stranded by a stopped worker (or a lost publish) to a
    worker again; they resume from the branches already printed."""
    ids = services.stranded_jobs()
    for job_id in ids:
        jobs.publish(print_job, job_id)
    return f"{len(ids)} print jobs queued again"


@shared_task(name="reports.prune_print_jobs", ignore_result=True)
def prune_print_jobs() -> str:
    return f"{services.prune_expired()} print results removed"


def enqueue(job_id: int) -> None:
    jobs.enqueue(print_job, job_id)
