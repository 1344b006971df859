"""Celery task: compute the districts' dashboards before anybody looks.

Cached dashboards are keyed by the day and by the districts' figures versions, so the
first look each morning, and the first look after a change that bumps every district (a
city-wide rule, an organisation edited, `rebuild_summaries`, a migrate), would compute
every district (the city-wide page: all of them at once, 3.1 s at city size).
`warm_dashboards` computes the current quarter's (and the last quarter's, which the
staff's workbench compares with) for every district into the shared cache (CACHE_URL),
so that first look is served from it like any other: daily before office hours (beat),
and queued after the commit of every city-wide change (`queue_warm_up`). A page arriving
while it runs computes only the districts it has not reached (reports.cache: one
process computes a district, the others wait for its entry). It also computes the data
completeness (rollout.completeness) of every district and street.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts import broker
from branches.models import Level, Organization
from rollout.completeness import selectors as completeness

from .cache import _cache_call, node_figures
from .selectors.periods import choose_period

logger = logging.getLogger("portal.reports")


# A burst of city-wide changes (an import re-drawing the districts) queues one warm-up,
# not one per change: the mark is taken when one is queued and dropped when it starts,
# so a change during a run queues the next.
WARM_UP_QUEUED = "dashboards-warm-up:queued"
WARM_UP_QUEUED_SECONDS = 120  # a task lost with the broker holds the next back no longer


@shared_task(name="reports.warm_dashboards", ignore_result=True)
def warm_dashboards() -> str:
    _cache_call(cache.delete, WARM_UP_QUEUED)
    today = timezone.localdate()
    choice = choose_period({}, today=today)  # what a dashboard shows when first opened
    # ... and the period before it, which the staff's workbench compares with.
    previous = choose_period(dict(parse_qsl(choice.query(choice.previous))), today=today)
    # Backwards: a page arriving meanwhile computes its missing districts forwards (path
    # order), so the two meet in the middle instead of queueing behind each other.
    districts = list(Organization.objects.filter(level=Level.DISTRICT).order_by("-path"))
    for district in districts:  # bounded: one per district; the page's own period first
        node_figures(district, choice, today=today)
    # The data completeness the city's, the districts' and the streets' pages show.
    upper = Organization.objects.filter(level__in=[Level.CITY, Level.DISTRICT, Level.STREET])
    for node in upper.order_by("path"):  # bounded: the tree's upper levels
        completeness.cached_area(node, today)
    for district in districts:  # bounded: one per district
        node_figures(district, previous, today=today)
    return f"{len(districts)} districts' dashboards computed for {choice.span.label}"


def queue_warm_up(sender, using="default", **kwargs) -> None:
    """After every district's figures moved (branches.models.figures_touched_everywhere):
    warm them again once the change commits. Only with a shared cache (a worker's own
    cache serves no page) and a broker (the zero-setup demo has neither)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CACHE_URL:
        return
    transaction.on_commit(_publish_warm_up, using=using, robust=True)


def _publish_warm_up() -> None:
    if not _cache_call(cache.add, WARM_UP_QUEUED, 1, WARM_UP_QUEUED_SECONDS, default=True):
        return  # one is queued and has not started: it will see this change
    # Broker down: the page computes, the morning run warms.
    if not broker.publish(warm_dashboards.name, what="the dashboards' warm-up", log=logger):
        _cache_call(cache.delete, WARM_UP_QUEUED)


# Batch prints (reports/prints/tasks.py): imported so Celery registers them.
from .prints.tasks import print_job, prune_print_jobs, resume_print_jobs  # noqa: E402, F401
