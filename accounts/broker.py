"""Publishing a Celery task from a web request or a service, which must never wait on the
broker: one try, short timeouts (the settings' REDIS_SOCKET_TIMEOUT bounds each read, since
a frozen Redis accepts the connection and never answers), and broker trouble is logged,
not raised. What was to be queued is kept in rows that a beat task sweeps, so nothing is
lost by that.

The connections are kept per process and reused: opening one (connect, PING, declaring the
queue) cost more than the rest of a meeting's save. Each makes one attempt to connect, as
a fresh connection did, so a stopped broker still fails at once; one that failed is closed,
and the next publish connects again.
"""

from __future__ import annotations

import logging
import os
import threading

from celery import current_app

logger = logging.getLogger("portal.broker")

# Connections a process keeps open: a gunicorn worker publishes from a few threads.
POOL_LIMIT = 4

_pools: dict[tuple[int, int, str], object] = {}
_lock = threading.Lock()


def _pool(app):
    """This process's pool of fail-fast connections to `app`'s broker (a forked child
    makes its own: a socket is not shared across processes)."""
    key = (os.getpid(), id(app), app.conf.broker_url)
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                connection = app.connection_for_write(transport_options={"max_retries": 0})
                pool = _pools[key] = connection.Pool(limit=POOL_LIMIT)
    return pool


def publish(name: str, *, args=(), kwargs=None, what: str = "", log=logger) -> bool:
    """Queue the task `name` once; False (and a warning naming `what`, else the task)
    when the broker is down or does not answer."""
    app = current_app._get_current_object()
    try:
        with _pool(app).acquire(block=True, timeout=app.conf.broker_connection_timeout) as conn:
            try:
                app.send_task(name, args=args, kwargs=kwargs, connection=conn, retry=False)
            except Exception:
                conn.close()  # a broken socket is not handed to the next publish
                raise
    except Exception as error:  # any broker trouble: the rows wait for the next sweep
        log.warning("could not queue %s (%s)", what or name, error)
        return False
    return True
