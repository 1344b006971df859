"""Batch prints as Celery tasks: thin, taking the job's id; the state is in the PrintJob
row (services.job_execute claims it, so a task delivered twice runs once). Registered
through reports/tasks.py (Celery's autodiscovery imports `<app>.tasks`)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from . import services

logger = logging.getLogger("portal.prints")


@shared_task(name="reports.print_job", ignore_result=True)
def print_job(job_id: int) -> str:
    return services.job_execute(job_id)


@shared_task(name="reports.resume_print_jobs", ignore_result=True)
def resume_print_jobs() -> str:
    """Every minute: hand jobs stranded by a stopped worker (or a lost publish) to a
    worker again; they resume from the branches already printed."""
    ids = services.stranded_jobs()
    for job_id in ids:
        _publish(job_id)
    return f"{len(ids)} print jobs queued again"


@shared_task(name="reports.prune_print_jobs", ignore_result=True)
def prune_print_jobs() -> str:
    return f"{services.prune_expired()} print results removed"


def runs_inline() -> bool:
    """No broker (the zero-setup demo): the job's page runs the job in its request."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def _publish(job_id: int) -> None:
    try:
        print_job.apply_async(args=[job_id], retry=False)
    except Exception as error:  # broker down: the job stays queued, resumed by the sweep
        logger.warning("could not queue print job %s (%s)", job_id, error)


def enqueue(job_id: int) -> None:
    """Queue the job once the current transaction commits (not without a broker: the
    page runs it then)."""
    if not runs_inline():
        transaction.on_commit(lambda: _publish(job_id), robust=True)
