"""A real Celery worker in a thread of the test process, built in that thread.

Celery's own ``start_worker`` builds the worker in the calling thread. Building it runs the
worker's start-up signals there, and Celery's Django fix-up answers them as a new worker
process must: it closes every database connection of the thread, and on the solo pool's
``worker_process_init`` it ``os.close``-es their sockets. In the test's thread those are the
test's own: its PostgreSQL connection keeps a file descriptor number that the next socket (the
broker's, the result channel's) reuses, and the test's later rollback or close then writes to
or closes that socket, so a task hung until its timeout now and then (a CI failure). Django's
connections are per thread, so a worker built in its own thread closes only its own.
"""

import threading
from contextlib import contextmanager

from celery.contrib.testing.worker import TestWorkController, setup_app_for_worker
from celery.result import _set_task_join_will_block
from celery.utils.nodenames import anon_nodename
from celery.worker import state

START_SECONDS = 60


@contextmanager
def start_thread_worker(app, *, shutdown_timeout=10.0, loglevel="WARNING", **options):
    setup_app_for_worker(app, loglevel, None)
    built: dict = {}
    ready = threading.Event()

    def run():
        try:
            built["worker"] = TestWorkController(
                app=app,
                concurrency=1,
                hostname=anon_nodename(),
                pool="solo",
                loglevel=loglevel,
                logfile=None,
                ready_callback=None,
                without_heartbeat=True,
                without_mingle=True,
                without_gossip=True,
                **options,
            )
        except BaseException as error:
            built["error"] = error
            raise
        finally:
            ready.set()
        built["worker"].start()

    thread = threading.Thread(target=run, daemon=True, name="celery-test-worker")
    thread.start()
    assert ready.wait(START_SECONDS), "the worker was not built in time"
    if "error" in built:
        raise built["error"]
    worker = built["worker"]
    assert worker._on_started.wait(START_SECONDS), "the worker did not start consuming"
    _set_task_join_will_block(False)
    try:
        yield worker
    finally:
        state.should_terminate = 0
        thread.join(shutdown_timeout)
        state.should_terminate = None
        assert not thread.is_alive(), "the worker thread did not stop in time"
