"""Import jobs as Celery tasks: thin, taking the job's id; the state is in the row
(services.job_execute claims it, so a task delivered twice runs once). Registered
through rollout/tasks.py."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from . import services

logger = logging.getLogger("portal.rollout")


@shared_task(name="rollout.import_job", ignore_result=True)
def import_job(job_id: int) -> str:
    return services.job_execute(job_id)


@shared_task(name="rollout.resume_import_jobs", ignore_result=True)
def resume_import_jobs() -> str:
    ids = services.stranded_jobs()
    for job_id in ids:
        _publish(job_id)
    return f"{len(ids)} import jobs queued again"


def runs_inline() -> bool:
    """No broker: the job's page runs the job in its request."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def _publish(job_id: int) -> None:
    try:
        import_job.apply_async(args=[job_id], retry=False)
    except Exception as error:  # broker down: the sweep queues it again
        logger.warning("could not queue import job %s (%s)", job_id, error)


def enqueue(job_id: int) -> None:
    if not runs_inline():
        transaction.on_commit(lambda: _publish(job_id), robust=True)
