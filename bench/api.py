"""API benchmark: every `api_v1:*-list` endpoint (found in the URL resolver, so endpoints
added later are timed too) and the dashboard figures endpoints, at district and city
size, as an API client holding the demo district's (and the city's) role.

    .venv/bin/python bench/api.py --sizes district          # seeds portal_dash_district
    .venv/bin/python bench/api.py --sizes district,city --reuse

The data is `seed_demo`'s, in the dashboards bench's scratch databases
(`portal_dash_<size>`, or `--db-prefix`): `--reuse` migrates and reuses a seeded one.
Each size runs in a child process (Django is configured once per process).

For each endpoint: the median milliseconds of page 1 over --requests runs after --warmup
(Django's test client in-process, endpoints taking turns), the ratio to the trivial view
measured in the same run (bench/run.py's "ok" view through the full middleware stack,
logged in; the token check, throttle and request log of the API are part of what the
ratio shows: /api/v1/me/ is timed beside it as the API's own trivial view), the number
of SQL queries for page 1 and for a deep page (the last one): they must be equal.
Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as base  # noqa: E402  (bench/run.py: database and timing helpers)

RESULTS = ROOT / "bench" / "results"
PAGE_SIZE = 50  # api.pagination.PagePagination's default


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="district,city")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep a seeded database")
    parser.add_argument("--db-prefix", default="portal_dash", help="databases <prefix>_<size>")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not 1 <= args.requests <= 500 or not 0 <= args.warmup <= 50:
        parser.error("--requests must be 1..500 and --warmup 0..50")
    return args


def db_name(args, size: str) -> str:
    return f"{args.db_prefix}_{size}"


# --- In the child: one size ------------------------------------------------------------


def api_client_for(username: str, label: str):
    """A Django test client carrying the token of a fresh API client that holds the
    roles of the demo login `username`."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from api import services
    from branches.models import StaffRole

    User = get_user_model()
    person = User.objects.get(username=username)
    admin = User.objects.filter(staff_roles__role="system_admin").first()
    client = services.client_create(
        name=f"bench {label} {time.strftime('%H%M%S')}",
        description="bench/api.py",
        contact="",
        rate_per_minute=1_000_000,
        actor=admin,
        request=None,
    )
    for role in person.staff_roles.all():
        StaffRole.objects.create(
            user=client.user,
            role=role.role,
            organization=role.organization,
            branch=role.branch,
            original_unit=role.original_unit,
        )
    _token, raw = services.token_issue(
        client=client, days=1, label="bench", actor=admin, request=None
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def v1_list_patterns():
    """(name, route, kwarg names) of every api_v1 URL whose name ends in "-list"."""
    from django.urls import get_resolver

    for pattern in get_resolver().url_patterns:
        for sub in getattr(pattern, "url_patterns", []) or []:
            if getattr(sub, "namespace", None) != "api_v1":
                continue
            for p in sub.url_patterns:
                if p.name and p.name.endswith("-list"):
                    yield p.name, str(p.pattern), sorted(p.pattern.regex.groupindex)


def kwarg_sources(username: str) -> dict:
    """How to fill the URL kwargs of a nested list for the demo login `username`: the
    largest object of that kind it may read (add one here for a new nested list)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from branches.access import SEND_NOTICES
    from notices.models import Notice, NoticeState

    user = get_user_model().objects.get(username=username)

    def notice_pk():
        notice = (
            Notice.objects.visible_to(user, SEND_NOTICES)
            .filter(state=NoticeState.SENT, root__isnull=True)
            .annotate(n=Count("receipts"))
            .order_by("-n", "pk")
            .first()
        )
        return notice.pk if notice else None

    return {"notice_pk": notice_pk}


def endpoints(username: str) -> tuple[list, list]:
    """(label, url) of each list endpoint and figures endpoint; the skipped ones."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.urls import reverse

    from branches.models import Branch

    sources = kwarg_sources(username)
    found, skipped = [], []
    for name, _route, kwargs in sorted(v1_list_patterns()):
        values = {}
        for key in kwargs:
            value = sources[key]() if key in sources else None
            if value is None:
                skipped.append(f"{name} (needs {key})")
                break
            values[key] = value
        else:
            found.append((name, reverse(f"api_v1:{name}", kwargs=values)))
    user = get_user_model().objects.get(username=username)
    node = user.staff_roles.get().organization
    busiest = (
        Branch.objects.filter(organization__path__startswith=node.path)
        .annotate(n=Count("home_members"))
        .order_by("-n", "pk")
        .first()
    )
    found += [
        ("organization-figures (its node)", reverse("api_v1:organization-figures", args=[node.pk])),
        ("branch-figures (busiest branch)", reverse("api_v1:branch-figures", args=[busiest.pk])),
    ]
    return found, skipped


def count_queries(client, url) -> tuple[int, dict]:
    from django.db import connection

    executed = 0

    def counter(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return executed, response.json()


def deep(url: str, count: int) -> str | None:
    """The last page of a list of `count` rows (None: one page only)."""
    last = (count + PAGE_SIZE - 1) // PAGE_SIZE
    if last < 2:
        return None
    return f"{url}{'&' if '?' in url else '?'}page={last}"


def run_child(args):
    size = args.child
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    name = db_name(args, size)
    database_url = base.with_database(admin_url, name)
    out: dict = {"size": size, "database": name}
    import psycopg
    from psycopg import sql

    with psycopg.connect(base.with_database(admin_url, "postgres"), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not (args.reuse and found):
        base.recreate_database(admin_url, name)
    with psycopg.connect(base.with_database(admin_url, "postgres"), autocommit=True) as conn:
        # As the dashboards bench: JIT compiles the aggregate plans for seconds.
        conn.execute(sql.SQL("ALTER DATABASE {} SET jit = off").format(sql.Identifier(name)))
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
    out["rows"] = base.table_sizes()
    browser = Client()
    browser.force_login(get_user_model().objects.get(username="district"))
    clients = {"browser": browser}
    pages = [("trivial view (baseline)", "browser", "/bench/hello/")]
    out["queries"], out["deep_queries"], out["counts"], out["skipped"] = {}, {}, {}, {}
    for who in ("district", "city"):
        clients[who] = api_client_for(who, f"{size} {who}")
        if who == "district":  # the door's own cost: token, throttle, request log
            me = "district: me (the API's trivial view)"
            count_queries(clients[who], "/api/v1/me/")
            out["queries"][me] = count_queries(clients[who], "/api/v1/me/")[0]
            pages.append((me, who, "/api/v1/me/"))
        found, skipped = endpoints(who)
        out["skipped"][who] = skipped
        for endpoint, url in found:
            label = f"{who}: {endpoint}"
            count_queries(clients[who], url)  # warm: the token's last use, cached figures
            n, body = count_queries(clients[who], url)
            out["queries"][label] = n
            rows = body.get("count") if isinstance(body, dict) else None
            out["counts"][label] = rows
            if rows is not None and (deep_url := deep(url, rows)):
                count_queries(clients[who], deep_url)
                out["deep_queries"][label] = count_queries(clients[who], deep_url)[0]
            pages.append((label, who, url))
    out["median_ms"] = base.measure(pages, clients, requests=args.requests, warmup=args.warmup)
    out["baseline"] = pages[0][0]
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")


# --- The parent: every size, then the table ---------------------------------------------


def report(results: list[dict]) -> str:
    import django

    lines = [
        f"API benchmark {time.strftime('%Y-%m-%d %H:%M')}: Django {django.get_version()}, "
        f"PostgreSQL, median of the timed requests per endpoint (Django test client, "
        f"in-process), {os.cpu_count()} CPUs.",
        "",
        f"  {'size':<9} {'seed s':>7}  rows",
    ]
    for r in results:
        seed = "reused" if r["seed_seconds"] is None else f"{r['seed_seconds']:.1f}"
        rows = ", ".join(f"{v} {k}" for k, v in r["rows"].items())
        lines.append(f"  {r['size']:<9} {seed:>7}  {rows}")
    lines += [
        "",
        f"  {'size':<9} {'endpoint (page 1)':<46} {'median ms':>9} {'x trivial':>9} "
        f"{'queries':>7} {'deep pg':>7} {'rows':>8}",
    ]
    for r in results:
        baseline = r["median_ms"][r["baseline"]]
        for label, ms in r["median_ms"].items():
            queries = r["queries"].get(label, "")
            deep_q = r["deep_queries"].get(label, "")
            rows = r["counts"].get(label)
            lines.append(
                f"  {r['size']:<9} {label:<46} {ms:9.1f} {ms / baseline:9.1f} "
                f"{queries!s:>7} {deep_q!s:>7} {'' if rows is None else rows!s:>8}"
            )
        grown = [label for label, n in r["deep_queries"].items() if n != r["queries"][label]]
        lines.append(
            f"  {r['size']:<9} queries page 1 vs last page: "
            + ("the same for every list" if not grown else f"DIFFERENT for {', '.join(grown)}")
        )
        for who, skipped in r["skipped"].items():
            if skipped:
                lines.append(f"  {r['size']:<9} not timed ({who}): {', '.join(skipped)}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return run_child(args)
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    if not admin_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench: DATABASE_URL must point at PostgreSQL")
    results = []
    for size in args.sizes:
        print(f"bench: {size} size in database {db_name(args, size)} ...", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            out = handle.name
        command = [
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
            "--seed",
            str(args.seed),
            "--db-prefix",
            args.db_prefix,
        ] + (["--reuse"] if args.reuse else [])
        subprocess.run(command, check=True, cwd=ROOT)
        results.append(json.loads(Path(out).read_text(encoding="utf-8")))
        os.unlink(out)
    text = report(results)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "api.txt").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    main()
