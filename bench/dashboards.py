"""Dashboard benchmark: seed PostgreSQL at district and city size, time the dashboards and
count their queries, then a bounded load run over the main pages on loopback.

    make bench-dashboards                       # both sizes, ~60 s load run each
    BENCH_ARGS="--sizes district --load-seconds 20" make bench-dashboards
    .venv/bin/python bench/dashboards.py --reuse  # keep already seeded databases

Each size lives in its own scratch database (`portal_dash_district`, `portal_dash_city`
on the server of DATABASE_URL), seeded by `seed_demo` (structure, members, three years
of meetings and attendance, care) and kept afterwards, so `--reuse` skips the seeding.
Each size runs in a child process (Django is configured once per process).

Timing: Django's test client in-process, pages taking turns (the city-wide pages in a
round of their own), median over --requests runs after --warmup, and the ratio to a
trivial view measured in the same run.
Load: gunicorn (retiree_party/gunicorn.conf.py: a gthread worker per core) on 127.0.0.1
and wrk (Debian's: `apt-get install wrk`) with --connections for --load-seconds over the
main pages, logged in; a small Python runner stands in when wrk is missing. Nothing
leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as base  # noqa: E402  (bench/run.py: database and timing helpers)

RESULTS = ROOT / "bench" / "results"
AIM_DISTRICT_MS = 100.0
AIM_CITY_MS = 150.0
AIM_GROWTH = 1.2


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="district,city")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--load-seconds", type=int, default=60, help="0 skips the load run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--reuse", action="store_true", help="keep a seeded database")
    parser.add_argument(
        "--db-prefix", default="portal_dash", help="scratch databases <prefix>_<size>"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jit", action="store_true", help="leave PostgreSQL's JIT on")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # size run by a child process
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not 1 <= args.requests <= 500 or not 0 <= args.load_seconds <= 120:
        parser.error("--requests must be 1..500 and --load-seconds 0..120")
    if not 1 <= args.connections <= 256:
        parser.error("--connections must be 1..256")
    return args


DB_PREFIX = "portal_dash"


def db_name(size: str) -> str:
    return f"{DB_PREFIX}_{size}"


# --- In the child: one size ------------------------------------------------------------


def table_sizes() -> dict[str, int]:
    from activities.care.models import CareNeed
    from activities.meetings.models import Attendance, Meeting
    from branches.models import Branch, Organization
    from members.models import Member
    from resources.funds.models import Allocation, Spending

    return {
        "organisations": Organization.objects.count(),
        "branches": Branch.objects.count(),
        "members": Member.objects.count(),
        "meetings": Meeting.objects.count(),
        "attendance rows": Attendance.objects.count(),
        "care needs": CareNeed.objects.count(),
        "fund allocations": Allocation.objects.count(),
        "spendings": Spending.objects.count(),
    }


WRITTEN = " after a write"  # pages timed right after their district's figures changed


def touches():
    """label -> what makes the page's cached figures stale before each timed request: a
    write in a community of the district's first street (the street's and the
    district's versions bumped, as every audited write there does), or everywhere."""
    from branches.models import Organization

    district = _district()
    street = Organization.objects.filter(parent=district).order_by("path").first()

    def one():  # what a write in one of the street's communities bumps
        Organization.objects.filter(pk__in=[district.pk, street.pk]).touch_figures()

    def every():
        Organization.objects.touch_figures()

    return {
        f"district dashboard (quarter){WRITTEN}": one,
        f"district dashboard (year){WRITTEN}": one,
        f"street dashboard{WRITTEN}": one,
        f"city-wide (quarter){WRITTEN}": one,
        "city-wide (quarter), every district changed": every,
    }


def _district():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="district").staff_roles.get().organization


