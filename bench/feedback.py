"""The district's feedback run (双向联系反馈表): every unit x community draft of one
district generated for a half-year, as the Celery task does it.

    .venv/bin/python bench/feedback.py                    # district size
    .venv/bin/python bench/feedback.py --sizes district,city --db-prefix portal_dash

Seeds the scratch database the way the other benches do (`seed_demo` at that size, in
`<db-prefix>_<size>` on the server of DATABASE_URL; kept, so a second call reuses it),
migrates it, then for the first district: the number of (unit, community) pairs, the
time, SQL queries and Python memory peak (tracemalloc) of `services.run_execute` for a
fresh run (every letter created), and again for a second run (every draft regenerated:
lines replaced, remarks kept). Letters of that half-year are deleted first, so runs
compare. Each size runs in a child process. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run as base

YEAR, HALF = 2026, 1


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="district")
    parser.add_argument("--db-prefix", default="portal_feedback")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not set(args.sizes) <= {"district", "city"}:
        parser.error("--sizes: district and/or city")
    return args


def _exists(admin_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(base.with_database(admin_url, "postgres")) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def _seeded() -> bool:
    from django.db import connection

    if "branches_organization" not in connection.introspection.table_names():
        return False
    from branches.models import Organization

    return Organization.objects.exists()


def timed_run(district) -> dict:
    from django.db import connection

    from units.feedback import services
    from units.feedback.models import FeedbackLine, FeedbackRun

    run = FeedbackRun.objects.create(district=district, year=YEAR, half=HALF)
    executed = 0

    def counter(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        tracemalloc.start()
        started = time.perf_counter()
        services.run_execute(run.pk)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    run.refresh_from_db()
    return {
        "state": run.state,
        "letters": run.done,
        "lines": FeedbackLine.objects.filter(
            letter__year=YEAR, letter__half=HALF, letter__community__path__startswith=district.path
        ).count(),
        "seconds": round(seconds, 1),
        "ms_per_letter": round(1000 * seconds / max(run.done, 1), 1),
        "queries": executed,
        "queries_per_letter": round(executed / max(run.done, 1), 1),
        "python_peak_mb": round(peak / 2**20, 1),
    }


def child(size: str, prefix: str, seed: int) -> dict:
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    name = f"{prefix}_{size}"
    if not _exists(admin_url, name):  # never drops a database that is there
        base.recreate_database(admin_url, name)
    base.setup_django(base.with_database(admin_url, name))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seeded_in = None
    if not _seeded():
        seeded_in = round(base.seed(size, seed), 1)
    from branches.models import Level, Organization, OriginalUnit
    from members.models import Member
    from units.feedback.models import FeedbackLetter, FeedbackRun
    from units.feedback.selectors import district_pairs

    district = Organization.objects.filter(level=Level.DISTRICT).order_by("path").first()
    FeedbackLetter.objects.filter(
        year=YEAR, half=HALF, community__path__startswith=district.path
    ).delete()
    FeedbackRun.objects.filter(district=district).delete()
    pairs = district_pairs(district)
    first = timed_run(district)
    FeedbackRun.objects.filter(district=district).delete()
    again = timed_run(district)
    return {
        "seeded_in_s": seeded_in,
        "members": Member.objects.count(),
        "units_in_city": OriginalUnit.objects.count(),
        "units_in_district_pairs": len({unit for unit, _c in pairs}),
        "communities_in_district_pairs": len({c for _u, c in pairs}),
        "pairs": len(pairs),
        "first_run": first,
        "second_run_regenerating": again,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.db_prefix, args.seed)))
        return
    for size in args.sizes:
        result = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                size,
                "--db-prefix",
                args.db_prefix,
                "--seed",
                str(args.seed),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        print(size, json.dumps(json.loads(result.stdout.strip().splitlines()[-1]), indent=1))


if __name__ == "__main__":
    main()
