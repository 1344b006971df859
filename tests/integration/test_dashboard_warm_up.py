"""No cold city: a change that bumps every district queues the dashboards' warm-up after
its commit; a real Celery worker fills the shared Redis cache (CACHE_URL, database 11 of
the test's own Redis), and the city-wide page is then served with a warm page's queries."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import summaries
from branches.models import Level, Organization
from reports import cache as dashboards
from reports import tasks
from reports.selectors.periods import choose_period
from rollout.completeness import selectors as completeness

from ..reports.conftest import build_world
from .conftest import wait_for

pytestmark = [
    pytest.mark.services("postgres", "redis"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def shared_cache(redis, settings):
    url = redis.url.rsplit("/", 1)[0] + "/11"
    settings.CACHE_URL = url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    cache.clear()
    yield url
    cache.clear()


def districts_cached() -> bool:
    """Every district's entry for the period a dashboard opens on, under its version now,
    and the city's completeness card: what the city page reads."""
    today = timezone.localdate()
    choice = choose_period({}, today=today)
    keys = []
    for district in Organization.objects.filter(level=Level.DISTRICT):
        key = dashboards._key(district.pk, district.figures_version, choice, today)
        keys += [key, key + dashboards.LINES]
    return set(cache.get_many(keys)) == set(keys) and city_completeness_cached()


def city_completeness_cached() -> bool:
    """The city's data completeness (its dashboard's card), under its version now."""
    city = Organization.objects.get(level=Level.CITY)
    version = city.figures_key()
    key = f"{completeness.CACHE_PREFIX}:{city.pk}:{version}:{timezone.localdate():%Y%m%d}"
    return cache.get(key) is not None


def city_page(client):
    city = Organization.objects.get(level=Level.CITY)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:org_dashboard", args=[city.pk]))
    assert response.status_code == 200
    return len(queries)


def test_a_city_wide_change_is_followed_by_the_warm_up_and_the_city_page_is_warm(
    cast, client_for, shared_cache, worker
):
    build_world(cast)
    client = client_for("city_admin")
    city_page(client)  # the session, and the dashboards as they are now
    warm = city_page(client)

    with transaction.atomic():  # a city-wide change: the task is queued on commit only
        Organization.objects.touch_figures()
        assert not districts_cached()
    wait_for(districts_cached, timeout=60, what="the warm-up task filled the cache")
    assert city_page(client) == warm  # nothing computed: the districts came from the cache

    summaries.rebuild()  # rebuild_summaries bumps every district too
    wait_for(districts_cached, timeout=60, what="the warm-up after rebuild_summaries")
    assert city_page(client) == warm


def test_without_the_warm_up_the_first_look_computes_every_district(
    cast, client_for, shared_cache, redis, celery_app
):
    """The comparison: no worker takes the task, so the page computes the districts."""
    build_world(cast)
    client = client_for("city_admin")
    city_page(client)
    warm = city_page(client)
    Organization.objects.touch_figures()
    assert city_page(client) > warm


def test_a_page_waits_for_a_district_another_process_is_computing(cast, shared_cache):
    """The page that arrives while the task computes a district reads the task's entry
    instead of computing it beside it."""
    build_world(cast)
    today = timezone.localdate()
    choice = choose_period({}, today=today)
    district = Organization.objects.get(pk=cast.district_a.pk)
    key = dashboards._key(district.pk, district.figures_version, choice, today)
    assert cache.add(key + dashboards.COMPUTING, 1, 30)  # the task took it

    def task():
        dashboards._computed(district, key, choice, today)
        cache.delete(key + dashboards.COMPUTING)
        connection.close()

    other = threading.Timer(0.5, task)
    other.start()
    with CaptureQueriesContext(connection) as queries:
        waited = dashboards.node_figures(district, choice, today=today)
    other.join(30)
    assert len(queries) == dashboards.VERSION_QUERIES  # its version; nothing computed
    assert waited.total == dashboards.node_figures(district, choice, today=today).total


def test_a_burst_of_city_wide_changes_queues_one_warm_up(cast, shared_cache, redis, celery_app):
    import redis as redis_client

    broker = redis_client.Redis.from_url(redis.url)
    for _ in range(5):  # bounded: five changes, each committed on its own
        Organization.objects.touch_figures()
    assert broker.llen("celery") == 1  # one waits; it will see all five
    cache.delete(tasks.WARM_UP_QUEUED)  # as the task does when it starts
    Organization.objects.touch_figures()
    assert broker.llen("celery") == 2
