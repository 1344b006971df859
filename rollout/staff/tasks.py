"""The activation links go out in the worker, after the decision commits: a web request
never waits on SMS or SMTP (without a broker, CELERY_TASK_ALWAYS_EAGER, they go at once)."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from accounts import broker

from . import services

logger = logging.getLogger("portal.rollout")


@shared_task(name="rollout.send_activation_links", ignore_result=True)
def send_activation_links(user_ids: list[int], base_url: str) -> str:
    return f"{services.links_send(user_ids=user_ids, base_url=base_url)} activation links sent"


def _publish(user_ids: list[int], base_url: str) -> None:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        # No broker (the demo): send them here, as the import jobs run in their page. The
        # setting is read now, not from Celery's configuration, which is fixed when first read.
        send_activation_links(user_ids, base_url)
        return
    # With the broker down the batch page offers to send them again.
    broker.publish(
        send_activation_links.name,
        args=[user_ids, base_url],
        what=f"{len(user_ids)} activation links",
        log=logger,
    )


def queue_links(user_ids: list[int], base_url: str) -> None:
    if user_ids:
        transaction.on_commit(lambda: _publish(list(user_ids), base_url), robust=True)
