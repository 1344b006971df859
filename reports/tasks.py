"""Celery task: compute the districts' dashboards before the bureau opens.

Cached dashboards are keyed by the day, so the first look each morning would compute
every district (the city-wide page: all of them at once). `warm_dashboards` (beat,
daily before office hours) computes the current quarter's (and the last quarter's, which
the staff's workbench compares with) for every district into the shared cache
(CACHE_URL), so that first look is served from it like any other.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from celery import shared_task
from django.utils import timezone

from branches.models import Level, Organization

from .cache import node_figures
from .selectors.periods import choose_period


@shared_task(name="reports.warm_dashboards", ignore_result=True)
def warm_dashboards() -> str:
    today = timezone.localdate()
    choice = choose_period({}, today=today)  # what a dashboard shows when first opened
    # ... and the period before it, which the staff's workbench compares with.
    previous = choose_period(dict(parse_qsl(choice.query(choice.previous))), today=today)
    districts = list(Organization.objects.filter(level=Level.DISTRICT).order_by("path"))
    for district in districts:  # bounded: one per district
        node_figures(district, choice, today=today)
        node_figures(district, previous, today=today)
    return f"{len(districts)} districts' dashboards computed for {choice.span.label}"


# Batch prints (reports/prints/tasks.py): imported so Celery registers them.
from .prints.tasks import print_job, prune_print_jobs, resume_print_jobs  # noqa: E402, F401
