"""Celery task: prune the API's request log every night (beat, settings)."""

from celery import shared_task

from . import services


@shared_task(name="api.prune_api_requests", ignore_result=True)
def prune_api_requests() -> int:
    return services.prune_requests()