def dashboard_pages():
    """(label, username, url) for the pages to time, as the demo logins see them."""
    from django.urls import reverse

    from branches.models import Branch, Level, Organization

    district = _district()
    street = Organization.objects.filter(parent=district).order_by("path").first()
    community = Organization.objects.filter(parent=street).order_by("path").first()
    branch = Branch.objects.filter(organization=community).order_by("pk").first()
    city = Organization.objects.get(level=Level.CITY)
    year = "?period=year"
    dashboard = reverse("reports:org_dashboard", args=[district.pk])
    street_dashboard = reverse("reports:org_dashboard", args=[street.pk])
    city_dashboard = reverse("reports:org_dashboard", args=[city.pk])
    return [
        ("trivial view (baseline)", "district", reverse("bench_hello")),
        ("home", "district", reverse("home")),
        ("district dashboard (quarter)", "district", dashboard),
        (f"district dashboard (quarter){WRITTEN}", "district", dashboard),
        ("district dashboard (year)", "district", dashboard + year),
        (f"district dashboard (year){WRITTEN}", "district", dashboard + year),
        ("street dashboard", "district", street_dashboard),
        (f"street dashboard{WRITTEN}", "district", street_dashboard),
        ("community dashboard", "district", reverse("reports:org_dashboard", args=[community.pk])),
        ("branch overview", "district", reverse("reports:branch_dashboard", args=[branch.pk])),
        (
            "district: members inactive 3 months",
            "district",
            reverse("reports:org_members", args=[district.pk]) + "?list=inactive",
        ),
        # The funds overview computes its figures per request (six queries, any size);
        # the dashboards above serve the same totals from their cache.
        (
            "district funds overview (year)",
            "district",
            reverse("funds:area", args=[district.pk]),
        ),
        ("city-wide dashboard (quarter)", "city", city_dashboard),
        (f"city-wide (quarter){WRITTEN}", "city", city_dashboard),
        ("city-wide (quarter), every district changed", "city", city_dashboard),
        ("city-wide dashboard (year)", "city", city_dashboard + year),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


WRK_SCRIPT = """
local paths = {%(paths)s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Cookie"] = "%(cookie)s"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "seconds": %%.3f, "p50_ms": %%.1f, "p95_ms": %%.1f, '
    .. '"p99_ms": %%.1f, "errors": %%d, "non_2xx": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def python_load(base_url, paths, cookie, *, connections, seconds):
    """The stand-in for wrk: `connections` threads, each requesting the pages in turn
    until the deadline (loopback only)."""
    deadline = time.monotonic() + seconds
    latencies, errors, lock = [], [0], threading.Lock()

    def worker(offset):
        i = offset
        while time.monotonic() < deadline:
            request = urllib.request.Request(  # noqa: S310 (loopback http only)
                base_url + paths[i % len(paths)], headers={"Cookie": cookie}
            )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    response.read()
                    ok = response.status < 400
            except Exception:
                ok = False
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                errors[0] += not ok
            i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {
        "requests": len(latencies),
        "seconds": time.monotonic() - started,
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "errors": errors[0],
        "non_2xx": 0,
        "tool": "python",
    }


def load_run(args, database_url, pages, cookie) -> dict:
    """gunicorn on loopback + wrk (or the Python runner) over the pages for a bounded time."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "CONN_MAX_AGE": "600",
        "DJANGO_SETTINGS_MODULE": "retiree_party.settings",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "retiree_party.wsgi",
            "-c",
            "retiree_party/gunicorn.conf.py",  # the deployment's worker model
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        base.wait_until_up(base_url, tries=100)
        for path in pages:  # warm both workers' caches a little
            request = urllib.request.Request(base_url + path, headers={"Cookie": cookie})  # noqa: S310
            urllib.request.urlopen(request, timeout=60).read()  # noqa: S310 (loopback)
        wrk = "/usr/bin/wrk"
        if os.access(wrk, os.X_OK):
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(
                    WRK_SCRIPT
                    % {"paths": ", ".join(json.dumps(p) for p in pages), "cookie": cookie}
                )
            output = subprocess.run(
                [
                    wrk,
                    "-t2",
                    f"-c{args.connections}",
                    f"-d{args.load_seconds}s",
                    "--timeout",
                    "30s",
                    "-s",
                    script.name,
                    base_url,
                ],
                capture_output=True,
                text=True,
                timeout=args.load_seconds + 60,
            ).stdout
            os.unlink(script.name)
            line = next(li for li in output.splitlines() if li.startswith("WRKJSON "))
            result = json.loads(line.removeprefix("WRKJSON "))
            result["tool"] = "wrk"
        else:
            result = python_load(
                base_url, pages, cookie, connections=args.connections, seconds=args.load_seconds
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["pages"] = len(pages)
    result["connections"] = args.connections
    return result


def run_child(args):
    global DB_PREFIX
    DB_PREFIX = args.db_prefix
    size = args.child
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    database_url = base.with_database(admin_url, db_name(size))
    out: dict = {"size": size}
    if not args.reuse:
        base.recreate_database(admin_url, db_name(size))
    else:
        import psycopg

        with psycopg.connect(base.with_database(admin_url, "postgres"), autocommit=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [db_name(size)]
            ).fetchone()
        if not found:
            base.recreate_database(admin_url, db_name(size))
    if not args.jit:
        # PostgreSQL's JIT compiles the dashboards' aggregate plans for seconds (4.6 s of
        # a 3.8 s query at district size) and saves nothing on queries this short: off,
        # as recommended for web workloads (set it in production too; see the report).
        import psycopg
        from psycopg import sql

        with psycopg.connect(base.with_database(admin_url, "postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET jit = off").format(sql.Identifier(db_name(size)))
            )
    out["jit"] = bool(args.jit)
    base.setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    if args.reuse and base.seeded():
        out["seed_seconds"] = None
        call_command("migrate", verbosity=0)
    else:
        call_command("migrate", verbosity=0)
        out["seed_seconds"] = base.seed(size, args.seed)
        base.analyze()
    out["rows"] = table_sizes()
    pages = dashboard_pages()
    clients = {}
    for username in {u for _, u, _ in pages}:
        clients[username] = Client()
        clients[username].force_login(get_user_model().objects.get(username=username))
    before = touches()

    def queries(label, username, url):
        if label in before:
            before[label]()
        else:  # a page served from the cache: the first request fills it
            base.count_queries(clients[username], url)
        return base.count_queries(clients[username], url)

    out["queries"] = {label: queries(label, u, url) for label, u, url in pages}
    # The city-wide pages take their turns apart: each of them reads most of the city,
    # which, interleaved, would push the district's pages out of PostgreSQL's buffers
    # and time a cache miss that a real mix (few city-wide views) rarely causes. The
    # pages timed after a write take theirs after the cached ones: each write makes the
    # district's other cached pages stale too.
    medians = {}
    for city_wide in (False, True):
        for written in (False, True):
            group = [
                page
                for page in pages
                if (page[1] == "city") == city_wide and (page[0] in before) == written
            ]
            medians.update(
                base.measure(
                    group, clients, requests=args.requests, warmup=args.warmup, before=before
                )
            )
    medians = {label: medians[label] for label, _user, _url in pages}  # the table's order
    out["median_ms"] = medians
    out["baseline"] = pages[0][0]
    if args.load_seconds:
        # Each page once (the "after a write" rows are the same addresses).
        load_pages = list(dict.fromkeys(url for _label, user, url in pages if user == "district"))
        load_pages = load_pages[1:]
        cookie_name = "sessionid"
        from django.conf import settings

        cookie_name = settings.SESSION_COOKIE_NAME
        cookie = f"{cookie_name}={clients['district'].cookies[cookie_name].value}"
        out["load"] = load_run(args, database_url, load_pages, cookie)
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")


# --- The parent: every size, then the table ---------------------------------------------


def report(results: list[dict]) -> str:
    import django

    lines = [
        f"Dashboard benchmark {time.strftime('%Y-%m-%d %H:%M')}: Django {django.get_version()}, "
        f"PostgreSQL, median of the timed requests per page (Django test client, "
        f"in-process), {os.cpu_count()} CPUs, PostgreSQL JIT "
        f"{'on' if results and results[0].get('jit') else 'off'}.",
        "",
        f"  {'size':<9} {'seed s':>7}  rows",
    ]
    for r in results:
        seed = "reused" if r["seed_seconds"] is None else f"{r['seed_seconds']:.1f}"
        rows = ", ".join(f"{v} {k}" for k, v in r["rows"].items())
        lines.append(f"  {r['size']:<9} {seed:>7}  {rows}")
    lines += ["", f"  {'size':<9} {'page':<38} {'median ms':>9} {'x trivial':>9} {'queries':>7}"]
    for r in results:
        baseline = r["median_ms"][r["baseline"]]
        for label, ms in r["median_ms"].items():
            lines.append(
                f"  {r['size']:<9} {label:<44} {ms:9.1f} {ms / baseline:9.1f} "
                f"{r['queries'][label]:7d}"
            )
    by_size = {r["size"]: r for r in results}
    lines += ["", "Aims (cached: figures unchanged since last computed; after a write: computed):"]

    def verdict(ok):
        return "met" if ok else "NOT met"

    key = "district dashboard (quarter)"
    for label in (key, key + WRITTEN):
        if "district" in by_size:
            ms = by_size["district"]["median_ms"][label]
            lines.append(
                f"  {label} at district size: {ms:.1f} ms (aim <= 100): "
                f"{verdict(ms <= AIM_DISTRICT_MS)}"
            )
        if {"district", "city"} <= set(by_size):

            def ratio(r, label=label):
                return r["median_ms"][label] / r["median_ms"][r["baseline"]]

            growth = ratio(by_size["city"]) / ratio(by_size["district"])
            lines.append(
                f"  {label}, city data / district data (ratios to trivial): "
                f"{growth:.2f}x (aim <= 1.2): {verdict(growth <= AIM_GROWTH)}"
            )
    if "city" in by_size:
        for label in (
            "city-wide dashboard (quarter)",
            f"city-wide (quarter){WRITTEN}",
            "city-wide (quarter), every district changed",
        ):
            ms = by_size["city"]["median_ms"][label]
            lines.append(
                f"  {label} at city size: {ms:.1f} ms (aim <= 150): {verdict(ms <= AIM_CITY_MS)}"
            )
    loads = [r for r in results if "load" in r]
    if loads:
        lines += [
            "",
            "Load run (gunicorn with retiree_party/gunicorn.conf.py on 127.0.0.1, logged in as "
            "district staff, the "
            "district's pages in turn):",
            f"  {'size':<9} {'tool':<6} {'conns':>5} {'seconds':>7} {'requests':>8} {'req/s':>7} "
            f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'non-2xx':>7}",
        ]
        for r in loads:
            load = r["load"]
            lines.append(
                f"  {r['size']:<9} {load['tool']:<6} {load['connections']:>5} "
                f"{load['seconds']:7.1f} {load['requests']:8d} "
                f"{load['requests'] / load['seconds']:7.1f} {load['p50_ms']:8.1f} "
                f"{load['p95_ms']:8.1f} {load['p99_ms']:8.1f} {load['errors']:6d} "
                f"{load['non_2xx']:7d}"
            )
    return "\n".join(lines) + "\n"


def main(argv=None):
    global DB_PREFIX
    args = parse_args(argv)
    DB_PREFIX = args.db_prefix
    if args.child:
        return run_child(args)
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    if not admin_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench: DATABASE_URL must point at PostgreSQL")
    results = []
    for size in args.sizes:
        print(f"bench: {size} size in database {db_name(size)} ...", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            out = handle.name
        command = (
            [
                sys.executable,
                __file__,
                "--child",
                size,
                "--out",
                out,
                "--requests",
                str(args.requests),
                "--warmup",
                str(args.warmup),
                "--load-seconds",
                str(args.load_seconds),
                "--connections",
                str(args.connections),
                "--seed",
                str(args.seed),
                "--db-prefix",
                args.db_prefix,
            ]
            + (["--reuse"] if args.reuse else [])
            + (["--jit"] if args.jit else [])
        )
        subprocess.run(command, check=True, cwd=ROOT)
        results.append(json.loads(Path(out).read_text(encoding="utf-8")))
        os.unlink(out)
    text = report(results)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dashboards.txt").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    main()
