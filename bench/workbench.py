"""Workbenches and notices at district and city size.

    .venv/bin/python bench/workbench.py            # seeds what is missing, then measures
    .venv/bin/python bench/workbench.py --sizes district

Reuses the databases `bench/dashboards.py` seeds (`portal_dash_district`,
`portal_dash_city`; migrated, seeded with `seed_demo` when empty) and answers:

1. What does each role's home page (工作台) cost? Median server time over `--requests`
   runs, the ratio to a trivial view timed in the same run, and the SQL queries, for the
   demo logins district, street, community, branch, functional, liaison and city. The
   staff panels read the dashboards' cache: timed warm (as all day) and cold (right
   after a write in the district, the first look after a change).
2. What does sending a notice to every branch cost? As the city administrator, a notice
   addressed to the whole city (about 5,500 branches at city size) is sent, its receipts
   page is read, and those who have not confirmed are reminded: time, queries and rows.
   The notice is deleted afterwards, so runs can be repeated.

Requests go through Django's test client in one process; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run as base
from bench.dashboards import db_name

ROLES = ("district", "street", "community", "branch", "functional", "liaison", "city")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="district,city")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not 1 <= args.requests <= 500 or not 0 <= args.warmup <= 50:
        parser.error("--requests must be 1..500 and --warmup 0..50")
    return args


def prepare(size: str, seed: int) -> float | None:
    """Migrate the size's database, seeding it first when it is empty."""
    import psycopg

    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    with psycopg.connect(base.with_database(admin_url, "postgres"), autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db_name(size)]
        ).fetchone()
    if not found:
        base.recreate_database(admin_url, db_name(size))
    base.setup_django(base.with_database(admin_url, db_name(size)))
    from django.core.management import call_command

    from branches.models import Organization

    call_command("migrate", verbosity=0)
    if Organization.objects.exists():
        return None
    seconds = base.seed(size, seed)
    base.analyze()
    return seconds


def workbench_pages():
    from django.urls import reverse

    home = reverse("home")
    pages = [("trivial view (baseline)", "district", reverse("bench_hello"))]
    pages += [(f"workbench: {role}", role, home) for role in ROLES]
    return pages


def district_write():
    """What an audited write in one of the district's communities bumps."""
    from branches.models import Level, Organization

    district = Organization.objects.filter(level=Level.DISTRICT).order_by("path").first()
    street = Organization.objects.filter(parent=district).order_by("path").first()
    return lambda: Organization.objects.filter(pk__in=[district.pk, street.pk]).touch_figures()


def timed(call):
    """(seconds, queries, result) of one call, queries counted at the cursor."""
    from django.db import connection

    executed = 0

    def counter(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
    return seconds, executed, result


def notice_to_everyone(clients) -> dict:
    """Send one notice from the city to every branch; read its receipts; remind."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from activities.messaging.models import Reminder, ReminderKind
    from branches.models import Level, Organization
    from notices import receipts, services
    from notices.models import Notice, NoticeReceipt

    city = Organization.objects.get(level=Level.CITY)
    user = get_user_model().objects.get(username="city")
    notice = Notice.objects.create(
        organization=city, author=user, title="基准测试通知", body="**请各支部确认收到。**"
    )
    notice.audience.set([city])
    out = {}
    try:
        seconds, queries, branches = timed(
            lambda: services.send(notice=notice, actor=user, request=None)
        )
        out["send"] = (seconds, queries, branches)
        url = reverse("notices:detail", args=[notice.pk])
        out["detail (sender)"] = timed(lambda: clients["city"].get(url))[:2]
        url = reverse("notices:receipts", args=[notice.pk])
        out["receipts page"] = timed(lambda: clients["city"].get(url))[:2]
        out["receipts"] = NoticeReceipt.objects.filter(notice=notice).count()
        seconds, queries, _round = timed(
            lambda: receipts.remind(notice=notice, user=user, seen_round=0)
        )
        items = Reminder.objects.filter(
            kind=ReminderKind.NOTICE_UNCONFIRMED, subject=f"notice:{notice.pk}"
        )
        out["remind"] = (seconds, queries, items.count())
        items.delete()
    finally:
        notice.delete()
    return out


def run_child(args):
    size = args.child
    seed_seconds = prepare(size, args.seed)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from branches.models import Branch

    cache.clear()
    clients = {}
    for username in ROLES:
        clients[username] = Client()
        clients[username].force_login(get_user_model().objects.get(username=username))
    pages = workbench_pages()
    # Queries of a second look (the first fills the dashboards' cache).
    for _label, username, url in pages:
        base.count_queries(clients[username], url)
    queries = {label: base.count_queries(clients[u], url) for label, u, url in pages}
    warm = base.measure(pages, clients, requests=args.requests, warmup=args.warmup)
    write = district_write()
    staff_pages = [p for p in pages if p[1] in ("district", "street", "city")]
    cold = base.measure(
        pages[:1] + staff_pages,
        clients,
        requests=args.requests,
        warmup=1,
        before={label: write for label, _, _ in staff_pages},
    )
    notice = notice_to_everyone(clients)
    lines = [
        f"## {size}: {Branch.objects.count():,} branches"
        + ("" if seed_seconds is None else f" (seeded in {seed_seconds:.0f} s)"),
        "",
        "| page | warm ms | x trivial | after a write ms | x trivial | queries |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    trivial = warm["trivial view (baseline)"]
    trivial_cold = cold["trivial view (baseline)"]
    for label, _, _ in pages:
        after = cold.get(label)
        lines.append(
            f"| {label} | {warm[label]:.1f} | {warm[label] / trivial:.1f} | "
            + (f"{after:.1f} | {after / trivial_cold:.1f}" if after else "- | -")
            + f" | {queries[label]} |"
        )
    seconds, sent_queries, branches = notice["send"]
    lines += [
        "",
        f"Notice to every branch: {branches:,} receipts written in {seconds:.2f} s, "
        f"{sent_queries} queries; the notice's page {notice['detail (sender)'][0] * 1000:.0f} ms "
        f"({notice['detail (sender)'][1]} queries); its receipts page "
        f"{notice['receipts page'][0] * 1000:.0f} ms ({notice['receipts page'][1]} queries); "
        f"reminding every branch {notice['remind'][0]:.2f} s ({notice['remind'][1]} queries, "
        f"{notice['remind'][2]:,} inbox items).",
    ]
    print("\n".join(lines))


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        run_child(args)
        return
    import subprocess

    for size in args.sizes:  # one process per size: Django is set up once per database
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                size,
                "--requests",
                str(args.requests),
                "--warmup",
                str(args.warmup),
                "--seed",
                str(args.seed),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
