"""gunicorn's settings for the portal:
`gunicorn retiree_party.wsgi -c retiree_party/gunicorn.conf.py`.

Measured on the 2-core machine (bench/pages.py, 64 connections over the district's pages):
a worker process per core, each with a few threads (gthread). The threads overlap one
request's waits on PostgreSQL and the cache with another's Python, and keep the clients'
connections alive (a sync worker closes each after one request). More processes than
cores only add memory and per-process caches to fill. Each thread holds its own database
connection (CONN_MAX_AGE), so PostgreSQL sees workers x threads connections.

Every value can be set from the environment (GUNICORN_WORKERS, GUNICORN_THREADS,
GUNICORN_TIMEOUT, GUNICORN_BIND); the command line wins over both.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", os.cpu_count() or 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Above MEMBER_IMPORT_READ_SECONDS, below MEMBER_IMPORT_LEASE_SECONDS (settings.py).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
keepalive = 5
# wsgi.py freezes the start-up objects out of the collector's sight (gc.freeze); load the
# app in each worker as usual (no preload), so a deploy restarts cleanly.
preload_app = False
