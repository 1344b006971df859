"""数据完整率 (rollout.completeness) at district size: query counts and time.

    .venv/bin/python bench/completeness.py                 # seeds once, then measures
    .venv/bin/python bench/completeness.py --runs 10 --db-name portal_bench_completeness

Seeds a scratch database (--db-name, on the server of DATABASE_URL) with `seed_demo
--size district --meeting-years 1` the first time (completeness reads no meetings: the
fewest the seeder makes; a later run reuses it), then blanks some fields so that most
problem kinds are found, and measures for the district (13 streets, ~250
communities, ~350 branches, ~9,600 members):

1. `area_completeness` of the district, of one street and of one community (one set
   of queries each: median ms, queries, Python memory peak);
2. the other way, one community at a time over a sample, extrapolated to the district;
3. `cached_area` once kept (what the dashboards and the staff's workbench read);
4. the completeness page as the demo's district staff (`district`): the district's
   figures and the first page of each list, cold and kept.

Nothing leaves the machine; timings are from whatever else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run as base

SAMPLE = 20  # communities timed one by one


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db-name", default="portal_bench_completeness")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 50:
        parser.error("--runs must be 1..50")
    return args


def measure(call, runs: int) -> dict:
    """Median ms over `runs` after a warm-up, the queries and memory peak of one run."""
    from django.db import connection

    executed = 0

    def counter(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    call()
    with connection.execute_wrapper(counter):
        tracemalloc.start()
        started = time.perf_counter()
        call()
        times = [time.perf_counter() - started]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        queries = executed
    for _ in range(runs - 1):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return {
        "ms": round(statistics.median(times) * 1000, 1),
        "queries": queries,
        "peak_mb": round(peak / 2**20, 2),
    }


def blank_some_fields():
    """Every 7th member without a phone, every 11th without a joined-party date, every
    13th without an address; every 5th branch's terms ended (no secretary)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE members_member SET phone = '' WHERE id % 7 = 0")
        cursor.execute("UPDATE members_member SET joined_party_on = NULL WHERE id % 11 = 0")
        cursor.execute("UPDATE members_member SET address = '' WHERE id % 13 = 0")
        cursor.execute(
            "UPDATE members_committeeterm SET ends_on = starts_on + 1 WHERE branch_id % 5 = 0"
        )


def page(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as cold:
        assert client.get(url).status_code == 200, url
    cold_n = len(cold)
    with CaptureQueriesContext(connection) as kept:
        client.get(url)
    kept_n = len(kept)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return {
        "queries_cold": cold_n,
        "queries": kept_n,
        "ms": round(statistics.median(times) * 1000, 1),
    }


def main(argv=None):
    args = parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    url = base.with_database(admin_url, args.db_name)
    import psycopg

    try:
        psycopg.connect(url).close()
        fresh = False
    except psycopg.OperationalError:
        base.recreate_database(admin_url, args.db_name)
        fresh = True
    base.setup_django(url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from branches.models import Level, Organization
    from members.models import Member
    from rollout.completeness import selectors

    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    out = {}
    if fresh or not base.seeded():
        started = time.perf_counter()
        call_command("seed_demo", size="district", seed=args.seed, meeting_years=1, verbosity=0)
        out["seed_s"] = round(time.perf_counter() - started, 1)
        blank_some_fields()
    base.analyze()  # fresh statistics, as a database in use has
    today = timezone.localdate()
    district = Organization.objects.filter(level=Level.DISTRICT).order_by("path").first()
    street = Organization.objects.filter(parent=district).order_by("path").first()
    communities = list(
        Organization.objects.filter(level=Level.COMMUNITY, path__startswith=district.path)
    )
    out["rows"] = {
        "communities": len(communities),
        "members": Member.objects.count(),
        "branches": district.branches.model.objects.count(),
    }
    total = selectors.area_completeness(district, today).total
    out["district_figures"] = {
        "members": total.members,
        "rate": total.rate_label,
        "problems": dict(total.problems),
    }
    out["district"] = measure(lambda: selectors.area_completeness(district, today), args.runs)
    out["street"] = measure(lambda: selectors.area_completeness(street, today), args.runs)
    out["community"] = measure(
        lambda: selectors.area_completeness(communities[0], today), args.runs
    )
    sample = communities[:SAMPLE]
    one_by_one = measure(
        lambda: [selectors.area_completeness(c, today) for c in sample], max(1, args.runs // 2)
    )
    scale = len(communities) / len(sample)
    out["district_one_community_at_a_time"] = {
        "ms": round(one_by_one["ms"] * scale, 1),
        "queries": round(one_by_one["queries"] * scale),
    }
    cache.clear()
    selectors.cached_area(district, today)
    out["district_kept"] = measure(lambda: selectors.cached_area(district, today), args.runs)

    client = Client()
    client.force_login(get_user_model().objects.get(username="district"))
    overview = reverse("completeness:overview")
    cache.clear()
    out["page"] = {
        label: page(client, f"{overview}?area={district.pk}{query}", args.runs)
        for label, query in [
            ("members", ""),
            ("no_secretary", "&problem=no_secretary"),
            ("no_branch", "&problem=no_branch"),
            ("unregistered", "&problem=unregistered"),
        ]
    }
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
