"""The real services the portal runs on in CI and production: PostgreSQL and Redis/Celery.

Locally these skip when a service is missing; under REQUIRE_SERVICES=1 (CI) they fail, so
a green CI run proves the suite ran on PostgreSQL and reached a real broker.
"""

import os

import pytest
from celery import Celery
from django.db import connection

from branches.models import Level, Organization

from .celery_worker import start_thread_worker
from .conftest import REQUIRE_SERVICES, service_missing


@pytest.mark.services("postgres")
def test_the_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.services("postgres")
@pytest.mark.django_db
def test_a_subtree_lookup_can_use_the_path_prefix_index():
    # With a non-C collation a plain btree cannot serve LIKE 'prefix%'; the
    # varchar_pattern_ops index can. Sequential scans are switched off for this one
    # transaction so the plan shows whether the index is usable at all.
    city = Organization.objects.create(name="滨海市", code="3199", level=Level.CITY)
    Organization.objects.create(name="东城区", code="319901", level=Level.DISTRICT, parent=city)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Organization.objects.subtree(city).query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # An index range scan on the pattern operators (~>=~, ~<~), not a filter over every row.
    assert "Index" in plan and "~>=~" in plan, plan


@pytest.mark.services("postgres")
def test_database_connections_are_kept_between_requests(settings):
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_services_required_in_ci_are_never_skipped_silently(monkeypatch):
    # The switch CI sets is read by the conftest; without it a missing service skips.
    from . import conftest

    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", True)
    monkeypatch.setitem(conftest._service_status, "redis", "switched off for this test")
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_SERVICES=1"):
        conftest.require_service("redis")
    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", False)
    with pytest.raises(pytest.skip.Exception, match="redis unavailable"):
        conftest.require_service("redis")


def test_an_unknown_service_name_is_an_error():
    with pytest.raises(ValueError, match="unknown service"):
        service_missing("mainframe")


def test_redis_answers(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    assert client.ping() is True


@pytest.mark.django_db  # Celery's Django fix-up closes the worker's DB connections
def test_a_celery_worker_runs_a_task_through_redis(redis_url):
    # The project's Celery settings, with the broker and a result backend on Redis.

    app = Celery("retiree_party_services_test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=redis_url,
        result_backend=redis_url,
        task_always_eager=False,
        task_default_queue="services-test",
    )

    # The portal ignores results (nothing reads them); this task is read back.
    @app.task(name="tests.add", ignore_result=False)
    def add(a, b):
        return a + b

    with start_thread_worker(app, shutdown_timeout=10):
        assert add.delay(20, 6).get(timeout=15) == 26


@pytest.mark.django_db
def test_a_worker_in_a_thread_leaves_the_test_database_socket_alone(redis_url):
    # Celery's solo pool would make its Django fix-up os.close() this process's database
    # socket; the next socket reused the number, and a task hung now and then (a CI failure).

    app = Celery("retiree_party_socket_test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=redis_url, task_always_eager=False, task_default_queue="socket-test")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    fd = connection.connection.fileno()
    socket_before = os.fstat(fd).st_ino
    with start_thread_worker(app, shutdown_timeout=10):
        assert os.fstat(fd).st_ino == socket_before
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)


def test_require_services_is_set_in_ci():
    # .ci/run exports CI=true and REQUIRE_SERVICES=1 together; this catches a CI script
    # that forgets the switch (and so would let service tests skip).
    import os

    if os.environ.get("CI", "").lower() == "true":
        assert REQUIRE_SERVICES
