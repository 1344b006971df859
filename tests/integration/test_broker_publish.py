"""accounts.broker.publish against a real redis-server of its own: it queues on one kept
connection, a stopped broker is tried once per publish (counted, not timed), a frozen
(SIGSTOP) one costs one read timeout; both give a warning, after which the next publish
connects again by itself."""

import contextlib
import logging
import os
import signal
import time

import celery
import pytest
import redis as redis_client

from accounts import broker

from .conftest import RedisServer
from .receivers import ClosingListener, free_port

pytestmark = pytest.mark.services("redis")

TASK = "activities.sweep_reminders"


@pytest.fixture
def server(redis_server):  # redis_server: skips when redis-server is missing
    own = RedisServer(free_port()).start()
    yield own
    if own.process is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(own.process.pid, signal.SIGCONT)
    own.stop()


@pytest.fixture
def app(server):
    """The project's Celery settings with this server as the broker, current for the test."""
    previous = celery.current_app._get_current_object()
    app = celery.Celery("broker-publish", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=server.url, task_always_eager=False)
    app.set_current()
    yield app
    previous.set_current()


def queued(server) -> list[str]:
    """The task names waiting in the default queue."""
    import json

    client = redis_client.Redis(port=server.port)
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange("celery", 0, -1)]


def connections_received(server) -> int:
    return redis_client.Redis(port=server.port).info("stats")["total_connections_received"]


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_publishes_go_to_the_broker_over_one_kept_connection(app, server):
    assert broker.publish(TASK, kwargs={"branch_id": 1})  # connects
    before = connections_received(server)
    for branch_id in range(2, 7):
        assert broker.publish(TASK, kwargs={"branch_id": branch_id})
    # Only this test's own counting connection: the five publishes opened none.
    assert connections_received(server) - before == 1
    assert queued(server) == [TASK] * 6


def test_a_stopped_broker_is_tried_once_and_the_next_publish_reconnects(app, server, caplog):
    assert broker.publish(TASK)
    server.stop()
    # Its port now closes every connection, so the publishes' tries can be counted: one
    # each, no retry. The first fails on the kept connection (one reconnect), the second
    # connects afresh (kombu's default retries, 2 s apart, would make it 2).
    with (
        ClosingListener(server.port) as gone,
        caplog.at_level(logging.WARNING, logger="portal.broker"),
    ):
        assert not broker.publish(TASK, what="a sweep")
        assert gone.accepted == 1
        assert not broker.publish(TASK, what="a sweep")
        assert gone.accepted == 2
    assert "could not queue a sweep" in caplog.text
    server.start()
    assert broker.publish(TASK)
    assert queued(server) == [TASK]


def test_a_frozen_broker_costs_one_read_timeout_not_a_hang(app, server, settings, caplog):
    assert broker.publish(TASK)
    os.kill(server.process.pid, signal.SIGSTOP)
    with caplog.at_level(logging.WARNING, logger="portal.broker"):
        ok, elapsed = timed(lambda: broker.publish(TASK))
    assert not ok
    assert elapsed < settings.REDIS_SOCKET_TIMEOUT + 1.5, elapsed
    assert f"could not queue {TASK}" in caplog.text
    os.kill(server.process.pid, signal.SIGCONT)
    assert broker.publish(TASK)
    # The frozen publish may have reached the server's buffer before it stopped: a sweep
    # queued twice is harmless (the rows are the state), one lost is caught by the beat.
    assert queued(server)[-1] == TASK and 2 <= len(queued(server)) <= 3
