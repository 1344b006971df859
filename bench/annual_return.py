"""The annual return (年报) computed for a whole district and for the city.

    .venv/bin/python bench/annual_return.py                 # district and city size
    .venv/bin/python bench/annual_return.py --sizes district --runs 3

Reuses the databases `bench/dashboards.py` seeds (`portal_dash_district`,
`portal_dash_city`): migrates them (the reports app's tables) but never seeds or changes
data. For each size it times, counts the SQL queries of and measures the Python memory
peak (tracemalloc) of:

1. `area_figures` for the first district (every organisation of the district from one
   set of queries) and for the city;
2. the other way: one community at a time (`area_figures` per community) over a sample
   of the district's communities, extrapolated to all of them.

Median over --runs runs after one warm-up. Each size runs in a child process (Django is
configured once per process). Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run as base
from bench.dashboards import db_name

YEAR = 2025
SAMPLE = 20  # communities timed one by one


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="district,city")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not 1 <= args.runs <= 50 or not set(args.sizes) <= {"district", "city"}:
        parser.error("--runs must be 1..50, --sizes district and/or city")
    return args


def measure(call, runs: int) -> dict:
    """Median seconds, queries of one run and the Python memory peak (MB)."""
    from django.db import connection

    executed = 0

    def counter(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    call()  # warm-up
    times = []
    with connection.execute_wrapper(counter):
        executed = 0
        tracemalloc.start()
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
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
        "peak_mb": round(peak / 2**20, 1),
        "orgs": len(result) if isinstance(result, dict) else None,
    }


def child(size: str, runs: int) -> dict:
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    base.setup_django(base.with_database(admin_url, db_name(size)))
    from django.core.management import call_command

    from branches.models import Level, Organization
    from members.models import Member
    from reports.annual.figures import area_figures

    call_command("migrate", verbosity=0)
    today = datetime.date(YEAR + 1, 1, 15)
    district = Organization.objects.filter(level=Level.DISTRICT).order_by("path").first()
    city = Organization.objects.filter(level=Level.CITY).order_by("path").first()
    communities = list(
        Organization.objects.filter(level=Level.COMMUNITY, path__startswith=district.path).order_by(
            "path"
        )
    )
    out = {
        "members": Member.objects.count(),
        "communities_in_district": len(communities),
        "district": measure(lambda: area_figures(district, YEAR, today=today), runs),
    }
    sample = communities[:SAMPLE]
    one_by_one = measure(
        lambda: [area_figures(c, YEAR, today=today) for c in sample], max(1, runs // 2)
    )
    scale = len(communities) / len(sample)
    out["district_one_community_at_a_time"] = {
        "ms": round(one_by_one["ms"] * scale, 1),
        "queries": round(one_by_one["queries"] * scale),
        "sample": len(sample),
    }
    if city is not None and size == "city":
        out["city"] = measure(lambda: area_figures(city, YEAR, today=today), runs)
    return out


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.runs)))
        return
    for size in args.sizes:
        result = subprocess.run(
            [sys.executable, __file__, "--child", size, "--runs", str(args.runs)],
            capture_output=True,
            text=True,
            check=True,
        )
        print(size, json.dumps(json.loads(result.stdout.strip().splitlines()[-1]), indent=1))


if __name__ == "__main__":
    main()
