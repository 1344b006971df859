"""The district's feedback run as a Celery task: thin, taking the run's id, the state in
the FeedbackRun row (services.run_execute claims it, so a task delivered twice generates
once). Found by Celery through units/tasks.py (autodiscovery imports `<app>.tasks`)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from accounts import jobs

from . import services


@shared_task(name="units.feedback_run", ignore_result=True)
def feedback_run(run_id: int) -> str:
    return services.run_execute(run_id)


def enqueue_run(run_id: int) -> None:
    """Queue the run once the current transaction commits (inline when Celery runs tasks
    eagerly, as the zero-setup demo does; with the broker down the run stays queued,
    visible on its page)."""
    transaction.on_commit(lambda: jobs.publish(feedback_run, run_id), robust=True)
