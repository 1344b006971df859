"""A Redis that answers nothing must not hang a page, nor turn a save into an error.

"Frozen" is a redis-server of our own stopped by SIGSTOP: it accepts connections (the
kernel completes the handshake) and never answers, which a connect timeout does not
catch. "Stopped" is the same server gone (its port refuses). The server is started on a
free loopback port and continued and stopped in teardown, so no other test's Redis is
touched.
"""

import contextlib
import os
import runpy
import signal
import threading
import time

import pytest
from django.conf import settings as project_settings
from django.db import connection
from django.urls import reverse

from activities.meetings.models import Meeting

from .conftest import ROOT, RedisServer
from .receivers import free_port
from .test_reminders import tomorrow

pytestmark = [
    pytest.mark.services("postgres"),
    pytest.mark.django_db(transaction=True),
]

# Seconds a page may take when Redis does not answer: one read timeout (measured: 2.0 to
# 2.4 s) and room for a loaded CI machine; a hang is what it catches.
BOUND = project_settings.REDIS_SOCKET_TIMEOUT + 6


@pytest.fixture(params=["frozen", "stopped"])
def dead_redis(request, redis_server):  # redis_server: skips when redis-server is missing
    server = RedisServer(free_port()).start()
    if request.param == "frozen":
        os.kill(server.process.pid, signal.SIGSTOP)
    else:
        server.stop()
    yield server
    if server.process is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def timed(call):
    """Run call() in a thread: (its result, seconds taken); the result is None when it
    has not answered within 3 x BOUND (the thread is left to end when Redis goes)."""
    outcome = {}

    def run():
        try:
            outcome["result"] = call()
        finally:
            connection.close()  # this thread's own

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(3 * BOUND)
    return outcome.get("result"), time.monotonic() - started


@pytest.fixture
def broker_on(dead_redis, settings):
    """The project's Celery settings with this Redis as the broker, the current app in
    every thread (the request runs in one of its own)."""
    import celery
    from celery import _state

    import activities.tasks  # noqa: F401  (registers the reminder tasks)

    previous = _state.default_app
    app = celery.Celery("retiree_party_frozen", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=dead_redis.url, task_always_eager=False)
    app.set_default()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield app
    _state.set_default_app(previous)


def test_planning_a_meeting_with_the_broker_not_answering_is_saved_and_said_so(
    cast, broker_on, client_for, caplog
):
    client = client_for("branch_secretary")
    response, elapsed = timed(
        lambda: client.post(
            reverse("activities:meeting_plan", args=[cast.branch_a.pk]),
            {
                "kind": "general_assembly",
                "topic": "冻结期间",
                "planned_on": tomorrow(),
                "mode": "on_site",
            },
        )
    )
    print(f"\nPLAN WITH BROKER DOWN: {elapsed:.2f} s")
    assert response is not None, f"no answer in {elapsed:.0f} s"
    assert elapsed < BOUND
    assert response.status_code == 302
    assert Meeting.objects.filter(branch=cast.branch_a, topic="冻结期间").count() == 1
    assert "could not queue activities.sweep_reminders" in caplog.text


def test_a_dashboard_with_the_shared_cache_not_answering_is_computed_without_it(
    cast, dead_redis, settings, client_for, monkeypatch, caplog
):
    # The cache exactly as the settings build it for CACHE_URL.
    monkeypatch.setenv("CACHE_URL", dead_redis.url)
    settings.CACHES = runpy.run_path(str(ROOT / "retiree_party" / "settings.py"))["CACHES"]
    assert settings.CACHES["default"]["LOCATION"] == dead_redis.url
    client = client_for("district_staff")
    for node in (cast.district_a, cast.street_a, cast.community_a):
        response, elapsed = timed(
            lambda node=node: client.get(reverse("reports:org_dashboard", args=[node.pk]))
        )
        print(f"\nDASHBOARD {node.level} WITH CACHE DOWN: {elapsed:.2f} s")
        assert response is not None, f"no answer in {elapsed:.0f} s"
        assert elapsed < BOUND
        assert response.status_code == 200
        assert node.name in response.content.decode()
    assert "shared cache unreachable" in caplog.text
