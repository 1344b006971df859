"""Benchmark: seed a scratch PostgreSQL database at district and city size, then time the
main pages and count their queries.

    make bench                      # or: .venv/bin/python bench/run.py --requests 50
    BENCH_ARGS="--sizes district" make bench

It never touches the portal's own database or the test database: it (re)creates
`portal_bench` (--db-name) on the server named by DATABASE_URL and leaves it there for a
look afterwards (--drop to remove it). Requests go through Django's test client in this
process (no network); each page is timed over --requests runs after a warm-up, and the
median is compared with a trivial view measured in the same run.
"""

import argparse
import io
import os
import statistics
import sys
import time
import types
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE_URL = "postgres://portal:portal@127.0.0.1:5432/portal"
RESULTS = ROOT / "bench" / "results"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="district,city", help="comma-separated seed sizes")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page")
    parser.add_argument("--db-name", default="portal_bench", help="the scratch database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--drop", action="store_true", help="drop the scratch database after")
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not 1 <= args.requests <= 1000 or not 0 <= args.warmup <= 100:
        parser.error("--requests must be 1..1000 and --warmup 0..100")
    return args


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(admin_url: str, name: str, *, drop_only=False):
    """DROP and CREATE the scratch database, connected to the server's maintenance DB."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(admin_url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(name)
                )
            )


def setup_django(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "0"  # no per-query bookkeeping outside the counted runs
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import path

    import retiree_party.urls

    # The trivial page: a view returning a constant through the full middleware stack
    # (session, user, login-required, CSP...). Everything else is relative to it.
    def hello(request):
        return HttpResponse("ok")

    urlconf = types.ModuleType("bench_urls")
    urlconf.urlpatterns = [path("bench/hello/", hello, name="bench_hello")]
    urlconf.urlpatterns += retiree_party.urls.urlpatterns
    sys.modules["bench_urls"] = urlconf
    settings.ROOT_URLCONF = "bench_urls"
    settings.ALLOWED_HOSTS = ["testserver"]


def seed(size: str, seed: int) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("seed_demo", size=size, seed=seed, stdout=io.StringIO())
    return time.perf_counter() - started


def seeded() -> bool:
    """Whether the database Django is set up on already holds a seeded structure."""
    from django.db import connection

    try:
        from branches.models import Organization

        return "branches_organization" in connection.introspection.table_names() and (
            Organization.objects.exists()
        )
    except Exception:
        return False


def wait_until_up(base_url: str, *, tries: int) -> None:
    """Poll the log-in page of a server just started on 127.0.0.1 until it answers."""
    import urllib.request

    for _ in range(tries):
        try:
            urllib.request.urlopen(base_url + "/accounts/login/", timeout=2).read()  # noqa: S310 (loopback)
            return
        except Exception:
            time.sleep(0.2)


def table_sizes() -> dict[str, int]:
    """Row counts of the main tables that exist (later apps add members, meetings...)."""
    from django.apps import apps

    counts = {}
    for label, model in [
        ("organisations", "branches.Organization"),
        ("branches", "branches.Branch"),
        ("party groups", "branches.PartyGroup"),
        ("members", "members.Member"),
        ("meetings", "activities.Meeting"),
        ("attendance rows", "activities.Attendance"),
    ]:
        try:
            counts[label] = apps.get_model(model).objects.count()
        except LookupError:
            continue
    return counts


def pages_to_measure():
    """(label, username, url) for the main pages, as the demo logins see them."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.urls import reverse

    from branches.models import Branch, Level, Organization

    district_user = get_user_model().objects.get(username="district")
    district = district_user.staff_roles.get().organization
    busiest = (
        Branch.objects.filter(organization__path__startswith=district.path)
        .annotate(n=Count("groups"))
        .order_by("-n", "pk")
        .first()
    )
    city = Organization.objects.get(level=Level.CITY)
    return [
        ("trivial view (baseline)", "district", reverse("bench_hello")),
        ("home: district staff's workbench", "district", reverse("home")),
        ("home: street staff's workbench", "street", reverse("home")),
        ("home: unit liaison's workbench", "liaison", reverse("home")),
        ("org tree entry (redirect)", "district", reverse("branches:org_tree")),
        (
            "org detail: district node",
            "district",
            reverse("branches:org_detail", args=[district.pk]),
        ),
        ("branch list (page 1)", "district", reverse("branches:branch_list")),
        ("branch list (page 5)", "district", reverse("branches:branch_list") + "?page=5"),
        ("branch detail", "district", reverse("branches:branch_detail", args=[busiest.pk])),
        (
            "org detail: city node (city admin)",
            "city",
            reverse("branches:org_detail", args=[city.pk]),
        ),
        ("branch list (city admin)", "city", reverse("branches:branch_list")),
        ("home: city admin's workbench", "city", reverse("home")),
    ]


