"""Real services for the reminder integration tests: PostgreSQL (the test database, seen
by worker processes too), a Redis server of our own on a spare port (so a fault test can
stop and restart it without touching the machine's Redis on 6379), Celery workers (in
this process with start_thread_worker, or as `celery -A retiree_party worker` processes that can
be killed), a real SMTP server (aiosmtpd) and a robot webhook receiver on loopback.

Without PostgreSQL or redis-server these tests skip, and fail under REQUIRE_SERVICES=1.
Run them with e.g. DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_reminders
(pytest-django then uses the test database test_portal_reminders).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ..celery_worker import start_thread_worker
from ..conftest import REQUIRE_SERVICES
from .receivers import WebhookReceiver, free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_PORT = int(os.environ.get("REMINDERS_TEST_REDIS_PORT", "6390"))


def _missing(what: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {what} is unavailable", pytrace=False)
    pytest.skip(f"{what} unavailable")


class RedisServer:
    """redis-server on 127.0.0.1:<port>, no persistence, that tests may stop and start."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except Exception:
            return False

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def flush(self):
        import redis

        redis.Redis(port=self.port).flushall()


@pytest.fixture(scope="session")
def redis_server():
    if shutil.which("redis-server") is None:
        _missing("redis-server")
    port = REDIS_PORT
    server = RedisServer(port)
    if server.ping():  # somebody else's: never touch it, take a spare port
        server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server):
    if not redis_server.ping():
        redis_server.start()
    redis_server.flush()
    return redis_server


@pytest.fixture
def robot(settings):
    receiver = WebhookReceiver().start()
    settings.REMINDER_WEBHOOK_ALLOWED_PREFIXES = [f"{receiver.url}/"]
    yield receiver
    receiver.stop()


@pytest.fixture
def celery_app(redis, settings):
    """The project's Celery settings on our Redis, current in this process."""
    import celery

    import activities.tasks  # noqa: F401  (registers the reminder tasks on every app)

    previous = celery.current_app._get_current_object()
    app = celery.Celery("retiree_party_it", set_as_current=True)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=redis.url,
        task_always_eager=False,
        result_backend=None,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield app
    previous.set_current()


@pytest.fixture
def worker(celery_app):
    """A real Celery worker (solo pool) in a thread of this process."""
    with start_thread_worker(celery_app, shutdown_timeout=20, loglevel="WARNING") as started:
        yield started


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{host}:{port}/{s['NAME']}"


class WorkerProcess:
    """`celery -A retiree_party worker` in its own process group, on the test database,
    our Redis and the loopback receivers; killed with SIGKILL on demand."""

    def __init__(self, *, redis, smtp, robot=None, log_dir: Path, env=None):
        self.log = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "retiree_party.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis.url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_TIMEOUT": "60",
            "REMINDER_WEBHOOK_ALLOWED_PREFIXES": f"{robot.url}/" if robot else "",
            "REMINDER_SITE_URL": "https://portal.example.cn",
            "CONN_MAX_AGE": "0",
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "retiree_party",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"it-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=environment,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log.read_text(errors="replace"):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"worker did not start:\n{self.log.read_text(errors='replace')}")

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_processes(tmp_path):
    started: list[WorkerProcess] = []

    def spawn(**kwargs) -> WorkerProcess:
        process = WorkerProcess(log_dir=tmp_path, **kwargs)
        started.append(process)
        return process.wait_ready()

    yield spawn
    for process in started:
        process.stop()


def wait_for(predicate, timeout=60, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
