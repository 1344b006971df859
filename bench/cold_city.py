"""The first look at the city-wide dashboard after a change to every district (a city-wide
rule, `rebuild_summaries`, a migrate), with and without the warm-up task.

    .venv/bin/python bench/cold_city.py --db-name portal_dash_city \
        --cache-url redis://127.0.0.1:6379/11 --broker-url redis://127.0.0.1:6379/3 --rounds 3

Reuses a database seeded by `bench/dashboards.py` (city size). The cache is the shared
Redis one (CACHE_URL, flushed first); a real Celery worker (`celery -A retiree_party
worker --pool=solo`, started here on the same settings) takes the warm-up task.
Per round:
- without: every district bumped, no worker running (the queued task waits): the city
  page as the demo `city` login, timed and its queries counted;
- with: every district bumped, the worker running: the time until every district's entry
  is in the cache (the task's run), then the first look, timed;
- meanwhile: every district bumped, the page requested 0.5 s after the change, while the
  task runs (it computes only the districts the task has not taken).
Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as base  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-name", default="portal_dash_city")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be 1..20")
    return args


def main(argv=None):
    args = parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    database_url = base.with_database(admin_url, args.db_name)
    os.environ.update(CACHE_URL=args.cache_url, REDIS_URL=args.broker_url)
    base.setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from branches.models import Level, Organization
    from reports import cache as dashboards
    from reports.selectors.periods import choose_period

    client = Client()
    client.force_login(get_user_model().objects.get(username="city"))
    city = Organization.objects.get(level=Level.CITY)
    url = reverse("reports:org_dashboard", args=[city.pk])

    def look() -> tuple[float, int]:
        started = time.perf_counter()
        queries = base.count_queries(client, url)
        return (time.perf_counter() - started) * 1000, queries

    def warm(*, both=False) -> bool:
        """Every district's entry for the period a page opens on (with `both`, and the
        one before: the task's whole run) under its version now."""
        today = timezone.localdate()
        choice = choose_period({}, today=today)
        if both:
            choice = choose_period(dict(parse_qsl(choice.query(choice.previous))), today=today)
        keys = []
        for district in Organization.objects.filter(level=Level.DISTRICT):
            key = dashboards._key(district.pk, district.figures_version, choice, today)
            keys += [key, key + dashboards.LINES]
        return len(cache.get_many(keys)) == len(keys)

    def bump():  # autocommit: the warm-up is queued at once
        Organization.objects.touch_figures()

    def start_worker():
        env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0"}
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "retiree_party",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"cold-city-{os.getpid()}@%h",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)  # connected and consuming
        return worker

    def purge():  # the queued warm-up dropped, and its mark (as if none was queued)
        from reports.tasks import WARM_UP_QUEUED
        from retiree_party.celery import app

        app.control.purge()
        cache.delete(WARM_UP_QUEUED)

    cache.clear()
    purge()
    look()  # the session; the dashboards as they are
    warm_ms, warm_queries = look()
    results = {"without": [], "with": [], "task_s": [], "meanwhile": []}
    for _round in range(args.rounds):  # bounded
        bump()
        purge()  # nobody takes it: as without the warm-up
        results["without"].append(look())
        worker = start_worker()
        try:
            bump()
            changed = time.perf_counter()
            deadline = changed + 120
            while not warm() and time.perf_counter() < deadline:
                time.sleep(0.05)
            results["task_s"].append(time.perf_counter() - changed)
            results["with"].append(look())
            deadline = time.perf_counter() + 120
            while not warm(both=True) and time.perf_counter() < deadline:  # the worker idle
                time.sleep(0.05)
            bump()
            time.sleep(0.5)
            results["meanwhile"].append(look())
            deadline = time.perf_counter() + 120
            while not warm(both=True) and time.perf_counter() < deadline:  # let it finish
                time.sleep(0.05)
        finally:
            worker.terminate()  # a warm shutdown finishes its task first
            try:
                worker.wait(60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)

    def line(label, pairs):
        ms = [p[0] for p in pairs]
        return (
            f"  {label:<58} median {statistics.median(ms):8.1f} ms  "
            f"(min {min(ms):.1f}, max {max(ms):.1f})  queries {pairs[-1][1]}"
        )

    print(f"City-wide dashboard (quarter), {args.rounds} rounds, {os.cpu_count()} CPUs:")
    print(line("warm (nothing changed)", [(warm_ms, warm_queries)]))
    print(line("first look after every district changed, no warm-up", results["without"]))
    print(
        f"  {'warm-up task: change -> every district cached':<58} median "
        f"{statistics.median(results['task_s']):8.2f} s"
    )
    print(line("first look after the warm-up", results["with"]))
    print(line("look 0.5 s after the change, during the warm-up", results["meanwhile"]))
    import redis

    # Entries of older versions stay until they expire (DASHBOARD_CACHE_SECONDS): the
    # memory after N rounds holds N+1 generations of the city's dashboards.
    memory = redis.Redis.from_url(args.cache_url).info("memory")["used_memory"]
    keys = redis.Redis.from_url(args.cache_url).dbsize()
    print(f"  shared cache: {keys} keys, {memory / 1e6:.1f} MB ({args.rounds * 2 + 2} bumps)")


if __name__ == "__main__":
    main()