def count_queries(client, url) -> int:
    """Queries one request runs, counted at the cursor (independent of DEBUG)."""
    from django.db import connection

    executed = 0

    def counter(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code in (200, 302), (url, response.status_code)
    return executed


def measure(pages, clients, *, requests: int, warmup: int, before=None):
    """Median milliseconds per page. The pages take turns (round robin), so a burst of
    load from elsewhere on the machine spreads over all of them, baseline included.
    `before` maps a label to what to do, untimed, before each of its requests."""
    before = before or {}
    times: dict[str, list[float]] = {label: [] for label, _, _ in pages}
    for round_ in range(warmup + requests):
        for label, username, url in pages:
            if label in before:
                before[label]()
            started = time.perf_counter()
            clients[username].get(url)
            if round_ >= warmup:
                times[label].append(time.perf_counter() - started)
    return {label: statistics.median(found) * 1000 for label, found in times.items()}


def run_size(args, size, admin_url, rows_out, seeds_out):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client

    connections.close_all()
    recreate_database(admin_url, args.db_name)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_time = time.perf_counter() - started
    seed_time = seed(size, args.seed)
    analyze()
    counts = table_sizes()
    seeds_out.append((size, seed_time, migrate_time, counts))
    print(f"  seeded {size}: {seed_time:.1f}s ({', '.join(f'{v} {k}' for k, v in counts.items())})")

    pages = pages_to_measure()
    clients = {}
    for username in {username for _, username, _ in pages}:
        clients[username] = Client()
        clients[username].force_login(get_user_model().objects.get(username=username))
    queries = {label: count_queries(clients[user], url) for label, user, url in pages}
    medians = measure(pages, clients, requests=args.requests, warmup=args.warmup)
    baseline = medians[pages[0][0]]
    for label, _, _ in pages:
        rows_out.append((size, label, medians[label], medians[label] / baseline, queries[label]))
        print(f"  {size:<9} {label:<36} {medians[label]:8.2f} ms  {queries[label]:3d} queries")


def analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def report(args, seeds, rows) -> str:
    import django

    lines = [
        f"Benchmark {time.strftime('%Y-%m-%d %H:%M')}: Django {django.get_version()}, "
        f"PostgreSQL database {args.db_name}, {args.requests} timed requests per page "
        f"(median), Django test client in-process, {os.cpu_count()} CPUs.",
        "",
        "Seed (seed_demo, bulk inserts):",
        f"  {'size':<9} {'seconds':>8}  rows",
    ]
    for size, seed_time, _migrate, counts in seeds:
        desc = ", ".join(f"{v} {k}" for k, v in counts.items())
        lines.append(f"  {size:<9} {seed_time:8.1f}  {desc}")
    lines += [
        "",
        f"  {'size':<9} {'page':<36} {'median ms':>9} {'x trivial':>9} {'queries':>7}",
    ]
    for size, label, median_ms, ratio, queries in rows:
        lines.append(f"  {size:<9} {label:<36} {median_ms:9.2f} {ratio:9.1f} {queries:7d}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not admin_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench: DATABASE_URL must point at PostgreSQL (see README: Running on PostgreSQL)")
    bench_url = with_database(admin_url, args.db_name)
    print(f"bench: scratch database {args.db_name} on {urlsplit(admin_url).hostname}")
    setup_django(bench_url)
    from branches.demo import SIZES

    unknown = set(args.sizes) - set(SIZES)
    if unknown:
        sys.exit(f"bench: unknown sizes {sorted(unknown)}; known: {sorted(SIZES)}")

    seeds, rows = [], []
    for size in args.sizes:
        run_size(args, size, admin_url, rows, seeds)

    text = report(args, seeds, rows)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.txt").write_text(text, encoding="utf-8")
    if args.drop:
        from django.db import connections

        connections.close_all()
        recreate_database(admin_url, args.db_name, drop_only=True)


if __name__ == "__main__":
    main()
